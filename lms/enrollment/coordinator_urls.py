"""Bulk enrollment for coordinators, under /coordinacion/inscripcion/."""

from django.urls import path  # noqa: F401

app_name = "bulk"
urlpatterns: list = []
