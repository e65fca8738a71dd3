from django.urls import path

from lms.progress.api_views import EventBatchView

urlpatterns = [
    path("events/", EventBatchView.as_view(), name="api-events"),
]
