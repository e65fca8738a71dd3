"""The one-click opt-out of reminder emails, under /recordatorios/."""

from django.urls import path

from lms.reports import reminder_views

app_name = "reminders"
urlpatterns = [path("baja/<str:token>/", reminder_views.opt_out, name="opt_out")]
