"""Bad input on public pages never gives a server error.

Every address an anonymous visitor can reach is found from the URL resolver: each named
route is opened anonymously (GET and POST, with sample arguments), and whatever does not
answer by sending the visitor to log in, or with 401, 403 or 405, is public. ``PUBLIC``
must list exactly those (``test_every_public_route_is_covered`` fails when a new one
appears, so a new form is fuzzed from the day it exists). Then, with hypothesis:

- every public address is opened with arbitrary query strings (text of every Unicode
  category, lone surrogates as a query string carries them, %-encoded bytes, 5,000
  characters…);
- every form an anonymous visitor can send gets arbitrary text in every field (or the
  field missing), mixed with plausible values so the paths behind a valid form run too;
- addresses that carry a value in their path (folio, reset and opt-out tokens, file
  names) get arbitrary path segments.

Every answer must be below 500 and never 429 (the rate limits and django-axes' lockout are
raised out of the way, and the cache is cleared for every example, so a limit cannot hide a
crash); a form shown again must say what is wrong, in Spanish, on the page.

Not covered here, on purpose: Wagtail's page tree (the catch-all ``wagtail_serve``; course,
lesson and assessment pages are tested in tests/courses and tests/enrollment), ``/admin/``
(Wagtail's admin, behind its own login and tested by Wagtail) and ``/api/`` (the JSON API,
whose malformed payloads are tested in tests/progress/test_ingestion.py and
tests/exports/test_exports_api.py).

Examples are derandomized and no example database is kept, so CI runs the same examples
every time; all examples of one form run inside one test transaction.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client
from django.urls import Resolver404, reverse
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import (
    BaseViewRestriction,
    Collection,
    CollectionViewRestriction,
    Page,
    PageViewRestriction,
)

from lms.accounts import api as accounts_api
from lms.notifications import api as notifications_api
from tests.routes import named_routes

# AULA_FUZZ_EXAMPLES=2000 AULA_FUZZ_RANDOM=1 explores further, with new examples each run.
EXAMPLES = settings(
    max_examples=int(os.environ.get("AULA_FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=not os.environ.get("AULA_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PASSWORD = "contraseña-de-prueba"
RESTRICTION_PASSWORD = "clave-de-la-sede"

# --- What a visitor may type ----------------------------------------------------------------

SPECIALS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\ufeff",
    "\u200b",
    "\ud800",  # a lone surrogate (sent as a query string carries it: %ED%A0%80)
    "\udfff",
    "７Ｋ３Ｍ-９ＱＸＴ-Ｈ",  # fullwidth
    "7К3М-9ОХТ-Н",  # Cyrillic lookalikes
    "ß",
    "İ",
    "ﬀ",
    "a/b",
    "../../etc/passwd",
    "..",
    ".",
    "%00",
    "%2F",
    "%",
    "+",
    "&",
    "=",
    "#",
    "?",
    "\\",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request }}",
    "{% debug %}",
    "%(folio)s",
    "' OR 1=1 --",
    "0",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999999999999999",
    "\r\nSet-Cookie: x=1",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
]
_ANY_CHARACTER = st.characters(exclude_categories=())  # every category, surrogates too
_SHORT = st.text(_ANY_CHARACTER, max_size=40)
_LONG = st.builds(
    lambda piece, size: (piece * (size // len(piece) + 1))[:size],
    st.text(_ANY_CHARACTER, min_size=1, max_size=8),
    st.integers(min_value=1000, max_value=5000),
)
_NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
JUNK = st.one_of(
    st.sampled_from(SPECIALS),
    _SHORT,
    _LONG,
    _NUMBERS,
    st.lists(st.one_of(st.sampled_from(SPECIALS), _SHORT), min_size=2, max_size=4).map("".join),
)


def typed(*plausible: st.SearchStrategy) -> st.SearchStrategy:
    """A field's value: junk, or something plausible, or the field left out (None)."""
    return st.one_of(st.none(), JUNK, *plausible)


