"""What every benchmark shares: its own database and folders under bench/out/, and a
site prepared the way `make run` prepares one."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def configure(**environment: str) -> None:
    """Set the process up for Django: production-like settings (DEBUG off), its own
    SQLite file unless DATABASE_URL says otherwise. Call before importing Django."""
    sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.base")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{OUT / 'bench.sqlite3'}")
    os.environ.setdefault("MEDIA_ROOT", str(OUT / "media"))
    os.environ.setdefault("STATIC_ROOT", str(OUT / "static"))
    os.environ.update(environment)
    os.environ["DJANGO_DEBUG"] = "false"


def prepare_site(*, static: bool = False) -> None:
    """django.setup(), migrate, bootstrap and the course library (only what is missing)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if static:
        call_command("collectstatic", "--noinput", verbosity=0)
    call_command("bootstrap", verbosity=0)
    call_command("library", "import", "--only-new", verbosity=0)
