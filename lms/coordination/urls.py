"""The coordinator's pages under /coordinacion/ (exports and bulk enrollment have their
own apps and addresses under it)."""

from django.urls import path

from lms.coordination import views

app_name = "coordination"
urlpatterns = [
    path("", views.coordinator_home, name="home"),
    path("sede/<slug:key>/", views.sede_detail, name="sede"),
    path("grupo/<int:grupo_id>/", views.grupo_detail, name="grupo"),
    path("grupo/<int:grupo_id>/codigo/", views.grupo_new_code, name="grupo_code"),
    path("curso/<int:course_id>/", views.course_detail, name="course"),
    path(
        "curso/<int:course_id>/evaluacion/<int:assessment_id>/",
        views.course_item_analysis,
        name="item_analysis",
    ),
    path("en-riesgo/", views.at_risk_list, name="at_risk"),
    path("educando/<int:learner_id>/", views.learner_detail, name="learner"),
    path("educando/<int:learner_id>/codigo/", views.learner_reset_code, name="reset_code"),
    path("educando/<int:learner_id>/grupo/", views.learner_move, name="move"),
    path(
        "educando/<int:learner_id>/baja/<int:course_id>/",
        views.learner_withdraw,
        name="withdraw",
    ),
    path(
        "constancia/<uuid:certificate_uuid>/anular/",
        views.certificate_revoke,
        name="certificate_revoke",
    ),
    path(
        "constancia/<uuid:certificate_uuid>/corregir/",
        views.certificate_reissue,
        name="certificate_reissue",
    ),
]
