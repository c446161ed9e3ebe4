"""An admin that works with Django's ModelAdmin keeps working with the toolkit's.

Django's own admin test suite is the outside check (``scripts/django-admin-suite``);
these are the same promises as tests of our own, on the demo's admins, whose
``ProductAdmin`` composes every mixin.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.paginator import Paginator
from django.urls import reverse

from demo.catalog.models import Product, Review

PRODUCTS = "/admin/catalog/product/"
REVIEWS = "/admin/catalog/review/"


@pytest.fixture
def product_admin():
    return admin.site.get_model_admin(Product)


@pytest.fixture
def review_admin():
    return admin.site.get_model_admin(Review)


@pytest.fixture
def offset_reviews(review_admin, monkeypatch):
    """The review list paged by number and counted exactly, as a stock admin is."""
    monkeypatch.setattr(review_admin, "keyset_pagination", False)
    monkeypatch.setattr(review_admin, "estimated_count", False)
    monkeypatch.setattr(review_admin, "list_per_page", 5)
    return review_admin


@pytest.fixture
def templates_dir(settings, tmp_path):
    """A project template folder searched before the apps', as in most projects."""
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0].get("DIRS", [])]}
    ]

    def write(name, text):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    return write


def warnings_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the history page ----------------------------------------------------------------


def test_the_history_page_of_a_product_answers(admin_client, catalog, superuser):
    """The history view pages its log entries through ``get_paginator()``: the list's
    totals and estimated counts must not be applied to them."""
    product = Product.objects.first()
    LogEntry.objects.log_actions(
        superuser.pk, [product], CHANGE, change_message="Changed price.", single_object=True
    )
    response = admin_client.get(reverse("admin:catalog_product_history", args=[product.pk]))
    assert response.status_code == 200
    assert "Changed price." in response.content.decode()


# --- stock hooks ---------------------------------------------------------------------


class CountingPaginator(Paginator):
    pass


def test_a_paginator_of_the_admins_own_is_used(admin_client, catalog, offset_reviews, monkeypatch):
    monkeypatch.setattr(offset_reviews, "paginator", CountingPaginator)
    response = admin_client.get(REVIEWS)
    assert response.status_code == 200
    assert type(response.context["cl"].paginator) is CountingPaginator


def test_the_estimating_paginator_is_kept_for_the_admins_own_list(
    rf, superuser, product_admin, catalog
):
    request = rf.get(PRODUCTS)
    request.user = superuser
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Product))
    assert type(product_admin.get_paginator(request, entries, 100)) is Paginator


def test_a_changelist_of_the_admins_own_that_skips_super_renders(
    admin_client, catalog, offset_reviews, monkeypatch
):
    """Django's ``TestCustomChangeList``: a ChangeList whose ``get_queryset`` does not call
    ``super()`` builds no filters; the page must not need them."""

    class AllReviews(ChangeList):
        def get_queryset(self, request, exclude_parameters=None):
            return self.root_queryset

    monkeypatch.setattr(offset_reviews, "get_changelist", lambda request, **kwargs: AllReviews)
    response = admin_client.get(REVIEWS)
    assert response.status_code == 200
    assert response.context["cl"].result_count == Review.objects.count()


def test_the_changelist_keeps_the_name_of_its_class(rf, superuser, offset_reviews, catalog):
    request = rf.get(REVIEWS)
    request.user = superuser
    changelist = offset_reviews.get_changelist_instance(request)
    assert repr(changelist) == "<ChangeList: model=Review model_admin=ReviewAdmin>"


# --- bad input: Django's exception in code, a message on the page ----------------------


@pytest.mark.parametrize(
    "query",
    [
        {"rating__gte": "many"},
        {"p": "999"},
        {"created__year": "2017", "created__month": "13"},
    ],
)
def test_code_that_builds_a_changelist_gets_djangos_exception(
    rf, superuser, offset_reviews, catalog, query
):
    offset_reviews.date_hierarchy = "created"
    try:
        request = rf.get(REVIEWS, query)
        request.user = superuser
        with pytest.raises(IncorrectLookupParameters):
            offset_reviews.get_changelist_instance(request)
    finally:
        del offset_reviews.date_hierarchy


