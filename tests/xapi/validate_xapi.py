"""Validate xAPI statements with Ralph's strict xAPI 1.0.3 model (``BaseXapiStatement``):
``.venv-ralph/bin/python validate_xapi.py < statements.json`` prints one line per
statement that fails, ``<id>: <errors>``, and nothing when all are valid.

Ralph's LRS checks what it receives only laxly (a valid actor, some verb and object);
this is the full check of every field, run on what the LRS stored.
"""

import json
import sys

from pydantic import ValidationError
from ralph.models.xapi.base.statements import BaseXapiStatement

for statement in json.load(sys.stdin):
    try:
        BaseXapiStatement.model_validate(statement)
    except ValidationError as error:
        print(f"{statement.get('id')}: {error.errors(include_url=False)}")
