"""Every toolkit system check id: it fires on a bad setting and stays quiet on a good one."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from toolkit import checks as toolkit_checks


def ids(messages):
    return [m.id for m in messages]


@pytest.mark.django_db  # model checks ask the database about JSONField support
def test_default_configuration_passes_every_check():
    # Test modules register deliberately broken admins on sites of their own; the demo's
    # configuration is what must be clean.
    messages = [
        m
        for m in checks.run_checks()
        if m.id.startswith("toolkit.") and not getattr(m.obj, "__module__", "").startswith("tests.")
    ]
    assert messages == []


def test_missing_admin_app_is_E001():
    with override_settings(
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "toolkit"]
    ):
        messages = toolkit_checks.check_required_apps()
    assert ids(messages) == ["toolkit.E001", "toolkit.E001"]
    assert "'django.contrib.admin'" in messages[0].msg
    assert all(m.hint for m in messages)


@pytest.mark.parametrize("value", [0, -5, "1000", 2.5, True, None])
def test_bad_chunk_size_is_E002(value):
    with override_settings(TOOLKIT_CHUNK_SIZE=value):
        messages = toolkit_checks.check_settings()
    assert ids(messages) == ["toolkit.E002"]
    assert messages[0].hint


def test_good_chunk_size_passes():
    with override_settings(TOOLKIT_CHUNK_SIZE=250):
        assert toolkit_checks.check_settings() == []


@pytest.mark.parametrize("value", [-1, "many", 1.5, False])
def test_bad_estimated_count_threshold_is_E003(value):
    with override_settings(TOOLKIT_ESTIMATED_COUNT_THRESHOLD=value):
        messages = toolkit_checks.check_settings()
    assert ids(messages) == ["toolkit.E003"]
    assert messages[0].hint


@pytest.mark.parametrize("value", [None, 0, 1_000_000])
def test_good_estimated_count_threshold_passes(value):
    with override_settings(TOOLKIT_ESTIMATED_COUNT_THRESHOLD=value):
        assert toolkit_checks.check_settings() == []


def test_missing_tasks_framework_is_E004(monkeypatch):
    def missing():
        raise ImportError("no tasks")

    monkeypatch.setattr(toolkit_checks, "tasks_module", missing)
    messages = toolkit_checks.check_tasks_framework()
    assert ids(messages) == ["toolkit.E004"]
    assert "django52" in messages[0].hint


def test_tasks_framework_is_importable_here():
    assert toolkit_checks.check_tasks_framework() == []


def test_misspelt_setting_is_W001_with_a_suggestion():
    with override_settings(TOOLKIT_CHUNKSIZE=10):
        messages = toolkit_checks.check_settings()
    assert ids(messages) == ["toolkit.W001"]
    assert messages[0].level == checks.WARNING
    assert "TOOLKIT_CHUNK_SIZE" in messages[0].hint


def test_unrelated_unknown_setting_is_W001_without_a_guess():
    with override_settings(TOOLKIT_SOMETHING_ELSE_ENTIRELY=1):
        messages = toolkit_checks.check_settings()
    assert ids(messages) == ["toolkit.W001"]
    assert "Did you mean" not in messages[0].hint


def test_every_check_id_in_the_source_has_a_test():
    import pathlib
    import re

    root = pathlib.Path(toolkit_checks.__file__).parent
    pattern = re.compile(r"toolkit\.[EW]\d{3}")
    declared = {
        match
        for path in root.rglob("*.py")
        for match in re.findall(r'id="(toolkit\.[EW]\d{3})"', path.read_text())
    }
    tests_dir = pathlib.Path(__file__).parent
    tested = {
        match
        for path in tests_dir.rglob("test_*.py")
        for match in pattern.findall(path.read_text())
    }
    assert declared, "no check ids found"
    assert declared <= tested, sorted(declared - tested)


def test_without_the_toolkit_installed_its_checks_say_nothing(settings, db):
    """Checks stay registered for the whole process; a test of a project that overrides
    INSTALLED_APPS without the toolkit (Django's own admin tests do) must not hear from
    them, whatever the settings say."""
    from django.core import checks

    settings.TOOLKIT_CHUNK_SIZE = -1
    settings.TOOLKIT_TYPO = 1
    assert {"toolkit.E002", "toolkit.W001"} <= {m.id for m in checks.run_checks()}
    settings.INSTALLED_APPS = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.messages",
    ]
    assert not [m.id for m in checks.run_checks() if (m.id or "").startswith("toolkit.")]


def test_a_parts_settings_are_known_while_its_app_is_installed(settings):
    """Parts list their settings on their AppConfig (``toolkit_settings``): the core
    names no part, and a part's settings are unknown (W001) once it is uninstalled."""
    settings.TOOLKIT_AI_JOB_CHUNK_SIZE = 3
    assert "TOOLKIT_AI_JOB_CHUNK_SIZE" in toolkit_checks.known_setting_names()
    assert toolkit_checks.check_settings() == []
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "toolkit.ai"]
    assert "TOOLKIT_AI_JOB_CHUNK_SIZE" not in toolkit_checks.known_setting_names()
    messages = toolkit_checks.check_settings()
    assert set(ids(messages)) == {"toolkit.W001"}
    assert any(m.msg.startswith("TOOLKIT_AI_JOB_CHUNK_SIZE ") for m in messages)
