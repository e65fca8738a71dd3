from django.dispatch import Signal

# Sent once per enrollment, after the transaction that completed it commits.
# Arguments: enrollment_id (int), user_id (int), course_id (int).
course_completed = Signal()
