"""/api/v1/: the JSON API and its OpenAPI schema and docs."""

from csp.constants import NONCE, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

# ReDoc starts from one inline script (with the nonce), injects its styles and searches in
# a worker made from a blob: this page only.
_redoc_policy = csp_update(
    {"script-src": [NONCE], "style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]}
)

urlpatterns = [
    path("", include("lms.progress.api_urls")),
    path("", include("lms.exports.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        _redoc_policy(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]


def public_endpoints_only(endpoints):
    """drf-spectacular hook: document /api/v1/ only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
