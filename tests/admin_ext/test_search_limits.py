"""Searches the database would refuse are a message and a rendered page, never a 500.

SQLite refuses a 50,000-byte ``LIKE`` pattern and a thousand nested conditions;
PostgreSQL refuses the NUL character; Python cannot hold the day after 9999-12-31.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin, messages
from django.core import checks
from django.test import RequestFactory, override_settings

from demo.catalog.models import Category, Product, Supplier
from tests.admin_ext.site_search import PLAIN, ProductSearchAdmin
from toolkit.admin_ext.search import SearchMixin

pytestmark = pytest.mark.urls("tests.admin_ext.site_search")

PRODUCTS = "/admin/catalog/product/"
FULLTEXT = "/fulltext-admin/catalog/product/"
ALL = ["C-1", "C-2", "P-1"]


@pytest.fixture
def products(db):
    category = Category.objects.create(name="All", slug="all")
    supplier = Supplier.objects.create(name="Acme")
    made = datetime.datetime(2025, 1, 1, 12, tzinfo=datetime.UTC)
    for sku, name in [("C-1", "usb cable"), ("C-2", "hdmi cable"), ("P-1", "power brick")]:
        Product.objects.create(
            sku=sku,
            name=name,
            category=category,
            supplier=supplier,
            price=Decimal("1.00"),
            cost=Decimal("1.00"),
            created=made,
        )


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)
    return client


def search(client, q, url=PRODUCTS):
    """(SKUs listed, warning messages); the page must render."""
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    warnings = [m.message for m in response.context["messages"] if m.level == messages.WARNING]
    return sorted(obj.sku for obj in response.context["cl"].result_list), warnings


def direct(model_admin, q):
    """(SKUs the admin's search finds, messages it reports) without a page."""
    reported = []
    model_admin.message_user = lambda request, message, level, **kw: reported.append(message)
    queryset, _ = model_admin.get_search_results(
        RequestFactory().get("/"), Product.objects.all(), q
    )
    return sorted(queryset.values_list("sku", flat=True)), reported


# --- Length -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PRODUCTS, PLAIN])
def test_a_100_kb_search_is_a_message_and_the_unfiltered_list(root_client, products, url):
    listed, warnings = search(root_client, "cable" + "x" * 100_000, url=url)
    assert listed == ALL
    assert len(warnings) == 1
    assert "not applied" in warnings[0]
    assert "100005 characters" in warnings[0]


def test_a_search_of_the_maximum_length_is_applied(root_client, products):
    q = "cable " + "c" * (SearchMixin.search_max_length - 6)
    assert len(q) == SearchMixin.search_max_length
    assert search(root_client, q) == ([], [])


def test_the_length_limit_has_a_hook(products):
    class Short(SearchMixin, admin.ModelAdmin):
        search_fields = ["name"]

        def get_search_max_length(self, request):
            return 5

    listed, reported = direct(Short(Product, admin.site), "cable")
    assert listed == ["C-1", "C-2"]
    listed, reported = direct(Short(Product, admin.site), "cables")
    assert listed == ALL
    assert "at most 5" in reported[0]


# --- Number of terms --------------------------------------------------------------------


def test_thousands_of_terms_are_a_message_and_the_first_ones_used(products):
    class Roomy(SearchMixin, admin.ModelAdmin):
        search_fields = ["name", "sku"]
        search_max_length = 100_000

    q = "cable " + " ".join(f"-w{i}" for i in range(5000))
    listed, reported = direct(Roomy(Product, admin.site), q)
    assert listed == ["C-1", "C-2"]
    assert len(reported) == 1
    assert "first 32 terms" in reported[0]
    # The first ignored terms are named, the others counted.
    assert "-w31 -w32" in reported[0]
    assert "and 4959 more" in reported[0]


def test_repeated_words_count_once_toward_the_limit(root_client, products):
    assert search(root_client, "cable " * 150) == (["C-1", "C-2"], [])


def test_the_term_limit_has_a_hook(products):
    class Few(SearchMixin, admin.ModelAdmin):
        search_fields = ["name"]

        def get_search_max_terms(self, request):
            return 2

    listed, reported = direct(Few(Product, admin.site), "cable usb -hdmi")
    assert listed == ["C-1"]
    assert reported == ["The search uses its first 2 terms; ignored: -hdmi"]


@pytest.mark.parametrize("name", ["search_max_terms", "search_max_length"])
@pytest.mark.parametrize("value", [0, -1, None, "10", 1.5, True])
def test_e015_limits_must_be_positive_integers(name, value):
    model_admin = type("Limited", (ProductSearchAdmin,), {name: value})(Product, admin.site)
    errors = [e for e in model_admin.check() if e.id == "toolkit.E015"]
    assert len(errors) == 1
    assert name in errors[0].msg
    assert errors[0].level == checks.ERROR


# --- NUL ------------------------------------------------------------------------------


def test_a_nul_character_leaves_out_its_term_with_a_message(products):
    listed, reported = direct(ProductSearchAdmin(Product, admin.site), "usb\x00 cable")
    assert listed == ["C-1", "C-2"]
    assert reported == ["Ignored “usb␀” in the search: it contains a NUL character."]


def test_a_nul_character_in_a_qualifier_value_leaves_out_that_qualifier(products):
    listed, reported = direct(ProductSearchAdmin(Product, admin.site), "sku:c-1\x00 cable")
    assert listed == ["C-1", "C-2"]
    assert len(reported) == 1 and "NUL" in reported[0]


def test_nul_characters_never_reach_the_query(products):
    model_admin = ProductSearchAdmin(Product, admin.site)
    request = RequestFactory().get("/")
    queryset, _ = model_admin.get_search_results(
        request, Product.objects.all(), 'cable "a\x00b" tag:\x00 -x\x00 created>=\x00'
    )
    _sql, params = queryset.query.sql_with_params()
    assert not any("\x00" in str(param) for param in params)
    assert sorted(queryset.values_list("sku", flat=True)) == ["C-1", "C-2"]


@pytest.mark.parametrize("url", [PRODUCTS, pytest.param(FULLTEXT, marks=pytest.mark.postgres)])
def test_the_changelist_answers_a_nul_character_as_django_does(root_client, products, url):
    # Django's own search form refuses the character before the search runs.
    response = root_client.get(url, {"q": "usb\x00 cable"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in [m.message for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        # The whole term is left out: the search is empty and lists everything.
        ("usb\x00", ["hdmi cable (C-2)", "power brick (P-1)", "usb cable (C-1)"]),
        ("cable usb\x00", ["hdmi cable (C-2)", "usb cable (C-1)"]),
        ("sku:\x00c-1 cable", ["hdmi cable (C-2)", "usb cable (C-1)"]),
    ],
)
def test_the_autocomplete_leaves_out_a_term_with_a_nul_character(
    root_client, products, term, expected
):
    # The autocomplete hands the term to get_search_results() without Django's form.
    response = root_client.get(
        "/admin/autocomplete/",
        {"term": term, "app_label": "catalog", "model_name": "review", "field_name": "product"},
    )
    assert response.status_code == 200
    assert sorted(result["text"] for result in response.json()["results"]) == expected


# --- The edges of the calendar ------------------------------------------------------------

EDGES = [
    ("created:9999-12-31", []),
    ("created=9999-12-31", []),
    ("created>9999-12-31", []),
    ("created>=9999-12-31", []),
    ("created<9999-12-31", ALL),
    ("created<=9999-12-31", ALL),
    ("created:0001-01-01", []),
    ("created<0001-01-01", []),
    ("created<=0001-01-01", []),
    ("created>0001-01-01", ALL),
    ("created>=0001-01-01", ALL),
    ("-created>=9999-12-31", ALL),
    ("-created<0001-01-01", ALL),
    ("day:9999-12-31", []),
    ("day<=0001-01-01", []),
]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/Chicago", "Pacific/Kiritimati"])
@pytest.mark.parametrize(("q", "expected"), EDGES)
def test_dates_at_the_edges_of_the_calendar_compare_like_any_date(
    root_client, products, zone, q, expected
):
    with override_settings(TIME_ZONE=zone):
        assert search(root_client, q) == (expected, [])


@pytest.mark.parametrize(
    ("zone", "q"),
    [
        ("America/Chicago", "created>=9999-12-31T23:59:59"),
        ("Asia/Tokyo", "created<0001-01-01T00:00:00"),
    ],
)
def test_a_moment_the_database_cannot_store_is_a_message(root_client, products, zone, q):
    with override_settings(TIME_ZONE=zone):
        listed, warnings = search(root_client, f"{q} cable")
    assert listed == ["C-1", "C-2"]
    assert len(warnings) == 1
    assert f"“{q}”" in warnings[0] and "out of range" in warnings[0]
