"""The Celery application.

Configuration comes from Django settings (``CELERY_*``). With no broker configured the
embedded default runs tasks eagerly in the web process (see ``settings.base``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.base")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
