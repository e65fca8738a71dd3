"""The one-click opt-out of reminder emails, under /recordatorios/."""

from django.urls import path  # noqa: F401

app_name = "reminders"
urlpatterns: list = []
