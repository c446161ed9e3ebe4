"""The toolkit's pages in German on a site that picks the language per request
(LocaleMiddleware), in English for a language it does not know, and in the site's
language, whatever the browser asks, on a site without LocaleMiddleware (the demo)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/admin/catalog/product/"


@pytest.fixture
def staff(superuser, catalog):
    client = Client()
    client.force_login(superuser)
    return client


def page(client, url, language):
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.usefixtures("locale_middleware")
def test_the_changelist_speaks_german_to_a_german_browser(staff):
    html = page(staff, URL, "de-DE,de;q=0.9,en;q=0.5")
    assert '<html lang="de"' in html
    assert "Summen" in html  # the totals row
    assert "Alle einklappen" in html  # the filters' fold button
    assert "Aktion:" in html  # Django's own German, beside ours
    assert "Totals" not in html


@pytest.mark.usefixtures("locale_middleware")
def test_the_import_and_job_pages_speak_german(staff):
    assert "Vorlage herunterladen" in page(staff, URL + "import/", "de")
    assert "Hintergrundaufträge" in page(staff, "/admin/toolkit_jobs/job/", "de")
    assert "Gespeicherte Ansichten" in page(staff, URL + "saved-views/", "de")


@pytest.mark.usefixtures("locale_middleware")
@pytest.mark.parametrize("language", ["xx", "xx-YY", "zz;q=1.0, *;q=0.1", "de-;;;", "ü" * 300])
def test_a_language_the_site_does_not_know_gives_english_pages(staff, language):
    html = page(staff, URL + "import/", language)
    assert '<html lang="en"' in html
    assert "Download a template" in html


@pytest.mark.usefixtures("locale_middleware")
def test_a_language_cookie_the_site_does_not_know_gives_english_pages(staff, settings):
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert "Download a template" in page(staff, URL + "import/", "")


def test_without_locale_middleware_the_site_language_stays(staff):
    """Stock Django: a site that does not enable LocaleMiddleware speaks LANGUAGE_CODE."""
    html = page(staff, URL + "import/", "de")
    assert "Download a template" in html
    assert "Vorlage herunterladen" not in html
