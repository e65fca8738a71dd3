"""Faults that tests inject into worker processes; production code knows nothing of them.

``lms/settings/test.py`` swaps the default storage for one of these classes when a worker
is started with ``TEST_PAUSE_FIRST_CERTIFICATE_SAVE=<path>``. The first process that is
about to store a constancia's PDF claims that path (an empty file), logs its pid and
waits, so the test can kill it at that moment: the certificate is built and signed, no
file and no row exist yet. Every later save (the redelivered task) goes straight
through, so nothing waits after the kill.
"""

from __future__ import annotations

import logging
import os
import re
import time

from django.core.files.storage import FileSystemStorage
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
