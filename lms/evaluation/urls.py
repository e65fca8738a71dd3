"""Program evaluation pages, under /coordinacion/evaluacion/."""

from django.urls import include, path

from lms.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.program, name="program"),
    path("sede/<slug:key>/", views.sede_detail, name="sede"),
    path("grupo/<int:grupo_id>/", views.grupo_detail, name="grupo"),
    path("informes/", include("lms.evaluation.report_urls")),
]
