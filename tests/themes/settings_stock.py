"""The demo admin as a theme test's server runs it, in Django's own look.

The demo's settings, on the server's own SQLite file (``DATABASE_URL``, set by
:mod:`tests.themes.server`), with jobs run in the request that starts them (the
immediate tasks backend: no worker process) and the URLconf of :mod:`tests.themes.urls`.
The other ``settings_<theme>`` modules start from this one.
"""

from demo.settings import *  # noqa: F403
from toolkit.compat import TASKS_MODULE

ROOT_URLCONF = "tests.themes.urls"
TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
