"""The toolkit's changelist filters, through the admin as people use it.

Range, date, multi-select, autocomplete and empty filters; bad values in the query
string (a warning and the rest of the page, never a 500 nor Django's ``?e=1``); links and
forms that keep the rest of the query string; facets; query counts that do not grow
with the number of options; escaping; the system checks ``toolkit.E020``-``E025`` and
``toolkit.W020``.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin, messages
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demo.catalog.models import Category, Product, Review, Supplier, Tag
from toolkit.admin_ext.filters import (
    DateRangeFilter,
    FiltersMixin,
    IsEmptyFilter,
    MultiSelectFilter,
    NumericRangeFilter,
    RelatedAutocompleteFilter,
    check_filters_mixin,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_filters")]

PRODUCTS = "/admin/catalog/product/"
REVIEWS = "/admin/catalog/review/"
CATEGORIES = "/admin/catalog/category/"
PLAIN_PRODUCTS = "/plain-admin/catalog/product/"
AUTOCOMPLETE = "/admin/autocomplete/"
UTC = datetime.UTC


# --- fixtures and helpers ------------------------------------------------------------


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    """Every test here logs someone in; the production hasher would make each one take
    seconds (it runs before the people fixtures create their users)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(db):
    """Four products over three categories and three suppliers (one with markup)."""
    now = timezone.now()
    cables = Category.objects.create(name="Cables", slug="cables")
    chargers = Category.objects.create(name="Chargers", slug="chargers")
    usb = Category.objects.create(name="USB", slug="usb", parent=cables)
    acme = Supplier.objects.create(name="Acme", country="DE")
    globex = Supplier.objects.create(name="Globex", country="US")
    evil = Supplier.objects.create(name="<b>x</b>", country="FR")

    def make(sku, price, stock, status, category, supplier, created, description=""):
        return Product.objects.create(
            sku=sku,
            name=f"Product {sku}",
            category=category,
            supplier=supplier,
            price=Decimal(price),
            cost=Decimal("1.00"),
            stock=stock,
            status=status,
            created=created,
            description=description,
        )

    products = {
        "A1": make("A1", "5.00", 10, "active", cables, acme, now),
        "A2": make(
            "A2", "10.00", 0, "draft", usb, globex, now - datetime.timedelta(days=3), "Braided"
        ),
        "B1": make(
            "B1", "25.50", 5, "active", chargers, acme, now - datetime.timedelta(days=20), "Fast"
        ),
        "C1": make(
            "C1", "49.99", 100, "discontinued", chargers, evil, now - datetime.timedelta(days=60)
        ),
    }
    return SimpleNamespace(
        cables=cables,
        chargers=chargers,
        usb=usb,
        acme=acme,
        globex=globex,
        evil=evil,
        products=products,
    )


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def skus(response):
    return sorted(p.sku for p in response.context["cl"].result_list)


def warnings_of(response):
    return [str(m.message) for m in response.context["messages"] if m.level == messages.WARNING]


def hrefs(response):
    """Every link and form field value of the page, unescaped."""
    html = response.content.decode()
    return [v.replace("&amp;", "&") for v in re.findall(r'(?:href|value)="([^"]*)"', html)]


def spec_titled(response, title):
    cl = response.context["cl"]
    return cl, next(spec for spec in cl.filter_specs if str(spec.title) == title)


def choices_of(response, title):
    cl, spec = spec_titled(response, title)
    return list(spec.choices(cl))


def link_params(query_string):
    return parse_qs(urlsplit(query_string).query)


def form_inputs(response, title):
    """The hidden inputs and fields of a filter's form, as rendered for the page."""
    (form,) = [c["form"] for c in choices_of(response, title) if "form" in c]
    return form


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries.captured_queries), response


# --- NumericRangeFilter --------------------------------------------------------------


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


# --- DateRangeFilter -----------------------------------------------------------------


