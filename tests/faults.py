"""Faults that tests inject into worker processes; production code knows nothing of them.

``lms/settings/test.py`` swaps the default storage for one of these classes when a worker
is started with ``TEST_PAUSE_FIRST_CERTIFICATE_SAVE=<path>``. The first process that is
about to store a constancia's PDF claims that path (an empty file), logs its pid and
waits, so the test can kill it at that moment: the certificate is built and signed, no
file and no row exist yet. Every later save (the redelivered task) goes straight
through, so nothing waits after the kill.

With ``TEST_LOSE_FIRST_CERTIFICATE_INSERT=<path>`` the test settings call
``lose_first_certificate_insert``: the first process about to insert a constancia's row
(its PDF already stored) claims that path, logs it, and loses its database connection
right there (on PostgreSQL the server ends it, as in a restart or a failover; elsewhere
``OperationalError`` is raised), so the INSERT fails the way a real outage makes it fail.
"""

from __future__ import annotations

import logging
import os
import re
import time

from django.core.files.storage import FileSystemStorage
from django.db import OperationalError
from django.db.backends.signals import connection_created
from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)

PAUSE_SECONDS = 60  # far longer than a test needs to see the line and kill the process
PAUSED = "pausa de prueba: el proceso {pid} se detiene antes de guardar {name}"
# The same line, as the test reads it in the worker's log.
PAUSED_LINE = re.compile(r"pausa de prueba: el proceso (?P<pid>\d+) se detiene antes de guardar")


class PauseFirstCertificateSave:
    def _save(self, name, content):
        marker = os.environ.get("TEST_PAUSE_FIRST_CERTIFICATE_SAVE", "")
        if marker and name.startswith("constancias/") and _claim(marker):
            logger.warning(PAUSED.format(pid=os.getpid(), name=name))
            time.sleep(PAUSE_SECONDS)
        return super()._save(name, content)


LOSE_INSERT = "TEST_LOSE_FIRST_CERTIFICATE_INSERT"
LOST = "falla de prueba: el proceso {pid} pierde la conexión antes de insertar la constancia"
LOST_LINE = re.compile(r"falla de prueba: el proceso (?P<pid>\d+) pierde la conexión")
_INSERT = 'INSERT INTO "certificates_certificate"'


def lose_first_certificate_insert() -> None:
    """Install the fault on every database connection this process opens."""
    connection_created.connect(_install, weak=False, dispatch_uid="aula-lose-insert")


def _install(sender, connection, **kwargs) -> None:
    if _lose_insert not in connection.execute_wrappers:
        connection.execute_wrappers.append(_lose_insert)


def _lose_insert(execute, sql, params, many, context):
    marker = os.environ.get(LOSE_INSERT, "")
    if marker and sql.lstrip().startswith(_INSERT) and _claim(marker):
        logger.warning(LOST.format(pid=os.getpid()))
        _lose_connection(context["connection"])
    return execute(sql, params, many, context)


def _lose_connection(connection) -> None:
    """End ``connection``'s session from another one: its next statement fails."""
    if connection.vendor != "postgresql":
        raise OperationalError("conexión perdida (falla de prueba)")
    pid = connection.connection.info.backend_pid
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            # Waits (up to 5 s) until the session is gone.
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        other.close()


def _claim(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class PausingS3Storage(PauseFirstCertificateSave, S3Storage):
    pass


class PausingFileSystemStorage(PauseFirstCertificateSave, FileSystemStorage):
    pass
