"""Every page of the toolkit, rendered in a pseudo-language, shows no text of ours that
is not marked for translation.

The pseudo-language (``conftest.pseudo_locale``) turns each message of the toolkit's
catalog into ⟦áççéñţéð⟧ and each of Django's into ⟪…⟫. What a page may show besides
those: the data it lists (every text value in the database) and the demo project's own
words (its models' names and fields, its actions), neither of which is the toolkit's.
Any other text with a letter in it is a string of ours that ``makemessages`` cannot see.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.utils.text import capfirst

from demo.catalog.models import Product
from tests.admin_ext.action_helpers import IMMEDIATE
from tests.i18n.visible import visible_texts
from toolkit.admin_ext.models import SavedView
from toolkit.jobs.models import Job

pytestmark = pytest.mark.django_db

URL = "/admin/catalog/product/"
_MARKED = re.compile(r"⟦[^⟦⟧]*⟧|⟪[^⟪⟫]*⟫")
_LETTER = re.compile(r"[^\W\d_]")
_GAP = "\x00"
#: What Django's own admin templates show without marking it: the search icon's alt text
#: (admin/search_form.html).
DJANGO_UNMARKED = {"Search"}


def _json_words(value) -> set[str]:
    if isinstance(value, dict):
        return {str(key) for key in value} | {w for v in value.values() for w in _json_words(v)}
    if isinstance(value, list):
        return {w for v in value for w in _json_words(v)}
    if isinstance(value, bool) or value is None:
        return {json.dumps(value)}
    return {str(value)} if isinstance(value, str) else set()


def _strings_of(instance) -> set[str]:
    """The text a row holds; for a job, what identifies it, not its title or messages,
    which are the toolkit's words."""
    found = set() if isinstance(instance, Job) else {str(instance)}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, models.JSONField):
            found |= _json_words(value)
        elif isinstance(instance, Job) and field.name in ("description", "message", "error"):
            continue
        elif isinstance(field, models.CharField | models.TextField) and value:
            found.add(str(value))
    return found


def _foreign_words() -> set[str]:
    """Names that other apps (the demo's catalog, Django's task queue) give their apps,
    models, fields, choices and actions."""
    words: set[str] = set()
    for config in apps.get_app_configs():
        if config.name.startswith("toolkit"):
            continue
        words.add(str(config.verbose_name))
        for model in config.get_models(include_auto_created=True):
            opts = model._meta
            words |= {str(opts.verbose_name), str(opts.verbose_name_plural)}
            for field in opts.get_fields():
                words |= {field.name, str(getattr(field, "verbose_name", field.name))}
                words.add(str(getattr(field, "help_text", "")))
                words |= {str(label) for _, label in getattr(field, "flatchoices", None) or []}
            model_admin = admin.site._registry.get(model)
            for action in getattr(model_admin, "ai_actions", None) or []:
                kind = action if isinstance(action, type) else type(action)
                if kind.__module__.startswith("demo."):
                    words.add(str(action.description))
    words |= {capfirst(word) for word in words}
    return {word for word in words if word}


