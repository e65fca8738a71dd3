from django.urls import path

from lms.reports import views

app_name = "reports"
urlpatterns = [path("", views.coordinator_home, name="home")]
