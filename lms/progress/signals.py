"""Domain events of ``progress``, sent after the transaction that caused them commits.

Consumers connect from their ``AppConfig.ready``; this app never imports them.
"""

from django.dispatch import Signal

# A lesson or assessment step became completed for this learner for the first time (a
# "completed" or "passed" event; events that arrive late or twice announce nothing more).
# Arguments: user_id (int), page_id (int), course_id (int),
# completed_at (datetime, the learner's time of the first completing event).
lesson_completed = Signal()
