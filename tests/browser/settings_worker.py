"""Settings of the ``db_worker`` process that tests/browser/test_bulk_live_worker.py
starts beside the live server: the demo's (django-tasks-db backend), on the test
database (``DATABASE_URL``), with the URLconf of the admin site under test (a job finds
its ModelAdmin through it) and the test's chunk size and media folder."""

import os

from demo.settings import *  # noqa: F403

ROOT_URLCONF = os.environ["TOOLKIT_TEST_URLCONF"]
TOOLKIT_CHUNK_SIZE = int(os.environ.get("TOOLKIT_CHUNK_SIZE", "1000"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
