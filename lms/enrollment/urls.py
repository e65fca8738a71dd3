from django.urls import path

from lms.enrollment import views

app_name = "enrollment"
urlpatterns = [
    path("inscribir/<int:course_id>/", views.enroll, name="enroll"),
    path("baja/<int:course_id>/", views.withdraw, name="withdraw"),
    path("grupo/", views.join_grupo, name="join_grupo"),
]
