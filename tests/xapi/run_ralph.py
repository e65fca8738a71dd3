"""Run Ralph's LRS with its file-system backend: ``.venv-ralph/bin/python run_ralph.py
HOST PORT`` (tests/xapi/conftest.py does), configured by ``RALPH_*`` variables.

One change to Ralph: its file-system LRS backend (ralph-malph 5.1.0) writes each batch
with the data backend's default operation, ``create``, which refuses to write to a file
that exists, so every POST after the first fails with 500 "Statements bulk indexation
failed". It is made to append instead (what a log of statements needs). Everything else
(validation, the duplicate and conflict checks, the answers) is Ralph's own.
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run("ralph.api:app", host=host, port=port, log_level="warning")
