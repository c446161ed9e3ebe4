"""Settings of Django's admin suite run: Django's own ``test_sqlite`` plus what this run needs.

``runtests.py`` overrides ``INSTALLED_APPS``, ``MIDDLEWARE``, ``TEMPLATES`` and the URLs
itself; the driver adds :data:`SWAPPED_RUN_APPS` to its list in the swapped mode only.
"""

import os

from test_sqlite import *  # noqa: F403  (Django's tests/test_sqlite.py)

from toolkit.compat import HAS_BUILTIN_TASKS, TASKS_MODULE

#: The apps a project installs to use the whole toolkit (README, "Adding the toolkit").
SWAPPED_RUN_APPS = [
    "toolkit",
    "toolkit.admin_ext",
    "toolkit.jobs",
    "toolkit.ai",
    *([] if HAS_BUILTIN_TASKS else ["django_tasks"]),
    "django_tasks_db",
]

if os.environ.get("DJANGO_ADMIN_SUITE_MODE") == "swapped":
    # The immediate backend: the database backend's own check would report its app
    # missing in every test that overrides INSTALLED_APPS (as a project's would be, too).
    TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}}

TEST_RUNNER = "django_admin_suite.recording.RecordingRunner"
