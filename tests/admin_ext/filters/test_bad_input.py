"""Bad filter input is a warning and the rest of the page, never a 500 nor ``?e=1``.

Django's own filters, raw lookups and the date hierarchy with ``FiltersMixin``; the
toolkit's filters without it.
"""

from __future__ import annotations

import pytest
from django.contrib import admin, messages
from django.contrib.messages.storage.cookie import CookieStorage

from demo.catalog.models import Product
from tests.admin_ext.filters.helpers import (
    PLAIN_PRODUCTS,
    PRODUCTS,
    link_params,
    skus,
    warnings_of,
)
from toolkit.admin_ext.filters import MultiSelectFilter, NumericRangeFilter

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_filters")]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"category__id__exact": "notanumber"}, "“category” filter was ignored"),
        ({"is_active__exact": "maybe"}, "“is active” filter was ignored"),
        ({"nosuchfield": "1"}, "nosuchfield is not a filter of this list"),
        ({"supplier__name": "Acme"}, "Filtering by supplier__name is not allowed"),
        ({"price__bogus": "1"}, "price__bogus is not a filter of this list"),
        ({"price": "cheap"}, "price was ignored"),
        ({"created__year": "abc"}, "date drill-down was ignored"),
        ({"created__year": "2025", "created__month": "13"}, "date drill-down was ignored"),
        ({"created__year": "2025", "created__month": "2", "created__day": "30"}, "drill-down"),
        ({"created__year": "9999"}, "date drill-down was ignored"),
    ],
)
def test_bad_input_to_django_filters_is_a_warning_and_keeps_the_rest(
    admin_client, shop, params, fragment
):
    response = admin_client.get(PLAIN_PRODUCTS, {**params, "status__exact": "active", "q": "Pro"})
    assert response.status_code == 200
    assert skus(response) == ["A1", "B1"]
    (warning,) = warnings_of(response)
    assert fragment in warning
    cl = response.context["cl"]
    assert link_params(cl.get_query_string()) == {"q": ["Pro"], "status__exact": ["active"]}
    assert link_params(cl.clear_all_filters_qs) == {"q": ["Pro"]}


def test_a_simple_list_filter_parameter_is_not_mistaken_for_an_unknown_field(admin_client, shop):
    response = admin_client.get(PLAIN_PRODUCTS, {"band": "cheap", "nosuchfield": "1"})
    assert skus(response) == ["A1"]
    assert len(warnings_of(response)) == 1


def test_every_bad_parameter_gets_its_own_warning(admin_client, shop):
    response = admin_client.get(
        PLAIN_PRODUCTS,
        {"category__id__exact": "x", "nosuchfield": "1", "supplier__name": "A", "band": "dear"},
    )
    assert response.status_code == 200
    assert skus(response) == ["A2", "B1", "C1"]
    assert len(warnings_of(response)) == 3


def test_plain_django_would_drop_everything_for_the_same_input(rf, superuser, shop):
    """Why the mixin exists: the stock admin answers a bad value with ``?e=1``."""
    model_admin = admin.ModelAdmin(Product, admin.AdminSite(name="stock"))
    model_admin.list_filter = ["status", "category"]
    request = rf.get("/", {"category__id__exact": "notanumber", "status__exact": "active"})
    request.user = superuser
    response = model_admin.changelist_view(request)
    assert response.status_code == 302
    assert response["Location"] == "/?e=1"


def test_hostile_values_in_warnings_are_escaped(admin_client, shop):
    response = admin_client.get(
        PRODUCTS, {"price__gte": "<script>alert(1)</script>", "status__in": "<img src=x>"}
    )
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_warning_is_given_once_even_with_facets(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"price__gte": "abc", "_facets": "1"})
    assert len(warnings_of(response)) == 1


def test_filters_validate_on_their_own_without_the_mixin(rf, superuser, shop):
    class BareProductAdmin(admin.ModelAdmin):
        list_filter = [("price", NumericRangeFilter), ("status", MultiSelectFilter)]

    model_admin = BareProductAdmin(Product, admin.AdminSite(name="bare"))
    request = rf.get("/", {"price__gte": "abc", "status__in": "draft,active"})
    request.user = superuser
    request._messages = CookieStorage(request)
    cl = model_admin.get_changelist_instance(request)
    assert sorted(p.sku for p in cl.result_list) == ["A1", "A2", "B1"]
    assert [m.level for m in request._messages] == [messages.WARNING]
