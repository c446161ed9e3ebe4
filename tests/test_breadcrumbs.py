"""Breadcrumbs of the toolkit's admin pages, in the markup the running Django styles.

Django 6.1's admin draws them as ``<ol class="breadcrumbs">`` of ``<li>`` and its CSS
styles only that; Django 5.2's styles only ``<div class="breadcrumbs">``, its links
joined by ``&rsaquo;``. Every toolkit page draws them with ``toolkit/_breadcrumbs.html``,
which asks ``toolkit.compat`` (through the ``toolkit_compat`` template tags) which one.
"""

from __future__ import annotations

import re
from pathlib import Path

import django.contrib.admin
import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

import toolkit
from demo.catalog.models import Product
from toolkit import compat
from toolkit.ai.models import Insight

TOOLKIT_TEMPLATES = Path(toolkit.__file__).parent / "templates"
ADMIN_TEMPLATES = Path(django.contrib.admin.__file__).parent / "templates" / "admin"
INCLUDE = "toolkit/_breadcrumbs.html"


def crumbs(html):
    """The page's breadcrumbs element, checked to be the running Django's markup."""
    match = re.search(r'<(ol|div) class="breadcrumbs">.*?</\1>', html, re.S)
    assert match, "the page has no breadcrumbs"
    assert match.group(1) == ("ol" if compat.HAS_LIST_BREADCRUMBS else "div")
    return match.group(0)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_running_django_is_told_apart_by_its_own_admin_templates():
    for name in ("base.html", "change_form.html", "delete_confirmation.html"):
        source = (ADMIN_TEMPLATES / name).read_text()
        assert ('<ol class="breadcrumbs">' in source) is compat.HAS_LIST_BREADCRUMBS, name
        assert ('<div class="breadcrumbs">' in source) is not compat.HAS_LIST_BREADCRUMBS, name


@pytest.mark.parametrize("as_list", [True, False], ids=["django-6.1", "django-5.2"])
def test_one_include_draws_the_markup_of_either_version(monkeypatch, as_list):
    monkeypatch.setattr(compat, "HAS_LIST_BREADCRUMBS", as_list)
    context = {"opts": Product._meta, "title": "Mass update", "changelist_query": "q=oak&p=2"}
    html = render_to_string(INCLUDE, context).strip()
    changelist = '<a href="/admin/catalog/product/?q=oak&amp;p=2">Products</a>'
    if as_list:
        assert html.startswith('<ol class="breadcrumbs">') and html.endswith("</ol>")
        assert '<li><a href="/admin/">Home</a></li>' in html
        assert f"<li>{changelist}</li>" in html
        assert '<li aria-current="page">Mass update</li>' in html
        assert "&rsaquo;" not in html and "<div" not in html
    else:
        assert html.startswith('<div class="breadcrumbs">') and html.endswith("</div>")
        assert f"&rsaquo; {changelist}" in html
        assert html.endswith("&rsaquo; Mass update\n</div>")
        assert "<li" not in html and "<ol" not in html


def test_the_last_crumb_can_differ_from_the_title():
    context = {"opts": Product._meta, "title": "Import products", "current": "Import"}
    html = crumbs(render_to_string(INCLUDE, context))
    assert "Import products" not in html
    last = (
        '<li aria-current="page">Import</li>' if compat.HAS_LIST_BREADCRUMBS else "&rsaquo; Import"
    )
    assert last in html


def test_every_toolkit_page_draws_its_breadcrumbs_with_the_include():
    pages = []
    for path in sorted(TOOLKIT_TEMPLATES.rglob("*.html")):
        if path == TOOLKIT_TEMPLATES / INCLUDE:
            continue
        source = path.read_text()
        assert 'class="breadcrumbs"' not in source, f"{path} writes its own breadcrumbs"
        if "{% block breadcrumbs %}" in source:
            assert f'{{% include "{INCLUDE}"' in source, path
            pages.append(path.name)
    assert len(pages) >= 6, pages


# -- on the pages, in the running Django ---------------------------------------------------


@pytest.mark.django_db
def test_the_proposals_and_digest_pages(catalog, superuser):
    client = client_for(superuser)
    page = client.get("/admin/catalog/product/ai/proposals/")
    assert page.status_code == 200
    assert '<a href="/admin/catalog/product/">Products</a>' in crumbs(page.content.decode())

    digest = Insight.objects.create(
        content_type=ContentType.objects.get_for_model(Product),
        kind="digest",
        action="summarize_selection",
        text="All fine.",
        record_count=3,
    )
    page = client.get(f"/admin/toolkit_ai/insight/{digest.pk}/digest/")
    assert page.status_code == 200
    html = crumbs(page.content.decode())
    assert '<a href="/admin/toolkit_ai/insight/">AI insights</a>' in html and "AI digest" in html


@pytest.mark.django_db
@pytest.mark.urls("tests.admin_ext.site_importexport")
def test_the_import_page(superuser):
    page = client_for(superuser).get(reverse("importexport_admin:catalog_product_import"))
    assert page.status_code == 200
    html = crumbs(page.content.decode())
    assert "Products</a>" in html and "Import" in html


@pytest.mark.django_db
@pytest.mark.urls("tests.admin_ext.site_actions")
def test_the_mass_update_page_keeps_the_lists_query(catalog, superuser):
    pk = Product.objects.order_by("pk").values_list("pk", flat=True).first()
    page = client_for(superuser).post(
        "/admin/catalog/product/?q=oak", {"action": "mass_update", "_selected_action": [pk]}
    )
    assert page.status_code == 200
    assert '<a href="/admin/catalog/product/?q=oak">Products</a>' in crumbs(page.content.decode())
