"""The WSGI application (gunicorn ``lms.wsgi``).

What lives as long as the process is moved out of the garbage collector's reach
(``gc.freeze``); otherwise every full collection walks all of it again. Once Django is set
up, that is the modules, models, Wagtail's blocks and the settings (about 200,000 objects).
The first requests build as much again that also stays (the URL resolvers, the compiled
templates, the translation catalogues, the database connection and its prepared
statements), so the process freezes again after its 1st, 10th, 100th and 1,000th request
(``FreezeWhenWarm``). On the benchmark machine, with only the first freeze, a full
collection stopped a worker for about 60 ms every hundred or so requests, and the
collector took 13 % of the CPU of a learner's mix of requests (``bench/capacity.py``'s
request types, run in one process); frozen after warming up, 5 %. With ``--preload`` the
master freezes before forking, which also keeps those pages shared between the workers.
"""

import gc
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.production")

# After how many requests the process freezes what it has built so far.
FREEZE_AFTER = (1, 10, 100, 1000)


class FreezeWhenWarm:
    """A WSGI application that freezes the process's long-lived objects after it has
    served ``FREEZE_AFTER`` requests: before the next request, a full collection (what is
    garbage goes) and ``gc.freeze()``. Four pauses in a process's life, each one full
    collection long, instead of one every hundred or so requests."""

    def __init__(
        self, application: Callable[..., Iterable[bytes]], after: Iterable[int] = FREEZE_AFTER
    ) -> None:
        self.application = application
        self.pending = sorted(after)
        self.served = 0
        self._lock = threading.Lock()  # gthread workers: one freeze per point

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self.pending and self.served >= self.pending[0] and self._lock.acquire(False):
            try:
                while self.pending and self.served >= self.pending[0]:
                    self.pending.pop(0)
                gc.collect()
                gc.freeze()
            finally:
                self._lock.release()
        self.served += 1
        return self.application(environ, start_response)


application = FreezeWhenWarm(get_wsgi_application())
gc.freeze()
