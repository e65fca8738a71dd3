from django.urls import path

from lms.assessments import views

app_name = "assessments"
urlpatterns = [
    path("<int:page_id>/enviar/", views.submit, name="submit"),
    path("intentos/<uuid:attempt_uuid>/", views.attempt_detail, name="attempt"),
    path("entrada/<int:course_id>/", views.entry_check, name="entry_check"),
]
