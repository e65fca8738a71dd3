"""The public Python API of ``evaluation``: the program's figures (learning gains,
retention, time to completion, the credential funnel) for other apps and for this app's
tasks. Reads only, keyword-only, typed.

Every function takes the sedes to look at, already narrowed to someone's scope
(``enrollment_api.sedes_in_scope``), optionally one grupo, and counts only the plain
learners of their grupos. Groups of fewer learners than ``min_group()``
(``AULA_EVALUATION_MIN_GROUP``) come back ``too_few`` and without figures.
"""

from __future__ import annotations

from lms.evaluation.figures import (
    CompletionTime,
    CredentialFunnel,
    Gain,
    Period,
    RetentionCurve,
    min_group,
)
from lms.evaluation.gains import learning_gains
from lms.evaluation.retention import (
    credential_funnel,
    funnel_steps,
    retention_curves,
    time_to_completion,
)

__all__ = [
    "CompletionTime",
    "CredentialFunnel",
    "Gain",
    "Period",
    "RetentionCurve",
    "credential_funnel",
    "funnel_steps",
    "learning_gains",
    "min_group",
    "retention_curves",
    "time_to_completion",
]
