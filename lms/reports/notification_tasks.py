"""Notification tasks (filled in by the notifications work)."""
