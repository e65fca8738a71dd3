"""The peer's own settings (the kit's ``peerproj.settings``) on PostgreSQL, for
``bench/peer.py`` when Aula runs on PostgreSQL: both servers then read the same kind of
database, with the same connection settings as Aula's production ones (persistent
connections for 60 s, checked before reuse). Only ``DATABASES`` differs from the kit's."""

import os
from urllib.parse import unquote, urlsplit

from peerproj.settings import *  # noqa: F403 (the kit's settings, unchanged otherwise)

_url = urlsplit(os.environ["PEER_DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(_url.path.lstrip("/")),
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": _url.port or 5432,
        "USER": unquote(_url.username or "postgres"),
        "PASSWORD": unquote(_url.password or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
