"""Exports for coordinators, under /coordinacion/exportar/."""

from django.urls import path

from lms.exports import views

app_name = "exports"
urlpatterns = [
    path("", views.export_form, name="form"),
    path("archivos/", views.job_list, name="jobs"),
    path("archivos/<uuid:job_uuid>/", views.job_download, name="download"),
    path("investigacion/", views.research_form, name="research"),
]
