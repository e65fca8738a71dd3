"""Headers every answer carries: the Content-Security-Policy (the site's and the admin's),
the Permissions-Policy, and Cache-Control on anything said to a signed-in person; and the
local media files, of which only image renditions are public."""

import re
from io import BytesIO

import pytest
from csp.constants import NONCE
from csp.exceptions import CSPNonceError
from csp.utils import build_policy
from django.core.files.images import ImageFile
from django.http import HttpResponse
from django.test import override_settings
from PIL import Image as PILImage
from rest_framework.authtoken.models import Token
from wagtail.images import get_image_model

from lms.accounts import roles
from lms.middleware import ContentSecurityPolicyMiddleware

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


class TestContentSecurityPolicy:
    @pytest.mark.parametrize("path", ["/", "/cursos/", "/cuenta/entrar/", "/verificar/"])
    def test_site_pages_allow_no_inline_script_and_no_third_party(self, client, path):
        response = client.get(path)
        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'self'"]

    def test_coordinator_pages_have_the_same_policy(self, client, sedes):
        client.force_login(sedes["norte"][1])
        policy = _directives(client.get("/coordinacion/")["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in policy["style-src"]

    def test_the_admin_has_its_own_policy_still_without_inline_script(self, client, make_user):
        client.force_login(make_user("editora", roles.ASESOR))
        response = client.get("/admin/")
        assert response.status_code == 200
        policy = _directives(response["Content-Security-Policy"])
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert "'unsafe-inline'" in policy["style-src"]  # Wagtail's editors style inline
        assert policy["frame-src"] == ["'self'"]  # live preview

    def test_the_api_docs_widen_the_policy_for_themselves_only(self, client, educando):
        """ReDoc injects its styles and searches in a blob: worker; still no inline script
        without the request's nonce."""
        client.force_login(educando)
        response = client.get("/api/v1/docs/")
        assert "{#" not in response.content.decode()
        policy = _directives(response["Content-Security-Policy"])
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-inline'" in policy["style-src"]
        assert "blob:" in policy["worker-src"]

    def test_a_page_that_asks_for_a_nonce_gets_it_in_its_header(self, rf):
        def view(request):
            return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')

        request = rf.get("/cursos/")
        with override_settings(
            CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
        ):
            response = ContentSecurityPolicyMiddleware(view)(request)
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in _directives(response["Content-Security-Policy"])["script-src"]

    def test_a_nonce_asked_for_after_the_header_is_written_is_refused(self, rf):
        request = rf.get("/cursos/")
        ContentSecurityPolicyMiddleware(lambda request: HttpResponse("hola"))(request)
        with pytest.raises(CSPNonceError):
            str(request.csp_nonce)

    def test_the_site_policy_is_the_one_django_csp_builds_from_the_settings(self, client):
        assert client.get("/cursos/")["Content-Security-Policy"] == build_policy()
        assert "Content-Security-Policy-Report-Only" not in client.get("/cursos/")

    def test_a_changed_policy_setting_holds_from_the_next_answer(self, client):
        """The site's header is built once from the settings, and again when they change."""
        before = client.get("/cursos/")["Content-Security-Policy"]
        stricter = {"DIRECTIVES": {"default-src": ["'none'"]}}
        with override_settings(
            CONTENT_SECURITY_POLICY=stricter, CONTENT_SECURITY_POLICY_REPORT_ONLY=stricter
        ):
            response = client.get("/cursos/")
            assert response["Content-Security-Policy"] == "default-src 'none'"
            assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'"
        assert client.get("/cursos/")["Content-Security-Policy"] == before


def test_permissions_policy_denies_what_no_page_uses(client):
    header = client.get("/cursos/")["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in header


class TestCacheControl:
    def test_public_pages_for_anonymous_visitors_may_be_cached(self, client):
        assert "no-store" not in client.get("/cursos/").get("Cache-Control", "")

    @pytest.mark.parametrize("path", ["/", "/cursos/", "/mis-cursos/", "/cuenta/"])
    def test_every_page_for_a_learner_is_private(self, client, educando, path):
        client.force_login(educando)
        response = client.get(path)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"

    def test_coordinator_pages_and_admin_are_private(self, client, sedes):
        client.force_login(sedes["norte"][1])
        for path in ("/coordinacion/", "/admin/"):
            assert client.get(path)["Cache-Control"] == "private, no-store", path

    def test_api_answers_with_a_token_are_private(self, client, educando):
        """Token authentication happens inside the view; the header still follows."""
        token = Token.objects.create(user=educando)
        response = client.post(
            "/api/v1/events/",
            {"events": []},
            content_type="application/json",
            headers={"authorization": f"Token {token.key}"},
        )
        assert response.status_code < 500
        assert response["Cache-Control"] == "private, no-store"


def _image(name="foto.png"):
    buffer = BytesIO()
    PILImage.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return get_image_model().objects.create(
        title="Foto", file=ImageFile(BytesIO(buffer.getvalue()), name=name)
    )


class TestLocalMedia:
    """Without S3, Aula serves its own ``media/`` in production too (before, every image
    in production was a 404): renditions to anyone, originals to staff, nothing else."""

    def test_renditions_are_served_to_anyone_and_cached(self, client):
        rendition = _image().get_rendition("width-20")
        response = client.get(rendition.url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"].startswith("public, max-age=")
        # An uploaded SVG opened on its own can run nothing.
        assert "sandbox" in response["Content-Security-Policy"]

    def test_originals_only_for_staff(self, client, educando, asesor):
        image = _image()
        url = "/media/" + image.file.name
        assert client.get(url).status_code == 404
        client.force_login(educando)
        assert client.get(url).status_code == 404
        client.force_login(asesor)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"

    @pytest.mark.parametrize(
        "path",
        [
            "constancias/x.pdf",
            "codigos/x.pdf",
            "exportaciones/x.csv",
            "documents/x.pdf",
            "images/../constancias/x.pdf",
            "images/%2e%2e/constancias/x.pdf",
            "../lms/settings/base.py",
        ],
    )
    def test_private_folders_and_escapes_are_404_for_everyone(self, client, admin_user, path):
        client.force_login(admin_user)
        assert client.get("/media/" + path).status_code == 404

    def test_on_s3_the_view_serves_nothing(self, client):
        rendition = _image().get_rendition("width-20")
        s3 = {
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": "b"},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(STORAGES=s3):
            assert client.get("/media/" + rendition.file.name).status_code == 404
