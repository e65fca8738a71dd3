"""The WSGI application (gunicorn ``lms.wsgi``).

Once Django is set up, everything loaded so far (modules, models, Wagtail's blocks, the
settings: about 400,000 objects) lives as long as the process, so it is moved out of the
garbage collector's reach (``gc.freeze``). Otherwise each full collection walks all of it
again: on the benchmark machine one stopped a worker for about 350 ms every 1,500 or so
requests, longer than the whole target time of the request that waited for it. With
``--preload`` the master freezes before forking, which also keeps those pages shared
between the workers.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.production")

application = get_wsgi_application()
gc.freeze()
