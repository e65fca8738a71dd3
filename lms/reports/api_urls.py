from django.urls import path

from lms.reports.api_views import EnrollmentRowsView

urlpatterns = [
    path(
        "coordinacion/inscripciones/",
        EnrollmentRowsView.as_view(),
        name="api-coordinacion-inscripciones",
    ),
]
