"""The job layer's system checks."""

from __future__ import annotations

from django.test import override_settings

from toolkit.compat import TASKS_MODULE
from toolkit.jobs.checks import check_tasks_backend


def test_dummy_tasks_backend_is_W080():
    dummy = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        messages = check_tasks_backend()
    assert [m.id for m in messages] == ["toolkit.W080"]
    assert "db_worker" in messages[0].hint


def test_a_backend_that_runs_tasks_passes():
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        assert check_tasks_backend() == []
