"""The same worker settings with the Redis-backed backend (django-tasks-rq).

Each test gets a queue of its own (TOOLKIT_JOBS_TEST_QUEUE), so runs never meet in a
shared Redis; workers start as
``manage.py rqworker QUEUE --job-class django_tasks_rq.backend.Job``.
"""

import os

from tests.jobs.settings_worker import *  # noqa: F403
from tests.jobs.settings_worker import INSTALLED_APPS

REDIS_URL = os.environ.get("TOOLKIT_JOBS_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_QUEUE = os.environ.get("TOOLKIT_JOBS_TEST_QUEUE", "toolkit_jobs_test")

INSTALLED_APPS = [*INSTALLED_APPS, "django_rq"]
RQ_QUEUES = {
    "default": {"URL": REDIS_URL},
    TEST_QUEUE: {"URL": REDIS_URL},
}
TASKS = {
    "default": {
        "BACKEND": "django_tasks_rq.RQBackend",
        "QUEUES": ["default", TEST_QUEUE],
    }
}
