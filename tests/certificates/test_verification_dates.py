"""The verification page writes dates as people do, in the reader's language."""

import datetime

DAY = datetime.date(2026, 12, 2)


def test_the_verification_page_writes_months_in_lower_case(client, certificate):
    certificate.completed_on = DAY
    certificate.save(update_fields=["completed_on"])
    page = client.get(f"/verificar/{certificate.folio}/").content.decode()
    assert "2 de diciembre de 2026" in page
    assert "Diciembre" not in page
    client.post("/idioma/", {"language": "en", "next": "/"})
    english = client.get(f"/verificar/{certificate.folio}/").content.decode()
    assert "December 2, 2026" in english
