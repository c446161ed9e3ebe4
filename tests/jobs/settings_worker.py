"""Settings of the worker processes started by tests/jobs/test_workers.py: the demo's,
plus the test app they work on. The database comes from DATABASE_URL (a real database
the test created), the tasks backend from the demo (django-tasks-db)."""

from demo.settings import *  # noqa: F403
from demo.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.jobs.workerapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
