"""Unit tests of the job layer run on the immediate backend, in this process.

``process_job`` resolves its backend on every enqueue and the tasks framework drops its
cached backends when ``TASKS`` changes (``setting_changed``), so overriding the setting
per test is enough.
"""

from __future__ import annotations

import pytest

from toolkit.compat import TASKS_MODULE

from . import handlers

IMMEDIATE = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path / "media"
    # Autouse fixtures run before the people fixtures: their passwords hash fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    handlers.SEEN.clear()
    handlers.SENT.clear()
    yield
    handlers.SEEN.clear()
    handlers.SENT.clear()


@pytest.fixture
def owner(django_user_model):
    """A staff member who starts jobs (no model permission on jobs needed)."""
    return django_user_model.objects.create_user("owner", password="pw-owner-123", is_staff=True)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on_commit callbacks (the job's enqueue) of the block, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
