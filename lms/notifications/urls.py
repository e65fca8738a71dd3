"""The one-click opt-out of reminder emails, under /recordatorios/."""

from django.urls import path

from lms.notifications import views

app_name = "reminders"
urlpatterns = [path("baja/<str:token>/", views.opt_out, name="opt_out")]
