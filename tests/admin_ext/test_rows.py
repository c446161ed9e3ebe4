"""The toolkit's changelist rows are Django's, cell for cell.

``toolkit.admin_ext.changelist.rows`` draws the rows of a PerformanceMixin changelist without
asking Django to work each column out again for every row. What it draws must be
exactly what Django's own ``results()`` draws, for every kind of ``list_display`` entry,
on every Django version the suite runs on.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import resolve, reverse

from demo.catalog.models import Product, Review
from tests.admin_ext.site_rows import editable_site, links_site, nolinks_site, site
from toolkit.admin_ext.changelist import rows

pytestmark = pytest.mark.urls("tests.admin_ext.site_rows")


@pytest.fixture
def odd_products(catalog):
    """Values Django draws in special ways: blank text, zero and negative stock."""
    products = list(Product.objects.order_by("pk")[:6])
    products[0].description = ""
    products[1].stock = 0
    products[2].stock = -4
    products[3].description = "   "
    products[4].name = 'Lamp <img src=x onerror="alert(1)"> & "co"'
    for product in products:
        product.save()
    return products


def changelist(admin_site, model, superuser, query=""):
    opts = model._meta
    path = reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
    request = RequestFactory().get(f"{path}?{query}")
    request.user = superuser
    # As the URL resolver leaves it: the changelist then preserves its filters in
    # every row's link.
    request.resolver_match = resolve(path)
    model_admin = admin_site._registry[model]
    cl = model_admin.get_changelist_instance(request)
    cl.formset = None  # as changelist_view sets it, without list_editable
    return cl


def django_rows(cl):
    return [[str(cell) for cell in row] for row in results(cl)]


def toolkit_rows(cl):
    assert rows.renders_fast(cl)
    return [[str(cell) for cell in row] for row in rows.result_rows(cl)]


@pytest.mark.parametrize(
    "admin_site, query",
    [
        (site, ""),
        (site, "o=-3.2"),
        (site, "status__exact=active&is_active__exact=1"),
        (links_site, "q=a&o=-4"),
        (links_site, ""),
        (nolinks_site, ""),
        (site, "_popup=1&_to_field=id"),
        (links_site, "_popup=1"),
    ],
    ids=[
        "first-column-links",
        "sorted",
        "filtered",
        "searched-several-links",
        "several-links",
        "no-links",
        "popup",
        "popup-links",
    ],
)
def test_every_kind_of_column_is_drawn_as_django_draws_it(
    admin_site, query, superuser, odd_products
):
    cl = changelist(admin_site, Product, superuser, query)
    assert len(cl.result_list) > 10
    if query and "_popup" not in query:
        assert "_changelist_filters" in cl.preserved_filters

    assert toolkit_rows(cl) == django_rows(cl)


def test_the_rows_show_what_the_columns_hold(superuser, odd_products):
    cl = changelist(site, Product, superuser)
    html = "".join(cell for row in toolkit_rows(cl) for cell in row)

    # Record text is escaped; a method's SafeString is kept.
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<em>" in html
    # The ModelAdmin's and the method's own empty values, and Django's icons.
    assert "(nothing)" in html and "-none-" in html
    assert 'alt="1"' in html and 'alt="True"' in html and 'alt="None"' in html
    assert 'class="field-stocked_on nowrap"' in html


def test_dates_times_and_foreign_keys_of_another_model(superuser, catalog):
    cl = changelist(site, Review, superuser)
    assert len(cl.result_list) > 10
    assert toolkit_rows(cl) == django_rows(cl)


def test_a_list_editable_changelist_is_left_to_django(superuser, catalog):
    cl = changelist(editable_site, Product, superuser)
    assert rows.renders_fast(cl)
    # As changelist_view does before the page is drawn.
    request = RequestFactory().get("/")
    request.user = superuser
    formset = cl.model_admin.get_changelist_formset(request)
    cl.formset = formset(queryset=cl.result_list)
    assert not rows.renders_fast(cl)
    context = rows.result_list(cl)
    assert [[str(c) for c in row] for row in context["results"]] == django_rows(cl)


def test_a_modeladmin_may_turn_the_renderer_off(superuser, catalog, monkeypatch):
    monkeypatch.setattr(type(site._registry[Product]), "fast_result_rows", False)
    assert not rows.renders_fast(changelist(site, Product, superuser))


def test_an_unverified_django_version_gets_djangos_own_rows(superuser, catalog, monkeypatch):
    monkeypatch.setattr(rows, "_DJANGO", (9, 9))
    assert not rows.renders_fast(changelist(site, Product, superuser))


def test_the_tag_draws_djangos_rows_for_a_changelist_without_performance_mixin(superuser, catalog):
    request = RequestFactory().get("/")
    request.user = superuser
    stock_admin = admin.ModelAdmin(Product, site)
    stock_admin.list_display = ["sku", "name", "category", "price", "is_active", "created"]
    cl = stock_admin.get_changelist_instance(request)
    cl.formset = None
    assert not hasattr(cl, "toolkit_result_list_context")
    context = Context({"cl": cl, "opts": cl.opts})
    ours = Template("{% load toolkit_admin_list %}{% toolkit_result_list cl %}").render(context)
    djangos = Template("{% load admin_list %}{% result_list cl %}").render(context)
    assert "<tbody>" in ours
    assert ours == djangos


def test_the_page_is_the_same_with_either_renderer(client, superuser, odd_products, monkeypatch):
    client.force_login(superuser)
    url = "/rows/catalog/product/?o=2"

    def page():
        response = client.get(url)
        assert response.status_code == 200
        # The CSRF token is masked anew on every response.
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode())

    drawn = []
    original = rows.result_rows
    monkeypatch.setattr(rows, "result_rows", lambda cl: drawn.append(cl) or original(cl))
    fast = page()
    assert len(drawn) == 1  # the page's rows came from the toolkit's renderer
    monkeypatch.setattr(type(site._registry[Product]), "fast_result_rows", False)
    assert page() == fast
    assert len(drawn) == 1
