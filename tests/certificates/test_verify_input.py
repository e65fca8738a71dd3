"""The public verification page with whatever people type, paste or put in its address.

A folio that cannot be one comes back with the form (400) and one Spanish message that
repeats a short, escaped copy of it; only a well-formed folio is redirected to its address.
The page and its JSON are never cached (a revocation shows at once). The fuzzing of the
same form with hypothesis is in tests/test_public_forms.py.
"""

from unittest import mock
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils.html import escape

from lms.certificates import folio, forms

MALFORMED = "no es un folio válido. Revise cada letra y número: tiene la forma XXXX-XXXX-X."


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("ABCD/EFGH/Z", "ABCD/EFGH/Z"),
        ("7K3M.9QXT.H", "7K3M.9QXT.H"),
        ("7K3M 9QXT", "7K3M 9QXT"),
        ("７Ｋ３Ｍ-９ＱＸＴ-Ｈ", "７Ｋ３Ｍ-９ＱＸＴ-Ｈ"),  # fullwidth
        ("7К3М-9QХТ-Н", "7К3М-9QХТ-Н"),  # Cyrillic letters that look like ours
        ("\u202eH-TXQ9-M3K7", "\N{REPLACEMENT CHARACTER}H-TXQ9-M3K7"),  # right-to-left override
        ("a\x00b", "a\N{REPLACEMENT CHARACTER}b"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("x" * 4096, "x" * 39 + "…"),
    ],
)
def test_what_cannot_be_a_folio_comes_back_with_the_form(client, db, typed, shown):
    response = client.get("/verificar/", {"folio": typed})
    assert response.status_code == 400
    main = _main(response)
    assert f"«{escape(shown)}» {MALFORMED}" in main
    assert "<script>" not in main
    assert 'name="folio"' in main and 'aria-invalid="true"' in main


def test_lone_surrogates_and_broken_bytes_in_the_query_string(client, db):
    for raw in ("%ED%A0%80", "%FF%FE", "%C0%AF", "%", "%zz"):
        response = client.get("/verificar/", QUERY_STRING=f"folio={raw}")
        assert response.status_code == 400, raw
        assert MALFORMED in _main(response)


def test_nothing_typed(client, db):
    response = client.get("/verificar/", {"folio": "   "})
    assert response.status_code == 400
    assert "Escriba el folio que aparece en la constancia" in _main(response)
    response = client.get("/verificar/")
    assert response.status_code == 200 and 'role="alert"' not in _main(response)


def test_a_plausible_attempt_stays_in_the_box_to_correct(client, db):
    wrong = next(c for c in folio.ALPHABET if c != folio.check_char("7K3M9QXT"))
    response = client.get("/verificar/", {"folio": f"7K3M-9QXT-{wrong}"})
    assert response.status_code == 400
    assert f'value="7K3M-9QXT-{wrong}"' in _main(response)
    response = client.get("/verificar/", {"folio": "x" * 100})
    assert 'value="' not in _main(response)


def test_a_well_formed_folio_goes_to_its_address(client, db):
    value = folio.new_folio()
    response = client.get("/verificar/", {"folio": f" {value.lower().replace('-', ' ')} "})
    assert response.status_code == 302 and response["Location"] == f"/verificar/{value}/"
    # Not issued: the address answers "unknown", with the canonical folio.
    response = client.get(response["Location"])
    assert response.status_code == 404
    assert f"No encontramos ninguna constancia con el folio «{value}»." in _main(response)


@pytest.mark.parametrize(
    "segment",
    ["a/b", "a%2Fb", "..%2F..", "%00", "%ED%A0%80", "x" * 4096, quote("７Ｋ３Ｍ"), quote("\u202e")],
)
def test_any_path_gets_the_malformed_answer(client, db, segment):
    response = client.get(f"/verificar/{segment}/")
    assert response.status_code == 404
    assert MALFORMED in _main(response)
    data = client.get(f"/verificar/{segment}.json").json()
    assert data["status"] == "malformed" and len(data["folio"]) <= forms.SHOWN_MAX_LENGTH


