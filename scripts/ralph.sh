#!/usr/bin/env bash
# Ralph, the Learning Record Store the xAPI tests send statements to (tests/xapi/), in a
# virtual environment of its own (.venv-ralph): its pinned FastAPI, pydantic and uvicorn
# stay out of Aula's. The file-system backend is built in (there is no "backend-fs"
# extra); "lrs" brings the HTTP server, "cli" the `ralph` command (runserver, auth).
# ralph-malph 5.1.0 imports requests in its LRS (OIDC auth) without declaring it.
# Run again after changing the pin: it reinstalls when the stamp differs.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv-ralph
PIN=("ralph-malph[cli,lrs]==5.1.0" "requests>=2.32,<3")
STAMP=$VENV/.installed
if [ -x "$VENV/bin/ralph" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "${PIN[*]}" ]; then
  exit 0
fi
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "${PIN[@]}"
echo "${PIN[*]}" > "$STAMP"
