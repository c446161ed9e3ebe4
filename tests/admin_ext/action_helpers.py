"""Helpers shared by the tests of the admin actions (bulk, row and change-form actions,
and the LogEntry every action leaves)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from toolkit.compat import TASKS_MODULE

#: Jobs run on the immediate backend: a job is done by the time its page would open.
IMMEDIATE = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    """Background jobs run in the test (on commit), writing their files under tmp_path."""
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def staff(django_user_model, name, *codenames):
    user = django_user_model.objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []
