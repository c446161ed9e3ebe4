"""Fixtures shared by the whole suite: people and a small catalog.

Tests marked ``postgres`` run only when the suite runs on PostgreSQL (``make test`` with
``TOOLKIT_TEST_POSTGRES=1`` or ``CI=true``); on SQLite they are skipped with that reason,
and ``-ra`` lists them at the end of the run.
"""

from __future__ import annotations

import io

import django
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command

# The real local model's fixtures, shared by every directory (one server per session).
from tests.local_llm import local_llm_url, local_model  # noqa: F401

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "local_llm: needs the real local model (the `local-llm` extra)"
    )


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or db['NAME']}"


# Runs before ``-m`` deselects, so ``-m local_llm`` and ``-m 'not local_llm'`` (as
# ``make test`` runs them, in two passes) see the mark added here.
def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL: run `make test` with TOOLKIT_TEST_POSTGRES=1 (on in CI)"
    )
    skip_once = pytest.mark.skip(
        reason="does not depend on the database (its own servers, or markup only): runs on "
        "the SQLite leg of each Django version"
    )
    skip_legacy = pytest.mark.skip(
        reason="checks the toolkit's own markup, the same on every Django: runs on the "
        "primary leg (Django 6.1) only"
    )
    legacy = django.VERSION < (6, 0)
    for item in items:
        if "primary_leg" in item.keywords and legacy:
            item.add_marker(skip_legacy)
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "sqlite_leg" in item.keywords and ON_POSTGRES:
            item.add_marker(skip_once)
        # Whatever asks for the real model is a local_llm test, marked or not.
        if "local_llm_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.local_llm)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers cost seconds per user on these machines; tests only need equality."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _endpoints_met_for_the_first_time():
    """The form of structured output an endpoint accepts is remembered for the process
    (``toolkit.ai.client``); tests reuse URLs and ports, so each starts without it."""
    from toolkit.ai.client import forget_accepted_formats

    forget_accepted_formats()
    yield
    forget_accepted_formats()


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.fixture
def viewer(django_user_model):
    """Staff with only the view permission on the catalog."""
    user = django_user_model.objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename__startswith="view_")
    )
    return user


@pytest.fixture
def customer(django_user_model):
    """A logged-in person who is not staff."""
    return django_user_model.objects.create_user("customer", password="pw-customer-123")


@pytest.fixture
def catalog(db):
    """A small seeded catalog (deterministic)."""
    call_command("seed_catalog", products=60, seed=7, stdout=io.StringIO())
