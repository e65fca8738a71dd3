"""The exports' JSON endpoint, under /api/v1/ (``lms/api_urls.py``)."""

from django.urls import path

from lms.exports.api_views import EnrollmentRowsView

urlpatterns = [
    path(
        "coordinacion/inscripciones/",
        EnrollmentRowsView.as_view(),
        name="api-coordinacion-inscripciones",
    ),
]