def test_the_page_answers_the_same_input_with_a_message(admin_client, catalog, offset_reviews):
    response = admin_client.get(REVIEWS, {"rating__gte": "many", "p": "999"})
    assert response.status_code == 200
    texts = " ".join(warnings_of(response))
    assert "rating" in texts and "page" in texts


def test_a_disallowed_lookup_is_logged_where_django_logs_it(admin_client, catalog, caplog):
    with caplog.at_level(logging.ERROR, logger="django.security.DisallowedModelAdminLookup"):
        response = admin_client.get(REVIEWS, {"product__supplier__email__startswith": "a"})
    assert response.status_code == 200
    assert [r.name for r in caplog.records] == ["django.security.DisallowedModelAdminLookup"]


# --- templates -----------------------------------------------------------------------


def test_a_per_model_template_is_the_parent_of_the_toolkits(admin_client, catalog, templates_dir):
    templates_dir(
        "admin/catalog/product/change_list.html",
        '{% extends "admin/change_list.html" %}'
        "{% block content_title %}<h1>Products of this project</h1>{% endblock %}",
    )
    response = admin_client.get(PRODUCTS)
    html = response.content.decode()
    assert "<h1>Products of this project</h1>" in html
    # The toolkit's additions are still there: totals and keyset pagination.
    assert "toolkit-keyset-paginator" in html and "<tfoot" in html


def test_a_block_the_per_model_template_overrides_stays_its_own(
    admin_client, catalog, templates_dir
):
    templates_dir(
        "admin/catalog/product/change_list.html",
        '{% extends "admin/change_list.html" %}'
        '{% block result_list %}<p id="own-results">Our own table</p>{% endblock %}',
    )
    html = admin_client.get(PRODUCTS).content.decode()
    assert '<p id="own-results">Our own table</p>' in html
    assert "<tfoot" not in html


def test_a_per_model_pagination_template_is_used(
    admin_client, catalog, offset_reviews, templates_dir
):
    templates_dir(
        "admin/catalog/review/pagination.html",
        '<p id="own-pagination">{{ cl.result_count }} reviews in all</p>',
    )
    html = admin_client.get(REVIEWS).content.decode()
    assert f'<p id="own-pagination">{Review.objects.count()} reviews in all</p>' in html


def test_a_template_that_builds_on_the_toolkits_is_rendered_as_it_is(
    admin_client, catalog, templates_dir, product_admin, monkeypatch
):
    templates_dir(
        "catalog/products.html",
        '{% extends "toolkit/admin_ext/change_list.html" %}'
        "{% block content_title %}<h1>Built on the toolkit</h1>{% endblock %}",
    )
    monkeypatch.setattr(product_admin, "change_list_template", "catalog/products.html")
    response = admin_client.get(PRODUCTS)
    html = response.content.decode()
    assert "<h1>Built on the toolkit</h1>" in html
    assert html.count('id="changelist"') == 1


def test_the_changelist_looks_up_no_missing_template_variable(admin_client, catalog, caplog):
    """Django logs every variable a template looks up and does not find; a project's
    tests may assert there are none (Django's own do)."""
    with caplog.at_level(logging.DEBUG, logger="django.template"):
        admin_client.get(PRODUCTS)
        admin_client.get(REVIEWS)
    missing = [r.getMessage() for r in caplog.records if "toolkit" in r.getMessage()]
    assert missing == []


def test_an_admin_whose_get_queryset_returns_a_manager_lists_its_rows(
    admin_client, catalog, offset_reviews, monkeypatch
):
    """Django's ChangeList takes a Manager from get_queryset() (its own tests do it)."""
    monkeypatch.setattr(offset_reviews, "get_queryset", lambda request: Review.objects)
    monkeypatch.setattr(offset_reviews, "show_full_result_count", True)
    response = admin_client.get(REVIEWS)
    assert response.status_code == 200
    assert response.context["cl"].result_count == Review.objects.count()
