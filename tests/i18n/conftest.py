"""Locales for the translation tests: a pseudo-locale built from the catalogs at test
time, and the activation of a language per request (LocaleMiddleware, which the demo
does not use, so stock behaviour elsewhere is untouched)."""

from __future__ import annotations

from pathlib import Path

import django
import pytest
from django.apps import apps

import toolkit
from tests.i18n.catalogs import pseudo_catalog

PSEUDO = "en-xa"
#: The toolkit's catalog: its msgids are every string the toolkit marks.
TOOLKIT_PO = Path(toolkit.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.po"
TOOLKIT_MO = TOOLKIT_PO.with_suffix(".mo")


def _foreign_catalogs() -> list[Path]:
    """Django's own English catalogs and those of the other installed apps (not ours)."""
    roots = [Path(django.__file__).parent / "conf"]
    roots += [
        Path(app.path)
        for app in apps.get_app_configs()
        if not app.name.startswith(("toolkit", "demo", "tests"))
    ]
    found = [root / "locale" / "en" / "LC_MESSAGES" / "django.po" for root in roots]
    return [path for path in found if path.exists()]


@pytest.fixture
def pseudo_locale(settings, tmp_path):
    """The pseudo-language ``en-xa`` active for every request: the toolkit's messages
    read ⟦áççéñţéð⟧, Django's (and other apps') ⟪…⟫, anything else as it is."""
    ours = tmp_path / "toolkit"
    assert pseudo_catalog(TOOLKIT_PO, ours / "en_XA" / "LC_MESSAGES" / "django.mo") > 100
    paths = [ours]
    for number, source in enumerate(_foreign_catalogs()):
        path = tmp_path / f"foreign-{number}"
        pseudo_catalog(source, path / "en_XA" / "LC_MESSAGES" / "django.mo", "⟪", "⟫")
        paths.append(path)
    settings.LOCALE_PATHS = paths
    settings.LANGUAGES = [(PSEUDO, "Pseudo"), ("en", "English"), ("de", "German")]
    settings.LANGUAGE_CODE = PSEUDO
    return PSEUDO


@pytest.fixture
def locale_middleware(settings):
    """Each request in the language its Accept-Language asks for, as on a site that
    enables LocaleMiddleware (the demo does not)."""
    middleware = list(settings.MIDDLEWARE)
    at = middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
    middleware.insert(at, "django.middleware.locale.LocaleMiddleware")
    settings.MIDDLEWARE = middleware
    settings.LANGUAGES = [("en", "English"), ("de", "German")]
    settings.LANGUAGE_CODE = "en"
