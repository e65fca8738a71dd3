"""A real Learning Record Store for the xAPI tests: Ralph (``ralph-malph``), with its
file-system backend, in its own virtual environment (``.venv-ralph``, made by
``scripts/ralph.sh``; ``make test`` runs it), started once per session on a free port
with a temporary folder.

Without ``.venv-ralph`` the tests that need Ralph skip on a laptop and fail in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import requests
from django.test import override_settings

from tests.services import ROOT, free_port, port_open, unavailable, wait_for

RALPH_VENV = ROOT / ".venv-ralph"
USERNAME, PASSWORD = "aula-pruebas", "aula-pruebas-secreto"


class Ralph:
    """Ralph's LRS (``run_ralph.py``) on 127.0.0.1, statements in ``data/fs_lrs.jsonl``.
    It can be stopped and started again on the same port and folder (an outage)."""

    def __init__(self) -> None:
        self.bin = RALPH_VENV / "bin"
        self.home = Path(tempfile.mkdtemp(prefix="aula-ralph-"))
        self.data = self.home / "data"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = self.home / "ralph.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RALPH_APP_DIR": str(self.home / "app"),
            "RALPH_AUTH_FILE": str(self.home / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.data),
        }

    def settings(self) -> dict[str, str]:
        """Aula's settings (and a worker's environment) to send to this LRS."""
        return {
            "XAPI_LRS_URL": self.url,
            "XAPI_LRS_USERNAME": USERNAME,
            "XAPI_LRS_PASSWORD": PASSWORD,
        }

    def install(self) -> None:
        if not (self.bin / "python").exists() or not (self.bin / "ralph").exists():
            unavailable("Ralph is not installed in .venv-ralph (run: bash scripts/ralph.sh)")
        subprocess.run(
            [str(self.bin / "ralph"), "auth", "-u", USERNAME, "-p", PASSWORD, "-s", "all",
             "-A", USERNAME, "https://aula.example.org", "-w"],
            env=self.env(), check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(self.bin / "python"), str(Path(__file__).with_name("run_ralph.py")),
             "127.0.0.1", str(self.port)],
            env=self.env(), stdout=self.log.open("a"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(self._ready, 60, "the Ralph LRS")

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError("Ralph exited:\n" + self.log.read_text()[-3000:])
        if not port_open("127.0.0.1", self.port):
            return False
        try:
            return requests.get(f"{self.url}/__heartbeat__", timeout=2).ok
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def stored(self) -> list[dict]:
        """Every statement Ralph wrote, as stored (with its ``stored`` and ``authority``)."""
        path = self.data / "fs_lrs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def stored_ids(self) -> Counter:
        return Counter(statement["id"] for statement in self.stored())

    def invalid(self, statements: list[dict]) -> list[str]:
        """The statements that Ralph's strict xAPI 1.0.3 model refuses, with why."""
        result = subprocess.run(
            [str(self.bin / "python"), str(Path(__file__).with_name("validate_xapi.py"))],
            input=json.dumps(statements), capture_output=True, text=True, check=True,
            timeout=120,
        )  # fmt: skip
        return result.stdout.splitlines()

    def get(self, statement_id: str) -> requests.Response:
        """The statement as the LRS serves it (``GET /xAPI/statements?statementId=``)."""
        return requests.get(
            f"{self.url}/xAPI/statements",
            params={"statementId": statement_id},
            headers={"X-Experience-API-Version": "1.0.3"},
            auth=(USERNAME, PASSWORD),
            timeout=10,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="session")
def ralph_server():
    server = Ralph()
    server.install()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def ralph(ralph_server):
    """The session's Ralph, running, and Aula's settings pointing at it."""
    if ralph_server.process is None or ralph_server.process.poll() is not None:
        ralph_server.start()
    with override_settings(**ralph_server.settings()):
        yield ralph_server
    if ralph_server.process is None:  # a test stopped it: back for the next one
        ralph_server.start()


@pytest.fixture
def nothing_listening():
    """Aula's settings pointing at a port where no LRS listens."""
    with override_settings(
        XAPI_LRS_URL=f"http://127.0.0.1:{free_port()}",
        XAPI_LRS_USERNAME=USERNAME,
        XAPI_LRS_PASSWORD=PASSWORD,
        XAPI_LRS_TIMEOUT=2.0,
    ):
        yield