USERNAME = typed(st.from_regex(r"[a-z][a-z0-9._-]{2,20}", fullmatch=True))
NEW_PASSWORD = typed(st.sampled_from(["luna-verde-en-casa", "12345678", "password", PASSWORD]))
EMAIL = typed(st.emails(), st.just("fuzz@example.org"))
NEXT = typed(
    st.sampled_from(
        [
            "/mis-cursos/",
            "/cursos/?q=%00",
            "//evil.example/",
            "/\\evil.example/",
            "https://evil.example/",
            "http://testserver/cuenta/",
            "javascript:alert(1)",
            "/verificar/a/b/",
            "/" + "x" * 3000,
        ]
    )
)
RAW_TAIL = st.sampled_from(
    ["", "&", "&&", "&=", "&=x", "&%", "&%zz=1", "&a=1&a=2", "&next", "&folio=1&folio=2"]
)


def _encode(fields: dict[str, str | None]) -> str:
    """A form body or query string, as a browser would send it; a lone surrogate goes as the
    bytes that would carry it, which the server must refuse or replace."""
    present = {name: value for name, value in fields.items() if value is not None}
    return urlencode(present, encoding="utf-8", errors="surrogatepass")


def _segment(text: str) -> str:
    return quote(text, safe="", encoding="utf-8", errors="surrogatepass")


# --- The public routes and their forms ------------------------------------------------------


@dataclass(frozen=True)
class Public:
    """A route an anonymous visitor can reach.

    ``url(world)`` is its address; ``form`` the fields of the form sent to it (``method``),
    if it has one; ``path(segment)`` its address with an arbitrary value where the route
    takes one; ``prepare(client, world)`` gives the address when getting there takes a
    step (the password-reset link sets the token in the session first).
    """

    url: Callable[[dict], str]
    form: dict[str, st.SearchStrategy] = field(default_factory=dict)
    method: str = "post"
    path: Callable[[str], str] | None = None
    prepare: Callable[[Client, dict], str] | None = None
    reshows: bool = True  # a wrong form comes back with its errors (not a redirect)


def _fixed(address: str) -> Callable[[dict], str]:
    return lambda world: address


def _reset_link(client: Client, world: dict) -> str:
    """Open a real reset link, as from the email; Django keeps the token in the session and
    sends the person to the set-password form."""
    user = world["user"]
    user.refresh_from_db()  # an earlier example may have changed the password
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = client.get(reverse("accounts:password_reset_confirm", args=[uid, token]))
    assert response.status_code == 302, response.status_code
    return response["Location"]