@pytest.fixture
def january(db, shop):
    """Products made at the edges of 31 January 2025 (UTC)."""
    made = {}
    for sku, moment in [
        ("J1", datetime.datetime(2025, 1, 1, 0, 0, tzinfo=UTC)),
        ("J31", datetime.datetime(2025, 1, 31, 23, 30, tzinfo=UTC)),
        ("F1", datetime.datetime(2025, 2, 1, 0, 30, tzinfo=UTC)),
    ]:
        made[sku] = Product.objects.create(
            sku=sku,
            name=sku,
            category=shop.cables,
            supplier=shop.acme,
            price=Decimal("1.00"),
            cost=Decimal("1.00"),
            created=moment,
        )
    return made


def test_date_range_includes_its_last_day(admin_client, january):
    response = admin_client.get(
        PRODUCTS, {"created__gte": "2025-01-01", "created__lte": "2025-01-31"}
    )
    assert skus(response) == ["J1", "J31"]


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_days_are_those_of_the_current_time_zone(admin_client, january):
    # 31 January 23:30 UTC is 1 February 08:30 in Tokyo.
    response = admin_client.get(
        PRODUCTS, {"created__gte": "2025-02-01", "created__lte": "2025-02-01"}
    )
    assert skus(response) == ["F1", "J31"]


def test_a_bound_may_be_an_exact_moment(admin_client, january):
    response = admin_client.get(
        PRODUCTS, {"created__gte": "2025-01-31T12:00", "created__lte": "2025-02-01T00:00"}
    )
    assert skus(response) == ["J31"]


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_presets_are_today_last_7_days_and_this_month_in_the_current_time_zone(admin_client, shop):
    response = admin_client.get(PRODUCTS)
    today = datetime.datetime.now(ZoneInfo("Asia/Tokyo")).date()
    links = {c["display"]: link_params(c["query_string"]) for c in choices_of(response, "created")}
    assert links["Today"] == {"created__gte": [str(today)], "created__lte": [str(today)]}
    assert links["Last 7 days"] == {
        "created__gte": [str(today - datetime.timedelta(days=6))],
        "created__lte": [str(today)],
    }
    first = today.replace(day=1)
    next_first = (first + datetime.timedelta(days=32)).replace(day=1)
    assert links["This month"] == {
        "created__gte": [str(first)],
        "created__lte": [str(next_first - datetime.timedelta(days=1))],
    }


def test_following_a_preset_selects_it_and_filters(admin_client, shop):
    today = timezone.localdate()
    choices = choices_of(admin_client.get(PRODUCTS), "created")
    (last_week,) = [c for c in choices if c["display"] == "Last 7 days"]
    response = admin_client.get(PRODUCTS + last_week["query_string"])
    expected = sorted(
        sku
        for sku, p in shop.products.items()
        if today - datetime.timedelta(days=6) <= timezone.localtime(p.created).date() <= today
    )
    assert skus(response) == expected
    selected = [c["display"] for c in choices_of(response, "created") if c["selected"]]
    assert selected == ["Last 7 days"]


def test_date_presets_show_counts_with_facets(admin_client, shop):
    today = timezone.localdate()
    response = admin_client.get(PRODUCTS, {"_facets": "1"})
    displays = [c["display"] for c in choices_of(response, "created")]
    in_month = sum(
        timezone.localtime(p.created).date().replace(day=1) == today.replace(day=1)
        for p in shop.products.values()
    )
    assert f"This month ({in_month})" in displays
    assert "Today (1)" in displays


@pytest.mark.parametrize(
    "value",
    [
        "2025-99-99",
        "2025-02-30",
        "yesterday",
        "2025-01-01x",
        "99999-01-01",
        "2025-01-01T25:00",
        "<i>",
    ],
)
def test_unusable_date_is_a_warning_and_the_other_filters_still_apply(admin_client, shop, value):
    response = admin_client.get(PRODUCTS, {"created__gte": value, "status__in": "draft"})
    assert response.status_code == 200
    assert skus(response) == ["A2"]
    (warning,) = warnings_of(response)
    assert "created__gte" in warning


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_a_day_the_database_cannot_hold_in_utc_is_refused(admin_client, shop):
    # Midnight of 1 January of year 1 in Tokyo is still year 0 in UTC.
    response = admin_client.get(PRODUCTS, {"created__gte": "0001-01-01"})
    assert response.status_code == 200
    assert "out of range" in warnings_of(response)[0]
    assert len(skus(response)) == 4


