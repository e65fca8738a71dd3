"""xAPI delivery: statements per second one send loop delivers to a real Ralph LRS
(started by ``tests/xapi/conftest.py``, ``.venv-ralph`` from ``scripts/ralph.sh``).

    .venv/bin/python bench/xapi.py                        # 5,000 statements, batches of 100
    .venv/bin/python bench/xapi.py --statements 20000 --batch 500
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_xapi .venv/bin/python bench/xapi.py

Ralph's file-system store scans its whole file for duplicates on every POST, so the rate
falls as it grows: compare runs of the same size.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "XAPI_BENCH": str(args.statements),
        "XAPI_BATCH_SIZE": str(args.batch),
    }
    if "DATABASE_URL" not in os.environ:
        env.pop("DATABASE_URL", None)
    command = [str(ROOT / ".venv/bin/pytest"), "-q", "-s", "-p", "no:cacheprovider"]
    command.append(str(ROOT / "tests/xapi/throughput.py"))
    sys.exit(subprocess.call(command, cwd=ROOT, env=env))  # noqa: S603 - our own command


if __name__ == "__main__":
    main()
