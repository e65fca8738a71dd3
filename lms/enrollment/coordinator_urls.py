"""Bulk enrollment for coordinators, under /coordinacion/inscripcion/."""

from django.urls import path

from lms.enrollment import coordinator_views as views

app_name = "bulk"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("plantilla.csv", views.template_csv, name="template_csv"),
    path("plantilla.xlsx", views.template_xlsx, name="template_xlsx"),
    path("<uuid:pk>/", views.preview, name="preview"),
    path("<uuid:pk>/aplicar/", views.apply, name="apply"),
    path("<uuid:pk>/codigos.pdf", views.code_sheet, name="code_sheet"),
]