def test_the_last_day_of_the_calendar_is_a_valid_end(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"created__lte": "9999-12-31"})
    assert response.status_code == 200
    assert warnings_of(response) == []
    assert len(skus(response)) == 4


def test_date_form_uses_labelled_date_inputs(admin_client, shop):
    html = admin_client.get(PRODUCTS, {"created__gte": "2025-01-01"}).content.decode()
    assert '<label for="toolkit-filter-created-min">From</label>' in html
    assert (
        '<input type="date" id="toolkit-filter-created-min" name="created__gte" value="2025-01-01">'
        in html
    )


# --- MultiSelectFilter ---------------------------------------------------------------


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


# --- RelatedAutocompleteFilter -------------------------------------------------------


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


# --- IsEmptyFilter -------------------------------------------------------------------


def test_empty_text_means_blank(admin_client, shop):
    assert skus(admin_client.get(PRODUCTS, {"description__isempty": "1"})) == ["A1", "C1"]
    assert skus(admin_client.get(PRODUCTS, {"description__isempty": "0"})) == ["A2", "B1"]


def test_empty_foreign_key_means_null(admin_client, shop):
    response = admin_client.get(CATEGORIES, {"parent__isempty": "1"})
    assert sorted(c.name for c in response.context["cl"].result_list) == ["Cables", "Chargers"]
    response = admin_client.get(CATEGORIES, {"parent__isempty": "0"})
    assert [c.name for c in response.context["cl"].result_list] == ["USB"]


def test_empty_filter_counts_both_sides_with_facets(admin_client, shop):
    response = admin_client.get(PRODUCTS, {"status__in": "active", "_facets": "1"})
    displays = [c["display"] for c in choices_of(response, "description")]
    assert displays == ["All", "Empty (1)", "Not empty (1)"]


@pytest.mark.parametrize("value", ["maybe", "2", "true", "<b>"])
def test_unusable_empty_choice_is_a_warning_not_a_redirect(admin_client, shop, value):
    response = admin_client.get(PRODUCTS, {"description__isempty": value, "status__in": "draft"})
    assert response.status_code == 200
    assert skus(response) == ["A2"]
    assert "description__isempty" in warnings_of(response)[0]


# --- bad input to Django's own filters, with FiltersMixin ------------------------------


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


# --- people ----------------------------------------------------------------------------


