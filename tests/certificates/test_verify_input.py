"""The public verification page with whatever people type, paste or put in its address.

A folio that cannot be one comes back with the form (400) and one Spanish message that
repeats a short, escaped copy of it; only a well-formed folio is redirected to its address.
The page and its JSON are never cached (a revocation shows at once). The fuzzing of the
same form with hypothesis is in tests/test_public_forms.py.
"""

from urllib.parse import quote

import pytest
from django.core.cache import cache
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
