"""Settings of the worker processes started by tests/jobs/test_workers.py: the demo's,
plus the test app they work on. The database comes from DATABASE_URL (a real database
the test created), the tasks backend from the demo (django-tasks-db), the AI endpoint
from TOOLKIT_TEST_AI_URL when a test sets it."""

import os

from demo.settings import *  # noqa: F403
from demo.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.jobs.workerapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The AI job test points the workers at the loopback fault server it runs.
if os.environ.get("TOOLKIT_TEST_AI_URL"):
    TOOLKIT_AI = {
        "default": {
            "BASE_URL": os.environ["TOOLKIT_TEST_AI_URL"],
            "MODEL": "fault",
            "MAX_RETRIES": 0,
            "TIMEOUT": 30,
            "CONCURRENCY": 1,
        }
    }
    TOOLKIT_AI_JOB_CHUNK_SIZE = 5
