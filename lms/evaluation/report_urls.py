"""The quarterly evaluation reports, under /coordinacion/evaluacion/informes/ (namespace
``evaluation``, from ``lms.evaluation.urls``)."""

from django.urls import URLPattern, path

from lms.evaluation import report_views

urlpatterns: list[URLPattern] = [
    path("", report_views.report_list, name="reports"),
    path("pedir/", report_views.report_request, name="report_request"),
    path("<uuid:report_uuid>/pdf/", report_views.report_pdf, name="report_pdf"),
    path("<uuid:report_uuid>/csv/", report_views.report_csv, name="report_csv"),
]
