"""Run some of Django's own test modules, stock or with the toolkit's ModelAdmin swapped in.

Called by ``scripts/django-admin-suite`` once per mode, in a process of its own::

    python scripts/django_admin_suite/driver.py --tests DIR --mode swapped --out FILE \
        admin_changelist admin_views ...

``DIR`` is the ``tests/`` folder of the Django sdist of the installed version. This
imports its ``runtests.py`` as a module (its ``__main__`` block does not run), adds what
the mode needs to the apps it always installs, and calls its ``django_tests()`` with the
arguments that ``runtests.py`` itself would pass. Every test's outcome is written to
``FILE`` as JSON by :class:`~django_admin_suite.recording.RecordingRunner`.

- ``stock``: Django's suite as Django runs it; the toolkit is not installed.
- ``swapped``: the toolkit's apps are installed (as its README tells a project to) and
  :mod:`django_admin_suite.swap` replaces ``django.contrib.admin.ModelAdmin`` with a
  class composed of every toolkit mixin before any test app's ``admin.py`` is imported.
"""

from __future__ import annotations

import argparse
import atexit
import inspect
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", required=True, type=Path)
    parser.add_argument("--mode", choices=["stock", "swapped"], required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--parallel", default="auto")
    parser.add_argument("--verbosity", type=int, default=1)
    parser.add_argument("-k", dest="patterns", action="append")
    parser.add_argument("labels", nargs="+")
    args = parser.parse_args()

    # As runtests.py's __main__ block does: a private TMPDIR removed at exit.
    tmpdir = tempfile.mkdtemp(prefix="django_")
    tempfile.tempdir = os.environ["TMPDIR"] = tmpdir
    atexit.register(shutil.rmtree, tmpdir, True)

    tests_dir = args.tests.resolve()
    os.chdir(tests_dir)
    # The suite's own test apps come first; this folder gives the settings, the swap app
    # and the recording runner; the project gives ``toolkit``.
    sys.path[:0] = [str(tests_dir), str(HERE.parent), str(PROJECT)]
    os.environ["DJANGO_SETTINGS_MODULE"] = "django_admin_suite.settings"
    os.environ["DJANGO_ADMIN_SUITE_MODE"] = args.mode
    os.environ["DJANGO_ADMIN_SUITE_OUT"] = str(args.out.resolve())

    import runtests  # Django's tests/runtests.py

    from django_admin_suite.settings import SWAPPED_RUN_APPS

    if args.mode == "swapped":
        runtests.ALWAYS_INSTALLED_APPS.extend(SWAPPED_RUN_APPS)
        runtests.ALWAYS_INSTALLED_APPS.append("django_admin_suite.swap.SwapConfig")

    parallel = 0 if args.parallel == "auto" else int(args.parallel)
    call = {
        "verbosity": args.verbosity,
        "interactive": False,
        "failfast": False,
        "keepdb": False,
        "reverse": False,
        "test_labels": args.labels,
        "debug_sql": False,
        "parallel": parallel,
        "tags": None,
        "exclude_tags": None,
        "test_name_patterns": args.patterns,
        "start_at": None,
        "start_after": None,
        "pdb": False,
        "buffer": False,
        "timing": False,
        "shuffle": False,
        "durations": None,
    }
    accepted = inspect.signature(runtests.django_tests).parameters
    failures = runtests.django_tests(**{k: v for k, v in call.items() if k in accepted})
    if args.mode == "swapped":
        print_proof(args.labels)
    # Failures are expected in either mode: the comparison decides, not this exit code.
    return 0 if failures is not None else 1


def print_proof(labels: list[str]) -> None:
    """Print the MRO of one ModelAdmin a test module wrote as ``admin.ModelAdmin``."""
    from django.contrib import admin

    for name, module in sorted(sys.modules.items()):
        if name.split(".")[0] not in labels:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == name
                and admin.ModelAdmin in value.__bases__
            ):
                mro = " -> ".join(c.__name__ for c in value.__mro__)
                print(f"   swapped: {name}.{value.__name__}: {mro}")
                return
    print("   swapped: no test ModelAdmin was loaded")


if __name__ == "__main__":
    sys.exit(main())
