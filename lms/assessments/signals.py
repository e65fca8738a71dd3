"""Domain events of ``assessments``, sent after the transaction that caused them commits.

Consumers connect from their ``AppConfig.ready``; this app never imports them.
"""

from django.dispatch import Signal

# An attempt was graded (on submission).
# Arguments: attempt_id (int), attempt_uuid (str), user_id (int), assessment_id (int),
# course_id (int | None: a catalog diagnostic has no course), score (Decimal, 0-100),
# passed (bool), number (int, the learner's attempt number at this assessment).
attempt_graded = Signal()