def test_shown_is_short_and_visible():
    assert forms.shown("ab\u200fc\x00") == "ab\N{REPLACEMENT CHARACTER}c\N{REPLACEMENT CHARACTER}"
    assert len(forms.shown("é" * 5000)) == forms.SHOWN_MAX_LENGTH


def test_the_verification_page_and_its_json_are_never_cached(client, certificate):
    for address in (
        f"/verificar/{certificate.folio}/",
        f"/verificar/{certificate.folio}.json",
        f"/verificar/{folio.new_folio()}/",
        "/verificar/nada/",
        "/verificar/nada.json",
        "/verificar/?folio=nada",
    ):
        cache_control = client.get(address)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, address


def test_the_form_is_rate_limited_too(client, db):
    statuses = [client.get("/verificar/", {"folio": "nada"}).status_code for _ in range(31)]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429


# --- Folios people can type: separators, legacy folios, a rate-limited JSON answer --------

SEPARATORS = {
    "hyphen": "-",
    "en dash": "\N{EN DASH}",
    "em dash": "\N{EM DASH}",
    "minus sign": "\N{MINUS SIGN}",
    "dot": ".",
    "underscore": "_",
    "slash": "/",
    "space": " ",
    "no-break space": "\N{NO-BREAK SPACE}",
    "narrow no-break space": "\N{NARROW NO-BREAK SPACE}",
}


def _typed(value: str, separator: str) -> str:
    """``value`` in lowercase, its groups joined by ``separator`` and one more inside."""
    chars = value.replace("-", "").lower()
    return f"{chars[:2]}{separator}{chars[2:4]}{separator}{chars[4:8]}{separator}{chars[8]}"


def test_the_separators_are_exactly_those_listed():
    assert set(folio.SEPARATORS) == set(SEPARATORS.values())


@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_each_separator_in_the_form(client, certificate, separator):
    response = client.get("/verificar/", {"folio": _typed(certificate.folio, separator)})
    assert response.status_code == 302
    assert response["Location"] == f"/verificar/{certificate.folio}/"


@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_each_separator_in_the_address(client, certificate, separator):
    segment = quote(_typed(certificate.folio, separator), safe="/")
    response = client.get(f"/verificar/{segment}/")
    assert response.status_code == 302
    assert response["Location"] == f"/verificar/{certificate.folio}/"
    data = client.get(f"/verificar/{segment}.json").json()
    assert data["folio"] == certificate.folio and data["status"] == "valid"


@pytest.mark.parametrize(
    "typed",
    [
        "7K3M+9QXT+G",  # other punctuation
        "7K3M,9QXT,G",
        "7K3M\\9QXT\\G",
        "7K3M:9QXT:G",
        "7K3M\u20119QXT\u2011G",  # non-breaking hyphen
        "7K3M\t9QXT\tG",  # a control character
        "7K3M-9QXU-G",  # a letter outside the alphabet
        "7K3M-9QXß-G",
        "7K3M-9QX\N{KELVIN SIGN}-G",
        "7K3M-9QX😀-G",
        "7K3M-9QXT-G" + "-" * 4096,
    ],
)
def test_anything_else_is_not_a_folio(client, db, typed):
    response = client.get("/verificar/", {"folio": typed})
    assert response.status_code == 400 and MALFORMED in _main(response)
    segment = quote(typed, safe="")
    response = client.get(f"/verificar/{segment}/")
    assert response.status_code == 404 and MALFORMED in _main(response)
    assert client.get(f"/verificar/{segment}.json").json()["status"] == "malformed"


def _legacy_folio() -> str:
    """A folio as printed before the Damm check: valid only under the legacy Luhn check."""
    while True:
        value = folio.new_folio()
        body = value.replace("-", "")[:8]
        legacy = f"{body[:4]}-{body[4:]}-{folio.legacy_check_char(body)}"
        if folio.normalize(legacy) is None:
            return legacy


