"""The documentation's reference covers every setting and every system check id.

The settings and checks pages are generated from the code by
``docs/_ext/toolkit_reference.py``; these tests find the settings and ids another way (the
names ``manage.py check`` knows, the ids written in the source) and fail when one is
missing from the pages or has no text, so a new setting or check cannot ship undocumented.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from toolkit.checks import known_setting_names

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def reference():
    path = DOCS / "_ext" / "toolkit_reference.py"
    spec = importlib.util.spec_from_file_location("toolkit_reference", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def declared_check_ids():
    """Every quoted ``"toolkit.E001"``-like string in the toolkit's code."""
    return {
        match
        for path in (ROOT / "toolkit").rglob("*.py")
        if "migrations" not in path.parts
        for match in re.findall(r"[\"'](toolkit\.[EW]\d{3})[\"']", path.read_text())
    }


def table_rows(markdown):
    """First cell (unquoted) -> the row's other cells, for every table row."""
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_every_setting_the_checks_know_is_in_the_settings_page(reference):
    rows = table_rows(reference.settings_markdown())
    known = known_setting_names()  # tests/settings.py installs every part
    assert {"TOOLKIT_CHUNK_SIZE", "TOOLKIT_AI_MAX_RECORDS"} <= known
    assert sorted(known - rows.keys()) == []


def test_every_setting_has_a_default_and_a_meaning(reference):
    for setting in reference.settings():
        assert setting.default, setting.name
        assert len(setting.meaning.split()) >= 3, f"{setting.name}: no comment above its key"


def test_every_key_of_an_ai_endpoint_is_in_the_settings_page(reference):
    from toolkit.ai.conf import AI_ENDPOINT_DEFAULTS, AI_REQUIRED_KEYS

    rows = table_rows(reference.settings_markdown())
    for key in [*AI_REQUIRED_KEYS, *AI_ENDPOINT_DEFAULTS]:
        assert key in rows, key
    for key in AI_ENDPOINT_DEFAULTS:
        assert rows[key][-1] and rows[key][-1] != "", key


def test_every_check_id_in_the_source_is_in_the_checks_page(reference):
    declared = declared_check_ids()
    rows = table_rows(reference.checks_markdown())
    assert len(declared) > 50
    assert sorted(declared - rows.keys()) == []
    assert sorted(rows.keys() - declared) == []


def test_every_check_id_says_what_is_wrong(reference):
    """Its message, or (for a message made wholly of values) its hint, is readable."""
    for check in reference.check_ids():
        assert check.messages, check.id
        words = re.findall(r"[A-Za-z]{3,}", " ".join([*check.messages, *check.hints]))
        assert len(words) >= 3, f"{check.id}: {check.messages} {check.hints}"
        assert check.level == ("Error" if ".E" in check.id else "Warning")


def test_a_setting_without_a_comment_has_no_meaning(reference, tmp_path, monkeypatch):
    """The meaning comes from the comment above the key: a key without one is caught."""
    package = tmp_path / "toolkit" / "part"
    package.mkdir(parents=True)
    (package / "conf.py").write_text(
        "DEFAULTS = {\n"
        "    # Rows per page of the widget list.\n"
        "    # None shows them all.\n"
        '    "WIDGET_PAGE": 50,\n'
        '    "WIDGET_UNDOCUMENTED": None,\n'
        "}\n"
        "class S:\n"
        "    @property\n"
        "    def WIDGET_PAGE(self) -> int | None: ...\n"
    )
    monkeypatch.setattr(reference, "ROOT", tmp_path)
    monkeypatch.setattr(reference, "PACKAGE", tmp_path / "toolkit")
    settings = {s.name: s for s in reference.settings()}
    assert settings["TOOLKIT_WIDGET_PAGE"].meaning == (
        "Rows per page of the widget list. None shows them all."
    )
    assert settings["TOOLKIT_WIDGET_PAGE"].type == "int | None"
    assert settings["TOOLKIT_WIDGET_UNDOCUMENTED"].meaning == ""


def test_a_check_id_is_read_with_its_message_and_hint(reference, tmp_path, monkeypatch):
    package = tmp_path / "toolkit"
    package.mkdir()
    (package / "checks.py").write_text(
        "def check(value):\n"
        "    return [Error(f'WIDGET must be a number, not {value!r}.',\n"
        "                  hint='Set WIDGET to 5.', id='toolkit.E999')]\n"
    )
    monkeypatch.setattr(reference, "ROOT", tmp_path)
    monkeypatch.setattr(reference, "PACKAGE", package)
    (check,) = reference.check_ids()
    assert (check.id, check.level) == ("toolkit.E999", "Error")
    assert check.messages == ["WIDGET must be a number, not …."]
    assert check.hints == ["Set WIDGET to 5."]
    assert check.places == ["toolkit/checks.py:check"]


@pytest.mark.parametrize(
    ("page", "marker"),
    [
        ("reference/settings.md", "<!-- generated: settings -->"),
        ("reference/checks.md", "<!-- generated: checks -->"),
        ("reference/api-admin-ext.md", "<!-- generated: api toolkit.admin_ext -->"),
        ("reference/api-jobs.md", "<!-- generated: api toolkit.jobs -->"),
        ("reference/api-ai.md", "<!-- generated: api toolkit.ai -->"),
    ],
)
def test_the_reference_pages_are_generated_and_in_the_site(page, marker):
    assert marker in (DOCS / page).read_text()
    assert page.removesuffix(".md") in (DOCS / "index.md").read_text()
