"""`pip install .` gives a package that another Django project can add to INSTALLED_APPS."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Built from a copy of what the package is made of: pip builds a local directory in
    # place, and setuptools' build/ keeps modules deleted from the tree since the last
    # build, which the wheel would then ship.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "toolkit", source / "toolkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (path,) = out.glob("django_toolkit-*.whl")
    return path


def test_wheel_ships_every_template_static_file_and_migration(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    source = ROOT / "toolkit"
    expected = {
        str(p.relative_to(ROOT)).replace(os.sep, "/")
        for pattern in ("templates/**/*", "static/**/*", "**/migrations/*.py", "py.typed")
        for p in source.glob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert "toolkit/py.typed" in expected
    assert expected <= names, sorted(expected - names)
    assert not any(n.startswith(("demo/", "tests/", "bench/")) for n in names)
    shipped = {n for n in names if n.startswith("toolkit/") and n.endswith(".py")}
    in_tree = {str(p.relative_to(ROOT)).replace(os.sep, "/") for p in source.rglob("*.py")}
    assert shipped == in_tree, sorted(shipped ^ in_tree)


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([], id="core-only"),
        pytest.param(["toolkit.ai"], id="with-ai"),
    ],
)
def test_installed_package_works_in_a_project_that_is_not_the_demo(wheel, tmp_path, parts):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    project = tmp_path / "shop"
    project.mkdir()
    (project / "shop_settings.py").write_text(
        textwrap.dedent(
            """
            SECRET_KEY = "test"
            INSTALLED_APPS = [
                "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                "django.contrib.sessions", "django.contrib.messages",
                "toolkit", *__PARTS__,
            ]
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
            ROOT_URLCONF = "shop_urls"
            TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
                          "APP_DIRS": True, "OPTIONS": {"context_processors": [
                              "django.contrib.auth.context_processors.auth",
                              "django.contrib.messages.context_processors.messages",
                              "django.template.context_processors.request"]}}]
            MIDDLEWARE = [
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware",
            ]
            """
        ).replace("__PARTS__", repr(parts))
    )
    (project / "shop_urls.py").write_text(
        "from django.contrib import admin\nfrom django.urls import path\n"
        "urlpatterns = [path('admin/', admin.site.urls)]\n"
    )
    script = (
        "import django, toolkit; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('check'); call_command('migrate', verbosity=0); "
        "print('TOOLKIT_AT', toolkit.__file__)"
    )
    if parts:
        # The AI app's models took over the core's tables, and its admin is registered.
        script += (
            "; from django.contrib import admin; from toolkit.ai.models import Insight; "
            "print('INSIGHTS', Insight.objects.count(), admin.site.is_registered(Insight))"
        )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PYTHONPATH=f"{site}{os.pathsep}{project}", DJANGO_SETTINGS_MODULE="shop_settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert f"TOOLKIT_AT {site}" in result.stdout
    if parts:
        assert "INSIGHTS 0 True" in result.stdout
