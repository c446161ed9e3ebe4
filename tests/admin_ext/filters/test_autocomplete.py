"""``RelatedAutocompleteFilter``: one related row, picked with the admin's autocomplete."""

from __future__ import annotations

import re

import pytest

from demo.catalog.models import Review, Supplier
from tests.admin_ext.filters.helpers import (
    AUTOCOMPLETE,
    PRODUCTS,
    REVIEWS,
    choices_of,
    count_queries,
    form_inputs,
    skus,
    warnings_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_filters")]


def test_autocomplete_filter_keeps_rows_of_the_picked_supplier(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"supplier__id__exact": shop.acme.pk})
    assert skus(response) == ["A1", "B1"]
    selected = [c["display"] for c in choices_of(response, "supplier") if c["selected"]]
    assert selected == ["Acme"]


def test_autocomplete_filter_renders_the_admin_select2_widget(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"supplier__id__exact": shop.globex.pk, "q": "Pro"})
    html = response.content.decode()
    (select,) = re.findall(
        r"<select [^>]*data-toolkit-autocomplete-filter[^>]*>.*?</select>", html, re.S
    )
    assert 'class="admin-autocomplete"' in select
    assert f'data-ajax--url="{AUTOCOMPLETE}"' in select
    assert 'data-app-label="catalog" data-model-name="product" data-field-name="supplier"' in select
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == ["", "Globex"]
    assert '<label for="toolkit-filter-supplier-select">Search suppliers</label>' in html
    # Its form carries the search; the page loads select2 and the admin's autocomplete.js.
    assert ("q", "Pro") in form_inputs(response, "supplier")["hidden"]
    for asset in [
        "admin/js/vendor/select2/select2.full",
        "admin/js/autocomplete.js",
        "toolkit/admin_ext/filters.js",
        "toolkit/admin_ext/filters.css",
    ]:
        assert asset in html


def test_autocomplete_filter_never_renders_nor_queries_the_related_table(admin_client, shop):
    params = {"supplier__id__exact": shop.acme.pk, "_facets": "1"}
    few, _ = count_queries(admin_client, PRODUCTS, params)
    Supplier.objects.bulk_create(
        [Supplier(name=f"Far supplier {i:03d}", country="NL") for i in range(300)]
    )
    many, response = count_queries(admin_client, PRODUCTS, params)
    assert many == few
    assert "Far supplier" not in response.content.decode()


def test_autocomplete_endpoint_answers_for_the_filter_field(admin_client, shop):
    response = admin_client.get(
        AUTOCOMPLETE,
        {"app_label": "catalog", "model_name": "product", "field_name": "supplier", "term": "glo"},
    )
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(shop.globex.pk), "text": "Globex"}]


def test_selected_supplier_label_is_escaped(admin_client, shop):
    html = admin_client.get(PRODUCTS, {"supplier__id__exact": shop.evil.pk}).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<b>x</b>" not in html


@pytest.mark.parametrize("value", ["notanumber", "999999", "1.5", "-", "9" * 400])
def test_unusable_supplier_id_is_a_warning_and_the_other_filters_still_apply(
    admin_client, shop, value
):
    response = admin_client.get(PRODUCTS, {"supplier__id__exact": value, "status__in": "active"})
    assert response.status_code == 200
    assert skus(response) == ["A1", "B1"]
    (warning,) = warnings_of(response)
    assert "supplier__id__exact" in warning


def test_autocomplete_filter_counts_the_selection_with_facets(admin_client, shop):
    response = admin_client.get(
        PRODUCTS, {"supplier__id__exact": shop.acme.pk, "status__in": "active", "_facets": "1"}
    )
    selected = [c["display"] for c in choices_of(response, "supplier") if c["selected"]]
    assert selected == ["Acme (2)"]


def test_autocomplete_filter_reaches_through_a_relation(admin_client, shop):
    Review.objects.create(product=shop.products["A1"], rating=5, text="good", author="Ann")
    Review.objects.create(product=shop.products["C1"], rating=2, text="meh", author="Bob")
    response = admin_client.get(REVIEWS, {"product__supplier__id__exact": shop.evil.pk})
    assert [r.author for r in response.context["cl"].result_list] == ["Bob"]
    response = admin_client.get(REVIEWS, {"product__status__in": "active,draft"})
    assert [r.author for r in response.context["cl"].result_list] == ["Ann"]
