"""Settings of Django's admin suite run: Django's own ``test_sqlite`` plus what this run needs.

``runtests.py`` overrides ``INSTALLED_APPS``, ``MIDDLEWARE``, ``TEMPLATES`` and the URLs
itself; the driver adds :data:`SWAPPED_RUN_APPS` to its list in the swapped mode only.
"""

import os

from test_sqlite import *  # noqa: F403  (Django's tests/test_sqlite.py)

from toolkit.compat import HAS_BUILTIN_TASKS

#: The apps a project installs to use the whole toolkit (README, "Adding the toolkit").
SWAPPED_RUN_APPS = [
    "toolkit",
    "toolkit.admin_ext",
    "toolkit.jobs",
    *([] if HAS_BUILTIN_TASKS else ["django_tasks"]),
    "django_tasks_db",
]

if os.environ.get("DJANGO_ADMIN_SUITE_MODE") == "swapped":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

TEST_RUNNER = "django_admin_suite.recording.RecordingRunner"
