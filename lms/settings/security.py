"""Security settings that hold in every environment: response headers
(Content-Security-Policy, Permissions-Policy), signing in (the second step for
coordinators and administrators) and locking out repeated failed logins (django-axes).

Part of the settings of every environment: ``base.py`` imports it; ``production.py``
adds what only holds behind HTTPS.
"""

import environ
from csp.constants import NONCE

from .storage import AWS_STORAGE_BUCKET_NAME

env = environ.Env()

# --- Response headers -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


def _media_origins() -> list[str]:
    """Where pages may load images, audio and video from besides this site: the S3 bucket
    (presigned URLs), or what ``AULA_MEDIA_ORIGINS`` says (a CDN, say)."""
    from urllib.parse import urlsplit

    explicit = env.list("AULA_MEDIA_ORIGINS", default=[])
    if explicit or not AWS_STORAGE_BUCKET_NAME:
        return explicit
    endpoint = env.str("AWS_S3_ENDPOINT_URL", default="")
    if endpoint:
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        return [origin, f"{parts.scheme}://*.{parts.netloc}"]
    return ["https://*.amazonaws.com"]


# Content-Security-Policy (django-csp): no inline script anywhere, no third party. The
# site's pages need nothing but their own files; the Wagtail admin gets its own policy
# (``AULA_ADMIN_CONTENT_SECURITY_POLICY``, chosen by ``lms.middleware``) because its
# editors style elements inline and preview pages in frames.
_SELF = "'self'"
_CSP_COMMON = {
    "default-src": [_SELF],
    "script-src": [_SELF],
    "img-src": [_SELF, "data:", *_media_origins()],
    "media-src": [_SELF, *_media_origins()],
    "font-src": [_SELF],
    "connect-src": [_SELF],
    "manifest-src": [_SELF],
    "worker-src": [_SELF],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": [_SELF],
    "frame-ancestors": [_SELF],
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {**_CSP_COMMON, "style-src": [_SELF], "frame-src": ["'none'"]},
}
AULA_ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **_CSP_COMMON,
        "img-src": [*_CSP_COMMON["img-src"], "blob:"],
        # The admin's editors set style attributes and inline <style> for icons.
        "style-src": [_SELF, "'unsafe-inline'"],
        # Wagtail's widgets that start with an inline script carry the nonce (lms/csp.py).
        "script-src": [_SELF, NONCE],
        # Live preview shows the page being edited in a frame of this site.
        "frame-src": [_SELF],
    },
}
# Permissions-Policy (django-permissions-policy): lesson pages need none of these.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- Signing in and lockout -----------------------------------------------------------
LOGIN_URL = "/cuenta/entrar/"
# The second sign-in step (lms/accounts/two_factor.py): always for coordinators and
# administrators; for asesores too when this is true.
AULA_2FA_ASESORES = env.bool("AULA_2FA_ASESORES", default=False)
OTP_TOTP_ISSUER = "Aula"
LOGIN_REDIRECT_URL = "/mis-cursos/"
LOGOUT_REDIRECT_URL = "/"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses further attempts once a username is locked out.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with the signed-in person's row read by a prepared query.
    "lms.accounts.backends.AccountBackend",
    # Only for sessions begun before AccountBackend (it names no other use): remove two
    # weeks (SESSION_COOKIE_AGE) after a release that has it has been deployed.
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins are counted per username *and* address, so one learner's mistakes (or an
# attack on one account) never lock out the rest of a Plaza Comunitaria sharing one IP.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"]
)
