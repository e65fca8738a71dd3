"""Upgrades lose nothing: an installation at an earlier schema upgrades with ``migrate``
alone and keeps every row of every table Aula owns.

``tests/upgrade_check.py`` builds a database of its own at ``BASELINE`` (on the engine of
this pass: a SQLite file, or a new PostgreSQL database), puts a row in each of Aula's
tables (pages and many-to-many tables included), migrates to the latest schema and looks
every row up again. Add a line to ``BASELINES`` for each release whose schema must keep
upgrading.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

BASELINES = {
    # The schema of 2026-12-03, before the reports app was split in three and the
    # enrollment package was reorganised (models moved between apps keep their tables).
    "2026-12-03": [
        "accounts:0004_access_records_and_code_failures",
        "assessments:0002_attempt_attempt_user_scores",
        "certificates:0001_initial",
        "enrollment:0007_scoped_audit_log",
        "progress:0002_dailyactivity",
        "reports:0001_initial",
        "courses:0002_enrollment_policy_and_question_topics",
    ],
}


@pytest.fixture
def scratch_database_url():
    """A database nobody else uses, on this pass's engine, removed afterwards."""
    if connection.vendor == "postgresql":
        import psycopg

        settings = connection.settings_dict
        name = f"aula_upgrade_{os.getpid()}"
        base = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{base}/{name}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        with tempfile.TemporaryDirectory(prefix="aula-upgrade-") as folder:
            yield f"sqlite:///{folder}/upgrade.sqlite3"


@pytest.mark.parametrize("release", sorted(BASELINES))
def test_every_row_survives_the_upgrade(scratch_database_url, release):
    result = subprocess.run(
        [sys.executable, "tests/upgrade_check.py", *BASELINES[release]],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lms.settings.test",
            "DATABASE_URL": scratch_database_url,
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["skipped"] == []
    assert report["lost"] == []
    assert report["found"] == report["filled"]
    # Every table Aula owns got a row (models and many-to-many tables alike).
    assert len(report["filled"]) >= 38
    assert {"reports_exportjob", "reports_notification", "enrollment_bulkimport"} <= set(
        report["filled"]
    )
