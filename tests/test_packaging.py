"""`python -m build` gives a wheel and an sdist that another Django project can use.

The fixture builds both as ``scripts/wheel-check`` does (the sdist, then the wheel from
it), from a copy of what the package is made of, with a translation catalogue planted in
the core and in an app: the tree has none yet, and they must ship once it has.
``scripts/wheel-check`` (``make wheel-check``, run by CI) goes on to install the wheel
into a new ``startproject`` and use the admin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Translation files planted in the copy: the core's and an app's, sources and compiled.
PLANTED_LOCALE = [
    f"toolkit/{where}locale/fr/LC_MESSAGES/django.{ext}"
    for where in ("", "ai/")
    for ext in ("po", "mo")
]
#: What the sdist may hold besides toolkit/: what builds it, and setuptools' metadata.
SDIST_BUILD_FILES = {"PKG-INFO", "README.md", "pyproject.toml", "setup.cfg", "MANIFEST.in"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    # Built from a copy: the build writes its egg-info next to the sources, and the
    # copy takes what the package is made of and no editor or cache leftovers.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "toolkit", source / "toolkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in PLANTED_LOCALE:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(b"planted")
    # Leftovers a developer's tree has, which no archive may ship.
    (source / "toolkit" / "__pycache__").mkdir()
    (source / "toolkit" / "__pycache__" / "apps.cpython-313.pyc").write_bytes(b"stale")
    (source / "tests").mkdir()
    (source / "tests" / "test_stray.py").write_text("")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = out.glob("django_toolkit-*.whl")
    (sdist,) = out.glob("django_toolkit-*.tar.gz")
    return source, wheel, sdist


@pytest.fixture(scope="module")
def wheel(built):
    return built[1]


def sdist_files(sdist):
    with tarfile.open(sdist) as archive:
        return {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}


def package_files(source):
    return {
        str(p.relative_to(source)).replace(os.sep, "/")
        for p in (source / "toolkit").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_wheel_ships_every_template_static_file_and_migration(built):
    tree, wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    source = tree / "toolkit"
    expected = {
        str(p.relative_to(tree)).replace(os.sep, "/")
        for pattern in ("templates/**/*", "static/**/*", "**/migrations/*.py", "py.typed")
        for p in source.glob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert "toolkit/py.typed" in expected
    assert expected <= names, sorted(expected - names)
    assert not any(n.startswith(("demo/", "tests/", "bench/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    shipped = {n for n in names if n.startswith("toolkit/") and n.endswith(".py")}
    in_tree = {str(p.relative_to(tree)).replace(os.sep, "/") for p in source.rglob("*.py")}
    assert shipped == in_tree, sorted(shipped ^ in_tree)


def test_translations_ship_in_the_wheel_and_the_sdist(built):
    _, wheel, sdist = built
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert set(PLANTED_LOCALE) <= in_wheel, sorted(set(PLANTED_LOCALE) - in_wheel)
    in_sdist = sdist_files(sdist)
    assert set(PLANTED_LOCALE) <= in_sdist, sorted(set(PLANTED_LOCALE) - in_sdist)


def test_sdist_holds_the_package_and_what_builds_it_and_nothing_else(built):
    tree, _, sdist = built
    names = sdist_files(sdist)
    package = package_files(tree)
    assert package <= names, sorted(package - names)
    others = {n for n in names - package if not n.startswith("django_toolkit.egg-info/")}
    # Not the half test suite setuptools would add by default, nor compiled leftovers.
    assert others == SDIST_BUILD_FILES, sorted(others ^ SDIST_BUILD_FILES)


def test_twine_accepts_both_archives_strictly(built):
    _, wheel, sdist = built
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


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
