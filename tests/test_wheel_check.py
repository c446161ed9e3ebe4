"""How ``scripts/wheel-check`` judges a build, and the project it makes.

The whole check (build, a fresh venv with the wheel, a new ``startproject``, the admin
walk) runs once in CI as its own step, ``make wheel-check``: it needs a venv of its own
and pip, and takes about a minute, so it is not repeated in the test run. These tests
pin down what it fails on and that its project is deploy-clean, and one of them runs the
script on a broken build to see it fail with a sentence.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from wheel_check import contents, project  # noqa: E402

DJANGO = django.VERSION[:2]


def make_package(root: Path) -> Path:
    """A small toolkit/ tree with one file of each kind."""
    package = root / "toolkit"
    for name in [
        "__init__.py",
        "py.typed",
        "templates/toolkit/page.html",
        "static/toolkit/page.css",
        "migrations/0001_initial.py",
        "jobs/migrations/0001_initial.py",
        "locale/fr/LC_MESSAGES/django.po",
        "__pycache__/apps.cpython-313.pyc",
    ]:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("")
    return package


def test_expected_files_are_found_by_kind_without_caches(tmp_path):
    expected = contents.expected_files(make_package(tmp_path))
    assert expected == {
        "templates": {"toolkit/templates/toolkit/page.html"},
        "static": {"toolkit/static/toolkit/page.css"},
        "migrations": {
            "toolkit/migrations/0001_initial.py",
            "toolkit/jobs/migrations/0001_initial.py",
        },
        "py.typed": {"toolkit/py.typed"},
        "translations": {"toolkit/locale/fr/LC_MESSAGES/django.po"},
    }


def test_a_complete_archive_has_no_problem(tmp_path):
    expected = contents.expected_files(make_package(tmp_path))
    names = set().union(*expected.values()) | {"toolkit/__init__.py"}
    assert contents.problems("x.whl", names, expected) == []


def test_each_missing_file_is_named_with_its_kind(tmp_path):
    expected = contents.expected_files(make_package(tmp_path))
    names = set().union(*expected.values()) - {
        "toolkit/static/toolkit/page.css",
        "toolkit/locale/fr/LC_MESSAGES/django.po",
    }
    assert contents.problems("x.whl", names, expected) == [
        "x.whl lacks 1 static file(s): toolkit/static/toolkit/page.css",
        "x.whl lacks 1 translations file(s): toolkit/locale/fr/LC_MESSAGES/django.po",
    ]


def test_a_tree_without_templates_fails_even_if_the_archive_matches_it(tmp_path):
    package = make_package(tmp_path)
    shutil.rmtree(package / "templates")
    expected = contents.expected_files(package)
    names = set().union(*expected.values())
    assert contents.problems("x.whl", names, expected) == [
        "the source tree has no templates under toolkit/ to package"
    ]


def test_checkout_folders_and_compiled_files_are_refused(tmp_path):
    expected = contents.expected_files(make_package(tmp_path))
    names = set().union(*expected.values()) | {
        "tests/test_packaging.py",
        "toolkit/__pycache__/apps.cpython-313.pyc",
    }
    assert contents.problems("x.tar.gz", names, expected) == [
        "x.tar.gz holds files that are not the package: tests/test_packaging.py",
        "x.tar.gz holds compiled files: toolkit/__pycache__/apps.cpython-313.pyc",
    ]


def test_archive_names_drop_folders_and_the_sdist_top_folder(tmp_path):
    wheel = tmp_path / "a.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("toolkit/", "")
        archive.writestr("toolkit/py.typed", "")
    sdist = tmp_path / "a.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name in ("django_toolkit-0.1.0/PKG-INFO", "django_toolkit-0.1.0/toolkit/py.typed"):
            info = tarfile.TarInfo(name)
            archive.addfile(info, io.BytesIO(b""))
    assert contents.wheel_names(wheel) == {"toolkit/py.typed"}
    assert contents.sdist_names(sdist) == {"PKG-INFO", "toolkit/py.typed"}


def test_a_classifier_pypi_does_not_know_is_named(tmp_path):
    wheel = tmp_path / "a.whl"
    metadata = (
        "Metadata-Version: 2.4\nName: django-toolkit\nVersion: 0.1.0\n"
        "Classifier: Framework :: Django\nClassifier: Framework :: Django :: 9.9\n"
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("django_toolkit-0.1.0.dist-info/METADATA", metadata)
    assert contents.unknown_classifiers(wheel) == ["Framework :: Django :: 9.9"]


def test_the_listing_counts_files_by_kind():
    names = {
        "toolkit/__init__.py",
        "toolkit/ai/apps.py",
        "toolkit/templates/toolkit/a.html",
        "toolkit/ai/migrations/0001_initial.py",
        "toolkit/locale/fr/LC_MESSAGES/django.mo",
        "django_toolkit-0.1.0.dist-info/RECORD",
    }
    assert contents.summary(names) == [
        "metadata         1",
        "migrations       1",
        "modules          2",
        "templates        1",
        "translations     1",
    ]


def test_settings_follow_the_quick_start_for_each_django():
    on_61, on_52 = project.settings_addition((6, 1)), project.settings_addition((5, 2))
    for text in (on_61, on_52):
        for app in ("toolkit", "toolkit.admin_ext", "toolkit.jobs", "django_tasks_db"):
            assert f'    "{app}",\n' in text
        assert "DEBUG = False" in text
    # The tasks backport is an app on Django 5.2 only; MAILERS exists from 6.1.
    assert '"django_tasks",' in on_52 and '"django_tasks",' not in on_61
    assert "MAILERS" in on_61 and "MAILERS" not in on_52


def test_each_project_gets_its_own_long_secret_key():
    keys = {
        line.split('"')[1]
        for _ in range(2)
        for line in project.settings_addition(DJANGO).splitlines()
        if line.startswith("SECRET_KEY")
    }
    assert len(keys) == 2
    assert all(len(key) >= 50 and not key.startswith("django-insecure") for key in keys)


def test_the_new_project_is_deploy_clean(tmp_path):
    # The project wheel-check writes, on this venv's Django and toolkit: `check --deploy`
    # must have nothing to say, warnings included.
    bin_dir = Path(sys.executable).parent
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "DATABASE_URL")
    }
    site = tmp_path / "site"
    site.mkdir()
    subprocess.run(
        [bin_dir / "django-admin", "startproject", project.PROJECT, site], check=True, env=env
    )
    subprocess.run(
        [sys.executable, "manage.py", "startapp", project.APP], cwd=site, check=True, env=env
    )
    project.write_project(site, DJANGO)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_a_wheel_without_its_static_files_fails_the_check_with_a_sentence(tmp_path):
    # pyproject.toml as it would be if someone dropped static files from package-data.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("README.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, source / name)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '    "static/**/*",\n' in pyproject
    (source / "pyproject.toml").write_text(pyproject.replace('    "static/**/*",\n', ""))
    shutil.copytree(
        ROOT / "toolkit", source / "toolkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    result = subprocess.run(
        [sys.executable, ROOT / "scripts" / "wheel-check", "--source", source,
         "--dist", tmp_path / "dist", "--work", tmp_path / "work"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "== wheel-check 3: what the archives hold" in result.stdout
    assert "wheel-check: FAILED: the archives are incomplete:" in result.stdout
    assert "django_toolkit-0.1.0-py3-none-any.whl lacks" in result.stdout
    assert "static file(s): toolkit/static/toolkit/" in result.stdout
    assert not (tmp_path / "work").exists()  # it stopped before making a venv