@pytest.fixture
def legacy_certificate(enrolled, course, django_capture_on_commit_callbacks):
    """A constancia issued, signed and stored with a legacy folio."""
    from lms.certificates.models import Certificate
    from tests.helpers import complete

    printed = _legacy_folio()
    with (
        mock.patch("lms.certificates.folio.new_folio", return_value=printed),
        django_capture_on_commit_callbacks(execute=True),
    ):
        enrollment = complete(enrolled, course)
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.folio == printed
    return certificate


def test_a_printed_legacy_folio_is_still_found(client, legacy_certificate, capsys):
    printed = legacy_certificate.folio
    response = client.get(f"/verificar/{printed}/")
    assert response.status_code == 200 and "Constancia válida" in _main(response)
    data = client.get(f"/verificar/{printed}.json").json()
    assert data["folio"] == printed and data["status"] == "valid"
    typed = _typed(printed, "\N{EN DASH}")
    response = client.get("/verificar/", {"folio": typed})
    assert response.status_code == 302 and response["Location"] == f"/verificar/{printed}/"
    response = client.get(f"/verificar/{quote(typed)}/")
    assert response.status_code == 302 and response["Location"] == f"/verificar/{printed}/"
    call_command("verify_certificate", printed)
    assert "Constancia válida" in capsys.readouterr().out
    call_command("verify_certificate", typed)
    assert "Constancia válida" in capsys.readouterr().out


def test_a_legacy_looking_folio_that_was_never_printed_is_a_typo(client, db):
    never_printed = _legacy_folio()
    response = client.get("/verificar/", {"folio": never_printed})
    assert response.status_code == 400 and MALFORMED in _main(response)
    response = client.get(f"/verificar/{never_printed}/")
    assert response.status_code == 404 and MALFORMED in _main(response)
    data = client.get(f"/verificar/{never_printed}.json").json()
    assert data == {"folio": never_printed, "status": "malformed"}
    with pytest.raises(CommandError, match="Folio desconocido o mal escrito"):
        call_command("verify_certificate", never_printed)
    # One issued today that is not in the register is "unknown", not a typo.
    unknown = folio.new_folio()
    assert client.get(f"/verificar/{unknown}.json").json() == {
        "folio": unknown,
        "status": "unknown",
    }


def test_a_typo_in_a_new_folio_is_answered_as_a_typo(client, certificate):
    chars = certificate.folio.replace("-", "")
    for index in range(len(chars) - 1):
        if chars[index] != chars[index + 1]:
            swapped = chars[:index] + chars[index + 1] + chars[index] + chars[index + 2 :]
            response = client.get(f"/verificar/{swapped}/")
            assert response.status_code == 404 and MALFORMED in _main(response), swapped


RATE_LIMITED = "Se hicieron muchas consultas seguidas desde esta conexión."


def _until_limited(client, address, **extra):
    """31 requests in one rate-limit window (the limiter's clock stands still in tests:
    ``tests/conftest.py``)."""
    for _ in range(30):
        assert client.get(address, **extra).status_code != 429
    return client.get(address, **extra)


def test_a_rate_limited_json_address_answers_json(client, db):
    response = _until_limited(client, "/verificar/nada.json")
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["status"] == "rate_limited" and data["detail"].startswith(RATE_LIMITED)


def test_a_rate_limited_request_that_asks_for_json_gets_json(client, db):
    response = _until_limited(client, "/verificar/nada/", HTTP_ACCEPT="application/json")
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert response.json()["status"] == "rate_limited"


@pytest.mark.parametrize("address", ["/verificar/nada/", "/verificar/?folio=nada"])
def test_a_rate_limited_page_stays_html(client, db, address):
    browser = "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8"
    response = _until_limited(client, address, HTTP_ACCEPT=browser)
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert response["Content-Type"].startswith("text/html")
    assert RATE_LIMITED in _main(response)