def allowed_texts(extra: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Text a page may show unmarked: the database's and the other apps', as whole words."""
    found = _foreign_words() | DJANGO_UNMARKED | set(extra)
    for model in apps.get_models(include_auto_created=True):
        for instance in model._default_manager.all():
            found |= _strings_of(instance)
    texts = sorted((text for text in found if _LETTER.search(text)), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, texts)) + r")(?!\w)")


def unmarked(html: str, allowed: re.Pattern[str]) -> list[str]:
    """The pieces of visible text in ``html`` that are neither marked nor allowed."""
    body = f" {_GAP} ".join(text for where, text in visible_texts(html) if "<" not in where)
    attributes = [text for where, text in visible_texts(html) if "<" in where]
    leftovers = []
    for text in [body, *attributes]:
        while True:
            stripped = _MARKED.sub(_GAP, text)
            if stripped == text:
                break
            text = stripped
        for piece in allowed.sub(_GAP, text).split(_GAP):
            if _LETTER.search(piece):
                leftovers.append(piece.strip())
    return leftovers


def assert_marked(response, *data: str) -> None:
    """Every visible text of ``response`` is marked, or is ``data`` (what the request
    sent), the database's or another app's."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert "⟦" in html, "the pseudo-locale is not active"
    leftovers = unmarked(html, allowed_texts(data))
    assert not leftovers, f"unmarked text on {response.request['PATH_INFO']}: {leftovers}"


@pytest.fixture
def staff_client(pseudo_locale, superuser, catalog, settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client()
    client.force_login(superuser)
    return client


def first_pks(count=3):
    return [str(pk) for pk in Product.objects.order_by("pk").values_list("pk", flat=True)[:count]]


def test_the_pseudo_locale_catches_an_unmarked_string():
    html = "<p>⟦Ŝáví⟧ Sold out <b>⟪Save⟫</b> Acme</p><input type=submit value='Go'>"
    assert unmarked(html, re.compile("Acme")) == ["Sold out", "Go"]


# -- the changelist and what it opens ---------------------------------------------------


def test_changelist(staff_client):
    assert_marked(staff_client.get(URL))


def test_changelist_filtered_searched_and_totalled(staff_client):
    assert_marked(staff_client.get(URL, {"q": "cable price:>1", "status__in": "active"}))


def test_changelist_with_a_search_error(staff_client):
    assert_marked(staff_client.get(URL, {"q": 'price:>abc "open'}))


def test_changelist_with_bad_filter_values(staff_client):
    assert_marked(staff_client.get(URL, {"price__gte": "abc", "created__gte": "yesterday"}))


def test_saved_views(staff_client, superuser):
    SavedView.objects.create(
        owner=superuser,
        name="Cheap cables",
        content_type=ContentType.objects.get_for_model(Product),
        query_string="q=cable",
    )
    assert_marked(staff_client.get(URL + "saved-views/"))
    assert_marked(staff_client.get(URL + "saved-views/menu/"))


def test_change_form_with_inlines_and_actions(staff_client):
    assert_marked(staff_client.get(f"{URL}{first_pks(1)[0]}/change/"))


def test_mass_update_form_and_preview(staff_client):
    page = staff_client.post(URL, {"action": "mass_update", "_selected_action": first_pks()})
    assert_marked(page)
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode())
    )
    hidden.pop("csrfmiddlewaretoken", None)
    preview = staff_client.post(
        URL, {**hidden, "_field": ["is_active"], "mu-is_active": "on", "_preview": "1"}
    )
    assert_marked(preview)


def test_delete_summary(staff_client):
    assert_marked(
        staff_client.post(URL, {"action": "delete_selected", "_selected_action": first_pks()})
    )


def test_export_as_a_job_and_its_pages(staff_client, monkeypatch):
    from demo.catalog.admin import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "export_background_threshold", 1, raising=False)
    response = staff_client.post(
        URL, {"action": "export_as_csv", "_selected_action": first_pks()}, follow=True
    )
    assert_marked(response)
    job = Job.objects.latest("pk")
    assert_marked(staff_client.get("/admin/toolkit_jobs/job/"))
    assert_marked(staff_client.get(f"/admin/toolkit_jobs/job/{job.pk}/change/"))


def test_import_page_preview_and_result(staff_client):
    assert_marked(staff_client.get(URL + "import/"))
    csv = "sku,name,price\nNEW-0001,New cable,5.00\n" + "bad row without columns\n"
    upload = io.BytesIO(csv.encode())
    upload.name = "products.csv"
    preview = staff_client.post(URL + "import/", {"import_file": upload}, follow=True)
    assert_marked(preview, "NEW-0001", "New cable", "bad row without columns")


def test_ai_pages_without_a_model(staff_client):
    assert_marked(staff_client.get(URL + "ai/proposals/"))
    assert_marked(staff_client.get("/admin/toolkit_ai/insight/"))
