"""The comparison behind ``scripts/django-admin-suite`` (Django's admin suite, swapped).

The suite itself runs in CI (``make django-admin-suite``); these pin down how its
outcomes are judged, and that the README explains every allowed difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from django_admin_suite.compare import compare, load_allowlist  # noqa: E402

ALLOWLIST = ROOT / "scripts" / "django_admin_suite" / "allowlist.toml"
MODULES = ["admin_views", "modeladmin"]


def outcomes(**by_test):
    return {t.replace("__", "."): {"outcome": o, "detail": ""} for t, o in by_test.items()}


STOCK = outcomes(
    admin_views__t__A__ok="pass", admin_views__t__A__bad="pass", modeladmin__t__B="skip"
)


def test_nothing_lost_passes(capsys):
    swapped = outcomes(
        admin_views__t__A__ok="pass", admin_views__t__A__bad="pass", modeladmin__t__B="skip"
    )
    assert compare(STOCK, swapped, {}, MODULES, 25) == 0
    assert "nothing lost" in capsys.readouterr().out


@pytest.mark.parametrize("outcome", ["fail", "error", "not run"])
def test_a_test_that_passes_stock_and_not_swapped_fails_the_run(capsys, outcome):
    swapped = outcomes(admin_views__t__A__ok="pass", modeladmin__t__B="skip")
    if outcome != "not run":
        swapped["admin_views.t.A.bad"] = {"outcome": outcome, "detail": "boom"}
    assert compare(STOCK, swapped, {}, MODULES, 25) == 1
    assert "admin_views.t.A.bad" in capsys.readouterr().out


def test_an_allow_listed_difference_passes_and_is_counted(capsys):
    swapped = outcomes(
        admin_views__t__A__ok="pass", admin_views__t__A__bad="fail", modeladmin__t__B="skip"
    )
    assert compare(STOCK, swapped, {"admin_views.t.A.bad": "why"}, MODULES, 25) == 0
    rows = {
        line.split()[0]: line.split()[1:]
        for line in capsys.readouterr().out.splitlines()
        if line.strip()
    }
    # tests, stock pass, swapped pass, allow-listed, broken
    assert rows["admin_views"] == ["2", "2", "1", "1", "0"]


def test_an_entry_that_passes_again_must_be_deleted(capsys):
    swapped = outcomes(
        admin_views__t__A__ok="pass", admin_views__t__A__bad="pass", modeladmin__t__B="skip"
    )
    assert compare(STOCK, swapped, {"admin_views.t.A.bad": "why"}, MODULES, 25) == 1
    assert "delete them" in capsys.readouterr().out


def test_the_allow_list_is_capped(capsys):
    swapped = dict(STOCK)
    allowed = {f"x.y.{i}": "why" for i in range(3)}
    assert compare(STOCK, swapped, allowed, MODULES, 2) == 1


def test_every_entry_says_why(tmp_path):
    bad = tmp_path / "allow.toml"
    bad.write_text('[[difference]]\ntest = "a.b.c"\nwhy = " "\n')
    with pytest.raises(SystemExit):
        load_allowlist(bad)


def test_the_readme_explains_every_allowed_difference():
    readme = (ROOT / "README.md").read_text()
    allowed = load_allowlist(ALLOWLIST)
    assert 0 < len(allowed) <= 25
    for test, why in allowed.items():
        assert f"`{test}`" in readme and why in readme, test


def test_the_swapped_model_admin_composes_every_mixin():
    from django_admin_suite.swap import composed_model_admin

    from toolkit.admin_ext import ImportExportMixin, ToolkitModelAdmin
    from toolkit.ai.admin import AIActionsMixin

    composed = composed_model_admin()
    for mixin in (AIActionsMixin, ImportExportMixin, ToolkitModelAdmin):
        assert issubclass(composed, mixin)
