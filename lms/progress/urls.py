from django.urls import path

from lms.progress import offline, views

app_name = "progress"
urlpatterns = [
    path("", views.my_courses, name="my_courses"),
    path("leccion/<int:page_id>/terminar/", views.complete_lesson, name="complete_lesson"),
    path("sin-conexion/<int:course_id>.json", offline.course_package, name="offline_package"),
]
