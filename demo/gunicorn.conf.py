"""gunicorn's settings for serving the demo in production (the ``prod`` extra)::

    gunicorn -c demo/gunicorn.conf.py demo.wsgi

``bench/bench_load.py`` serves the demo with these settings too.
"""

import gc

#: Sync workers, one per core of the 2-core machines the load benchmark runs on.
workers = 2
graceful_timeout = 10


def post_worker_init(worker):
    """Freeze the objects the worker has loaded (settings, models, URL patterns, the
    admin sites): they live as long as the process, yet every full garbage collection
    scanned them all again, a pause of about 140 ms every few dozen changelist pages of
    the demo. Frozen, the collector leaves them alone (as Instagram's Django fleet does).
    """
    gc.freeze()
