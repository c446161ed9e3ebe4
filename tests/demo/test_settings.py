"""The demo's settings come from the environment and are safe with production values.

Settings are read once per process, so these tests start ``manage.py`` in a child
process with the environment under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.compat import HAS_BUILTIN_CSP

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 10 + "-a-long-and-random-production-secret-key-for-tests-0123456789",
    "ALLOWED_HOSTS": "catalog.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_values_pass_check_deploy_with_nothing_reported():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_refuses_to_start_without_secret_key_when_not_debug():
    env = dict(PRODUCTION)
    del env["SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_with_a_development_key():
    result = manage("check", DEBUG="true", DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr


def test_database_url_selects_the_backend():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        DATABASE_URL="postgres://someone@db.example.com:5432/catalog",
    )
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_log_level_configures_the_named_loggers():
    code = (
        "import logging; "
        "print(logging.getLogger('toolkit.x').getEffectiveLevel(), "
        "logging.getLogger('demo.y').getEffectiveLevel())"
    )
    result = manage(
        "shell", "-v", "0", "-c", code, LOG_LEVEL="warning", DATABASE_URL="sqlite:///:memory:"
    )
    assert result.stdout.split() == ["30", "30"]


@pytest.mark.skipif(not HAS_BUILTIN_CSP, reason="Django < 6 has no built-in CSP support")
def test_admin_pages_send_a_strict_content_security_policy(client):
    response = client.get("/admin/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
