"""``MultiSelectFilter``: ``?status__in=active,draft``, OR'ed, on choices and relations."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.catalog.models import Category, Tag
from tests.admin_ext.filters.helpers import (
    PRODUCTS,
    choices_of,
    count_queries,
    form_inputs,
    hrefs,
    link_params,
    skus,
    warnings_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_filters")]


def test_several_values_of_a_choices_field_are_ored(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"status__in": "active,draft"})
    assert skus(response) == ["A1", "A2", "B1"]


def test_repeated_parameters_mean_the_same_as_a_list(admin_client, shop):
    response = admin_client.get(PRODUCTS + "?status__in=active&status__in=draft")
    assert skus(response) == ["A1", "A2", "B1"]


def test_each_option_link_toggles_its_value(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"status__in": "active", "q": "Product"})
    links = {c["display"]: link_params(c["query_string"]) for c in choices_of(response, "status")}
    assert links["Draft"] == {"q": ["Product"], "status__in": ["draft,active"]}
    assert links["Active"] == {"q": ["Product"]}  # selected: following it takes it out
    assert links["All"] == {"q": ["Product"]}
    html = response.content.decode()
    assert 'aria-current="true" class="toolkit-filter-toggle">Active' in html
    assert "(selected; follow to remove)" in html


def test_foreign_key_values_are_ored(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"category__id__in": f"{shop.usb.pk},{shop.chargers.pk}"})
    assert skus(response) == ["A2", "B1", "C1"]


def test_many_to_many_values_never_duplicate_rows(admin_client, shop):
    red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")
    shop.products["A1"].tags.set([red, blue])
    shop.products["B1"].tags.set([blue])
    response = admin_client.get(PRODUCTS, {"tags__id__in": f"{red.pk},{blue.pk}"})
    assert skus(response) == ["A1", "B1"]


def product_queries(client, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(PRODUCTS, params)
    sql = [q["sql"].upper() for q in captured.captured_queries if "catalog_product" in q["sql"]]
    return response, sql


def test_many_to_many_selection_is_an_exists_and_the_list_has_no_distinct(admin_client, shop):
    red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")
    shop.products["A1"].tags.set([red, blue])
    shop.products["B1"].tags.set([blue])
    response, sql = product_queries(admin_client, {"tags__id__in": f"{red.pk},{blue.pk}"})
    assert skus(response) == ["A1", "B1"]
    assert response.context["cl"].queryset.query.distinct is False
    assert sql and not any("DISTINCT" in q for q in sql)
    assert any("EXISTS" in q for q in sql)


def test_many_to_many_selection_still_combines_with_other_filters(admin_client, shop):
    """The EXISTS is correlated to each row: other filters still narrow the list."""
    blue = Tag.objects.create(name="blue")
    for sku in ("A1", "A2", "B1"):
        shop.products[sku].tags.add(blue)
    response = admin_client.get(PRODUCTS, {"tags__id__in": str(blue.pk), "status__in": "active"})
    assert skus(response) == ["A1", "B1"]


def test_a_raw_lookup_across_the_relation_still_gets_djangos_distinct(admin_client, shop):
    red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")
    shop.products["A1"].tags.set([red, blue])
    params = {"tags__id__in": f"{red.pk},{blue.pk}", "tags__isnull": "false"}
    response, _ = product_queries(admin_client, params)
    assert not warnings_of(response)
    assert skus(response) == ["A1"]  # joined to its two tags, listed once
    assert response.context["cl"].queryset.query.distinct is True


@pytest.mark.parametrize(
    ("params", "rows"),
    [
        ({"status__in": "bogus"}, ["A1", "A2", "B1", "C1"]),
        ({"status__in": "active,bogus"}, ["A1", "B1"]),
        ({"category__id__in": "notanumber"}, ["A1", "A2", "B1", "C1"]),
        ({"category__id__in": "999999"}, ["A1", "A2", "B1", "C1"]),
    ],
)
def test_values_that_are_not_options_are_a_warning_and_valid_ones_still_apply(
    admin_client, shop, params, rows
):
    response = admin_client.get(PRODUCTS, params)
    assert response.status_code == 200
    assert skus(response) == rows
    (warning,) = warnings_of(response)
    assert "not an option" in warning


def test_dropped_values_leave_the_links_and_valid_ones_stay(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"status__in": "active,bogus", "price__gte": "1"})
    assert not [h for h in hrefs(response) if "bogus" in h]
    price_form = form_inputs(response, "price")
    assert ("status__in", "active") in price_form["hidden"]


def test_options_show_counts_under_the_other_filters_with_facets(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"price__lte": "20", "_facets": "1"})
    displays = [c["display"] for c in choices_of(response, "status")]
    assert displays == ["All", "Draft (1)", "Active (1)", "Discontinued (0)"]
    category = [c["display"] for c in choices_of(response, "category")]
    assert "Cables > USB (1)" in category


def test_multi_select_escapes_option_labels(admin_client, shop):
    Category.objects.create(name="<i>c</i>", slug="evil")
    html = admin_client.get(PRODUCTS).content.decode()
    assert "&lt;i&gt;c&lt;/i&gt;" in html
    assert "<i>c</i>" not in html


def test_multi_select_queries_do_not_grow_with_its_options(admin_client, shop):
    params = {"category__id__in": str(shop.cables.pk), "_facets": "1"}
    few, _ = count_queries(admin_client, PRODUCTS, params)
    for i in range(40):
        Category.objects.create(name=f"Sub {i:02d}", slug=f"sub-{i}", parent=shop.chargers)
    many, response = count_queries(admin_client, PRODUCTS, params)
    assert many == few
    assert "Chargers &gt; Sub 39 (0)" in response.content.decode()
