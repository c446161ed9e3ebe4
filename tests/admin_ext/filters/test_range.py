"""``NumericRangeFilter``: ``?price__gte=10&price__lte=50``, through the admin."""

from __future__ import annotations

import pytest

from tests.admin_ext.filters.helpers import (
    PRODUCTS,
    choices_of,
    form_inputs,
    hrefs,
    skus,
    warnings_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_filters")]


def test_price_range_keeps_rows_within_both_bounds_inclusive(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"price__gte": "10", "price__lte": "25.50"})
    assert response.status_code == 200
    assert skus(response) == ["A2", "B1"]
    assert warnings_of(response) == []


def test_a_range_may_have_one_bound(admin_client, shop):
    assert skus(admin_client.get(PRODUCTS, {"price__gte": "25"})) == ["B1", "C1"]
    assert skus(admin_client.get(PRODUCTS, {"stock__lte": "5"})) == ["A2", "B1"]


def test_decimal_bounds_round_toward_what_they_mean(admin_client, shop):
    # price >= 9.995 means price >= 10.00 for a two-decimal column; <= 10.004 is <= 10.00.
    assert skus(admin_client.get(PRODUCTS, {"price__gte": "9.995"})) == ["A2", "B1", "C1"]
    assert skus(admin_client.get(PRODUCTS, {"price__lte": "10.004"})) == ["A1", "A2"]


@pytest.mark.parametrize(
    "value",
    ["abc", "NaN", "-Infinity", "sNaN", "10,5", "0x10", "1e999999", "9" * 5000, "<b>1</b>"],
)
def test_unusable_price_bound_is_a_warning_and_the_other_filters_still_apply(
    admin_client, shop, value
):
    response = admin_client.get(PRODUCTS, {"price__gte": value, "status__in": "active"})
    assert response.status_code == 200
    assert skus(response) == ["A1", "B1"]
    (warning,) = warnings_of(response)
    assert "price__gte" in warning
    assert len(warning) < 300


@pytest.mark.parametrize("value", ["1.5", "1e3", "ten", "9" * 5000])
def test_integer_range_wants_whole_numbers(admin_client, shop, value):
    response = admin_client.get(PRODUCTS, {"stock__gte": value})
    assert response.status_code == 200
    assert skus(response) == ["A1", "A2", "B1", "C1"]
    assert "whole number" in warnings_of(response)[0]


def test_integer_bound_beyond_the_column_range_matches_nothing_without_error(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"stock__gte": str(10**30)})
    assert response.status_code == 200
    assert skus(response) == []
    response = admin_client.get(PRODUCTS, {"stock__gte": str(-(10**30))})
    assert skus(response) == ["A1", "A2", "B1", "C1"]


def test_ignored_bound_leaves_every_link_of_the_page(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"price__gte": "abc", "q": "Product"})
    assert response.status_code == 200
    assert not [h for h in hrefs(response) if "abc" in h]
    assert response.context["cl"].get_query_string() == "?q=Product"


def test_range_form_carries_the_rest_of_the_query_string(admin_client, shop):
    response = admin_client.get(
        PRODUCTS,
        {"q": "Product", "o": "2", "status__in": "active", "price__gte": "1", "_facets": "1"},
    )
    form = form_inputs(response, "price")
    assert sorted(form["hidden"]) == [
        ("_facets", "1"),
        ("o", "2"),
        ("q", "Product"),
        ("status__in", "active"),
    ]
    assert [(f["name"], f["value"]) for f in form["fields"]] == [
        ("price__gte", "1"),
        ("price__lte", ""),
    ]
    html = response.content.decode()
    assert '<label for="toolkit-filter-price-min">Minimum</label>' in html
    assert 'id="toolkit-filter-price-min" name="price__gte" value="1"' in html
    assert '<legend class="visually-hidden">price range</legend>' in html


def test_range_filter_counts_its_range_with_facets(admin_client, shop):
    response = admin_client.get(
        PRODUCTS, {"price__gte": "5", "price__lte": "20", "status__in": "active", "_facets": "1"}
    )
    assert skus(response) == ["A1"]
    displays = [c["display"] for c in choices_of(response, "price") if c["selected"]]
    assert displays == ["5 to 20 (1)"]