def test_view_only_staff_filter_and_search_suppliers(client, viewer, shop):
    client.force_login(viewer)
    response = client.get(
        PRODUCTS, {"supplier__id__exact": shop.acme.pk, "price__lte": "10", "status__in": "active"}
    )
    assert response.status_code == 200
    assert skus(response) == ["A1"]
    assert "data-toolkit-autocomplete-filter" in response.content.decode()
    response = client.get(
        AUTOCOMPLETE,
        {"app_label": "catalog", "model_name": "product", "field_name": "supplier", "term": "ac"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Acme"]


def test_staff_who_cannot_view_suppliers_see_the_selection_but_no_search(
    client, django_user_model, shop
):
    staff = django_user_model.objects.create_user("clerk", password="pw-clerk-123", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename="view_product")
    )
    client.force_login(staff)
    response = client.get(PRODUCTS, {"supplier__id__exact": shop.acme.pk})
    assert response.status_code == 200
    assert skus(response) == ["A1", "B1"]
    assert "data-toolkit-autocomplete-filter" not in response.content.decode()


def test_staff_without_view_permission_are_refused(client, django_user_model, shop):
    staff = django_user_model.objects.create_user("temp", password="pw-temp-123", is_staff=True)
    client.force_login(staff)
    assert client.get(PRODUCTS, {"price__gte": "abc"}).status_code == 403


def test_people_who_are_not_staff_are_sent_to_log_in(client, customer, shop):
    client.force_login(customer)
    response = client.get(PRODUCTS, {"price__gte": "1"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- without FiltersMixin --------------------------------------------------------------


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


# --- system checks -----------------------------------------------------------------------


@pytest.fixture
def scratch_site():
    site = admin.AdminSite(name="scratch")
    yield site
    site._registry.clear()  # keep it out of every later run of the checks


def toolkit_ids(model_admin):
    return [m.id for m in model_admin.check() if m.id.startswith("toolkit.")]


def product_admin(site, *list_filter):
    class CheckedAdmin(FiltersMixin, admin.ModelAdmin):
        pass

    CheckedAdmin.list_filter = list(list_filter)
    return CheckedAdmin(Product, site)


def test_well_configured_filters_pass_the_checks(scratch_site):
    scratch_site.register(Supplier, search_fields=["name"])
    model_admin = product_admin(
        scratch_site,
        ("price", NumericRangeFilter),
        ("stock", NumericRangeFilter),
        ("created", DateRangeFilter),
        ("status", MultiSelectFilter),
        ("tags", MultiSelectFilter),
        ("supplier", RelatedAutocompleteFilter),
        ("description", IsEmptyFilter),
    )
    assert toolkit_ids(model_admin) == []


@pytest.mark.parametrize(
    "entry",
    [("name", NumericRangeFilter), ("created", NumericRangeFilter), ("price", DateRangeFilter)],
)
def test_range_filter_on_a_field_of_the_wrong_type_is_E020(scratch_site, entry):
    model_admin = product_admin(scratch_site, entry)
    messages_ = model_admin.check()
    assert [m.id for m in messages_ if m.id.startswith("toolkit.")] == ["toolkit.E020"]
    assert "list_filter[0]" in messages_[-1].msg
    assert messages_[-1].hint


def test_autocomplete_filter_whose_related_admin_has_no_search_fields_is_E021(scratch_site):
    scratch_site.register(Supplier)
    model_admin = product_admin(scratch_site, ("supplier", RelatedAutocompleteFilter))
    assert toolkit_ids(model_admin) == ["toolkit.E021"]


def test_autocomplete_filter_whose_related_model_is_not_registered_is_E022(scratch_site):
    model_admin = product_admin(scratch_site, ("supplier", RelatedAutocompleteFilter))
    assert toolkit_ids(model_admin) == ["toolkit.E022"]


@pytest.mark.parametrize("field", ["tags", "name"])
def test_autocomplete_filter_on_a_field_that_is_not_a_foreign_key_is_E023(scratch_site, field):
    model_admin = product_admin(scratch_site, (field, RelatedAutocompleteFilter))
    assert toolkit_ids(model_admin) == ["toolkit.E023"]


def test_multi_select_on_a_field_without_options_is_E024(scratch_site):
    model_admin = product_admin(scratch_site, ("name", MultiSelectFilter))
    assert toolkit_ids(model_admin) == ["toolkit.E024"]


@pytest.mark.parametrize("field", ["price", "supplier", "is_active"])
def test_empty_filter_on_a_field_that_is_never_empty_is_E025(scratch_site, field):
    model_admin = product_admin(scratch_site, (field, IsEmptyFilter))
    assert toolkit_ids(model_admin) == ["toolkit.E025"]


def test_toolkit_filters_without_the_mixin_are_W020(scratch_site):
    class NoMixinAdmin(admin.ModelAdmin):
        list_filter = [("price", NumericRangeFilter), ("status", MultiSelectFilter)]

    scratch_site.register(Product, NoMixinAdmin)
    warnings = [m for m in check_filters_mixin() if m.obj is NoMixinAdmin]
    assert [m.id for m in warnings] == ["toolkit.W020"]
    assert "FiltersMixin" in warnings[0].hint


def test_the_test_sites_pass_every_toolkit_check():
    assert [m for m in check_filters_mixin() if m.id.startswith("toolkit.")] == []
    from tests.admin_ext import site_filters

    for site in (site_filters.site, site_filters.plain_site):
        for model_admin in site._registry.values():
            assert toolkit_ids(model_admin) == []
