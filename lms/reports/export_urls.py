"""Exports for coordinators, under /coordinacion/exportar/."""

from django.urls import path

from lms.reports import export_views

app_name = "exports"
urlpatterns = [
    path("", export_views.export_form, name="form"),
    path("archivos/", export_views.job_list, name="jobs"),
    path("archivos/<uuid:job_uuid>/", export_views.job_download, name="download"),
]
