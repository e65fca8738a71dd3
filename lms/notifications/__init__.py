"""Notifications: the emails Celery beat sends (the coordinators' weekly digest, reminders
to learners who stopped studying) and the one-click opt-out of reminders. Its front door
is ``api.py``.
"""
