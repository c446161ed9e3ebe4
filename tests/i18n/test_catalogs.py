"""The shipped catalogs: complete, compiled, faithful to their placeholders, and holding
every string the code marks (``scripts/make-messages`` keeps them so)."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import toolkit
from tests.i18n.catalogs import placeholders, read_po
from tests.i18n.conftest import TOOLKIT_MO, TOOLKIT_PO

ROOT = Path(toolkit.__file__).resolve().parent.parent


def messages():
    return [entry for entry in read_po(TOOLKIT_PO) if entry.msgid]


def test_the_german_catalog_translates_every_message_and_marks_none_fuzzy():
    entries = read_po(TOOLKIT_PO)
    assert "fuzzy" not in entries[0].flags, "the header is still marked fuzzy"
    assert "Language: de" in entries[0].msgstr[0]
    untranslated = [e.msgid for e in entries[1:] if not all(e.msgstr)]
    fuzzy = [e.msgid for e in entries[1:] if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert len(entries) > 400


def test_every_translation_keeps_the_placeholders_of_its_message():
    wrong = []
    for entry in messages():
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for index, translation in enumerate(entry.msgstr):
            source = sources[min(index, len(sources) - 1)]
            expected = placeholders(source)
            # A singular may say "one" instead of its count, as gettext allows.
            found = placeholders(translation)
            if found != expected and not (entry.msgid_plural and index == 0):
                wrong.append((source, translation))
    assert not wrong


def test_the_compiled_catalog_is_the_source_catalog():
    """``.mo`` and ``.po`` are committed together: a translation edited but not compiled
    (or a catalog regenerated without ``compilemessages``) fails here."""
    with TOOLKIT_MO.open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    expected = {}
    for entry in messages():
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[key] = entry.msgstr[0]
        else:
            expected.update({(key, i): text for i, text in enumerate(entry.msgstr)})
    assert {k: v for k, v in catalog.items() if k != ""} == expected


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext (msgfmt)")
def test_msgfmt_check_passes():
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(TOOLKIT_PO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_the_catalog_holds_every_string_the_code_marks(tmp_path):
    """What ``makemessages`` collects from toolkit/ now is what the catalog holds: a
    string marked (or reworded) without running ``scripts/make-messages`` fails here."""
    copy = tmp_path / "toolkit"
    shutil.copytree(
        ROOT / "toolkit",
        copy,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc", "static"),
    )
    (copy / "locale" / "de").mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "de", "--no-obsolete"],
        cwd=copy,
        env={
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "demo.settings",
            "PATH": str(
                Path(shutil.which("xgettext")).parent  # type: ignore[arg-type]
            ),
        },
        check=True,
        capture_output=True,
    )
    fresh = read_po(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")
    collected = {(e.msgctxt, e.msgid, e.msgid_plural) for e in fresh if e.msgid}
    shipped = {(e.msgctxt, e.msgid, e.msgid_plural) for e in messages()}
    assert collected - shipped == set(), "run scripts/make-messages and translate"
    assert shipped - collected == set(), "run scripts/make-messages (--no-obsolete)"