PUBLIC: dict[str, Public] = {
    "accounts:signup": Public(
        _fixed("/cuenta/registro/"),
        form={
            "username": USERNAME,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            "display_name": typed(st.sampled_from(["Ana Ruiz", "José Núñez"])),
            "email": EMAIL,
            "phone": typed(st.from_regex(r"\+?[0-9 ()-]{7,15}", fullmatch=True)),
            "curp": typed(st.sampled_from(["BOXW310820HNERXN09", "boxw310820hnerxn08"])),
            "next": NEXT,
        },
    ),
    "accounts:login": Public(
        _fixed("/cuenta/entrar/"),
        form={
            "username": typed(st.just("fuzz-educanda"), st.just("FUZZ-EDUCANDA ")),
            "password": typed(st.just(PASSWORD)),
            "next": NEXT,
        },
    ),
    "accounts:logout": Public(_fixed("/cuenta/salir/"), form={"next": NEXT}, reshows=False),
    "accounts:password_reset": Public(_fixed("/cuenta/recuperar/"), form={"email": EMAIL}),
    "accounts:password_reset_done": Public(_fixed("/cuenta/recuperar/enviado/")),
    # The installable web app: no form, nothing personal, the same for everybody.
    "web-manifest": Public(_fixed("/manifest.webmanifest")),
    "service-worker": Public(_fixed("/sw.js")),
    "offline-page": Public(_fixed("/sin-conexion/")),
    "accounts:password_reset_confirm": Public(
        lambda world: reverse("accounts:password_reset_confirm", args=["MQ", "bogus-token"]),
        form={"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        path=lambda segment: f"/cuenta/recuperar/{segment}/{segment}/",
        prepare=_reset_link,
    ),
    "accounts:password_reset_complete": Public(_fixed("/cuenta/recuperar/listo/")),
    "accounts:redeem_code": Public(
        _fixed("/cuenta/codigo/"),
        form={
            "username": typed(st.just("fuzz-educanda")),
            "code": typed(st.just("{code}"), st.just(" {code} ")),
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    ),
    "certificates:verify_form": Public(
        _fixed("/verificar/"),
        form={
            "folio": typed(st.just("{folio}"), st.from_regex(r"[0-9A-Z -]{8,14}", fullmatch=True))
        },
        method="get",
    ),
    "certificates:verify": Public(
        lambda world: f"/verificar/{world['folio']}/",
        path=lambda segment: f"/verificar/{segment}/",
    ),
    "certificates:verify_json": Public(
        lambda world: f"/verificar/{world['folio']}.json",
        path=lambda segment: f"/verificar/{segment}.json",
    ),
    "certificates:issuer": Public(_fixed("/.well-known/aula-issuer.json")),
    # Published documents of fixed shape: a sede's issuer profile and the revocation lists
    # (ints in the address; a list or sede that does not exist is a 404).
    "certificates:sede_issuer": Public(_fixed("/constancias/emisor/1/")),
    "certificates:status_list": Public(_fixed("/constancias/estado/0/")),
    "reminders:opt_out": Public(
        lambda world: reverse("reminders:opt_out", args=[world["opt_out_token"]]),
        form={"List-Unsubscribe": typed(st.just("One-Click"))},
        path=lambda segment: f"/recordatorios/baja/{segment}/",
        reshows=False,
    ),
    "set_language": Public(
        _fixed("/idioma/"),
        form={"language": typed(st.sampled_from(["en", "es-mx", "es", "EN", "zz"])), "next": NEXT},
        reshows=False,
    ),
    "media": Public(
        _fixed("/media/images/nada.png"), path=lambda segment: f"/media/images/{segment}"
    ),
    # Wagtail's own public routes: documents, and the log-in and password forms of pages
    # and collections that an editor restricts.
    "wagtaildocs_serve": Public(
        _fixed("/documentos/1/nada.pdf"), path=lambda segment: f"/documentos/1/{segment}"
    ),
    "wagtaildocs_authenticate_with_password": Public(
        lambda world: reverse(
            "wagtaildocs_authenticate_with_password", args=[world["collection_restriction"].pk]
        ),
        form={"password": typed(st.just(RESTRICTION_PASSWORD)), "return_url": NEXT},
    ),
    "wagtailcore_authenticate_with_password": Public(
        lambda world: reverse(
            "wagtailcore_authenticate_with_password",
            args=[world["page_restriction"].pk, world["page_restriction"].page_id],
        ),
        form={"password": typed(st.just(RESTRICTION_PASSWORD)), "return_url": NEXT},
    ),
    "wagtailcore_login": Public(
        _fixed("/_util/login/"),
        form={
            "username": typed(st.just("fuzz-educanda")),
            "password": typed(st.just(PASSWORD)),
            "next": NEXT,
        },
    ),
}
FORMS = sorted(name for name, route in PUBLIC.items() if route.form)
PATHS = sorted(name for name, route in PUBLIC.items() if route.path)
# Covered by other tests and not part of what an anonymous visitor's input reaches.
EXCLUDED_PREFIXES = ("admin/", "api/")
EXCLUDED_NAMES = {"wagtail_serve"}


# --- Finding the public routes --------------------------------------------------------------

_SAMPLES = {"int": "1", "uuid": str(uuid.UUID(int=1)), "path": "x", "slug": "x", "string": "x"}


def _every_route():
    """(name, sample address) of every named route outside the excluded areas."""
    found = []
    for named in named_routes():
        if named.route.startswith(EXCLUDED_PREFIXES) or named.name in EXCLUDED_NAMES:
            continue
        pattern = named.pattern
        converters = getattr(pattern.pattern, "converters", {})
        if converters:
            kwargs = {
                key: _SAMPLES[type(conv).__name__.removesuffix("Converter").lower()]
                for key, conv in converters.items()
            }
            found.append((named.name, reverse(named.name, kwargs=kwargs)))
        else:
            args = ["1"] * pattern.pattern.regex.groups
            found.append((named.name, reverse(named.name, args=args)))
    return found


def _walled(response) -> bool:
    """Sent to log in, refused, or not answering this method."""
    if response.status_code in (401, 403, 405):
        return True
    return response.status_code == 302 and response["Location"].startswith(
        django_settings.LOGIN_URL
    )


def test_every_public_route_is_covered(db):
    client = Client()
    public = {
        name
        for name, address in _every_route()
        if not (_walled(client.get(address)) and _walled(client.post(address)))
    }
    assert public == set(PUBLIC), (
        "Public routes missing from PUBLIC (add them, with their form fields): "
        f"{sorted(public - set(PUBLIC))}; listed but not public: {sorted(set(PUBLIC) - public)}"
    )


# --- The checks -----------------------------------------------------------------------------

_SPANISH = re.compile(
    r"\b(el|la|los|las|un|una|de|del|no|es|su|sus|este|esta|ese|que|con|por|para|se|"
    r"campo|escriba|revise)\b",
    re.IGNORECASE,
)
_ENGLISH = re.compile(r"\b(the|this|field|please|enter|must|your|is not|are)\b", re.IGNORECASE)


@pytest.fixture
def world(db, make_user, settings):
    """What the forms need: a learner with email, a restricted page and collection, a
    certificate-shaped folio; rate limits and lockouts out of the way."""
    settings.AULA_SIGNUP_RATE = "100000/s"
    settings.AULA_RESET_CODE_RATE = "100000/s"
    settings.AXES_FAILURE_LIMIT = 1_000_000
    user = make_user("fuzz-educanda", accounts_api.roles.EDUCANDO, email="fuzz@example.org")
    page = Page.objects.get(depth=2)
    return {
        "user": user,
        "folio": "7K3M-9QXT-H",
        "opt_out_token": notifications_api.opt_out_token(user_id=user.pk),
        "page_restriction": PageViewRestriction.objects.create(
            page=page,
            restriction_type=BaseViewRestriction.PASSWORD,
            password=RESTRICTION_PASSWORD,
        ),
        "collection_restriction": CollectionViewRestriction.objects.create(
            collection=Collection.get_first_root_node(),
            restriction_type=BaseViewRestriction.PASSWORD,
            password=RESTRICTION_PASSWORD,
        ),
    }


def _fresh_client() -> Client:
    """A new visitor, with every rate-limit count forgotten."""
    cache.clear()
    return Client()


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    assert response.status_code != 429, f"{what}: a rate limit or lockout hid the answer"


def _assert_says_why_in_spanish(response, what: str) -> None:
    """A form shown again carries its errors, each on the page and in Spanish."""
    form = response.context and response.context.get("form")
    assert form is not None and form.is_bound, f"{what}: no form shown"
    messages = [str(m) for m in form.non_field_errors()]
    messages += [str(m) for name in form.fields for m in form[name].errors]
    assert messages, f"{what}: the form came back without saying why"
    html = response.content.decode()
    for message in messages:
        assert escape(message) in html, f"{what}: {message!r} not on the page"
        assert _SPANISH.search(message) and not _ENGLISH.search(message), (
            f"{what}: {message!r} is not Spanish"
        )


@pytest.mark.parametrize("name", sorted(PUBLIC))
@EXAMPLES
@given(data=st.data())
def test_any_query_string(world, name, data):
    address = PUBLIC[name].url(world)
    client = _fresh_client()
    fields = data.draw(
        st.dictionaries(
            st.one_of(st.sampled_from(sorted(PUBLIC[name].form) or ["q"]), _SHORT),
            JUNK,
            max_size=3,
        )
    )
    raw = data.draw(st.binary(max_size=300))
    for query in (
        _encode(fields) + data.draw(RAW_TAIL),
        quote_from_bytes(raw),
        raw.decode("latin-1"),
    ):
        response = client.get(address, QUERY_STRING=query)
        _check(response, f"GET {address}?{query[:80]!r}")


def _view_name(response) -> str | None:
    """The route that answered, or None when no route matched (a plain 404)."""
    try:
        return response.resolver_match.view_name
    except Resolver404:
        return None


def _fill(value: str | None, world: dict) -> str | None:
    if value is None:
        return None
    return value.replace("{code}", world.get("code", "")).replace("{folio}", world["folio"])


@pytest.mark.parametrize("name", FORMS)
@EXAMPLES
@given(data=st.data())
def test_any_form_input(world, name, data):
    route = PUBLIC[name]
    client = _fresh_client()
    if name == "accounts:redeem_code":
        world["code"] = accounts_api.issue_reset_code(user=world["user"], issued_by=None)
    address = route.prepare(client, world) if route.prepare else route.url(world)
    fields = {
        key: _fill(data.draw(strategy, label=key), world) for key, strategy in route.form.items()
    }
    body = _encode(fields) + data.draw(RAW_TAIL)
    what = f"{route.method.upper()} {address} {fields!r:.300}"
    if route.method == "get":
        response = client.get(address, QUERY_STRING=body)
    else:
        response = client.post(address, body, content_type="application/x-www-form-urlencoded")
    _check(response, what)
    # A body with no field at all shows the blank form (``request.POST or None``).
    sent = QueryDict(body)
    if route.reshows and response.status_code in (200, 400) and set(sent) & set(route.form):
        _assert_says_why_in_spanish(response, what)


@pytest.mark.parametrize("name", PATHS)
@EXAMPLES
@given(segment=JUNK.filter(bool))
def test_any_path_segment(world, name, segment):
    address = PUBLIC[name].path(_segment(segment))
    client = _fresh_client()
    for response in (client.get(address), client.post(address, {})):
        _check(response, f"{address[:120]}")
        view = _view_name(response)
        if view == "certificates:verify" and response.status_code == 404:
            html = response.content.decode()
            assert "no es un folio válido" in html or "No encontramos" in html
        if view == "certificates:verify_json":
            assert response.json()["status"] in {"malformed", "unknown"}


# --- What the fuzzing found, kept as plain examples -----------------------------------------


def test_a_username_too_long_for_any_account_is_answered_by_the_form(world):
    """It used to reach django-axes, whose username column takes 255 characters: a 500 on
    PostgreSQL."""
    for address in ("/cuenta/entrar/", "/_util/login/"):
        response = _fresh_client().post(address, {"username": "0" * 1000, "password": "x"})
        assert response.status_code == 200
        assert "Un nombre de usuario tiene como máximo 150 caracteres." in response.content.decode()


def test_wagtails_login_is_aulas(world):
    response = _fresh_client().get("/_util/login/?next=/cursos/")
    assert response.status_code == 200
    assert response.templates[0].name == "accounts/login.html"


@pytest.mark.parametrize(
    "name", ["wagtailcore_authenticate_with_password", "wagtaildocs_authenticate_with_password"]
)
def test_a_restricted_page_password_with_a_return_address_that_is_not_a_path(world, name):
    """Wagtail's ``redirect(return_url)`` took "x" for a URL name: NoReverseMatch, a 500."""
    address = PUBLIC[name].url(world)
    for return_url, expected in (("x", "/mis-cursos/"), ("/cursos/", "/cursos/")):
        response = _fresh_client().post(
            address, {"password": RESTRICTION_PASSWORD, "return_url": return_url}
        )
        assert response.status_code == 302 and response["Location"] == expected


def test_a_media_name_longer_than_the_file_system_allows(world):
    """The OS refused to look it up (ENAMETOOLONG), a 500."""
    for name in ("a" * 256, "a/" * 2100):
        assert _fresh_client().get(f"/media/images/{name}").status_code == 404
