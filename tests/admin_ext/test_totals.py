"""TotalsMixin: one aggregate query over the filtered changelist, shown under the columns."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.catalog.models import Category, Product, Supplier
from tests.admin_ext import site_views
from toolkit.admin_ext import TotalsMixin
from toolkit.exceptions import ToolkitConfigurationError

pytestmark = pytest.mark.urls("tests.admin_ext.site_views")

URL = "/admin/catalog/product/"
CREATED = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def product_admin(monkeypatch):
    """The registered ProductAdmin; attributes set through it are undone after the test."""
    model_admin = site_views.site.get_model_admin(Product)

    def set_attr(name, value):
        monkeypatch.setattr(model_admin, name, value, raising=False)

    model_admin.set = set_attr
    yield model_admin
    del model_admin.set


@pytest.fixture
def products(db):
    category = Category.objects.create(name="Cables", slug="cables")
    supplier = Supplier.objects.create(name="Acme", country="DE")
    rows = [
        # sku, name, price, stock, weight, status
        ("C-1", "USB cable", "10.00", 5, "0.100", "active"),
        ("C-2", "HDMI cable", "20.00", 15, "0.250", "active"),
        ("C-3", "USB charger", "25.50", 40, "1.250", "draft"),
        ("C-4", "Lamp", "7.25", 100, "2.000", "discontinued"),
    ]
    created = []
    for i, (sku, name, price, stock, weight, status) in enumerate(rows):
        created.append(
            Product.objects.create(
                sku=sku,
                name=name,
                category=category,
                supplier=supplier,
                price=Decimal(price),
                cost=Decimal("1.00"),
                stock=stock,
                weight=Decimal(weight),
                status=status,
                created=CREATED + timedelta(days=i),
            )
        )
    return created


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def totals_by_column(response):
    return {
        cell.column: cell.display
        for cell in response.context["toolkit_totals"].cells
        if cell.aggregate
    }


def tfoot(response):
    match = re.search(r"<tfoot.*?</tfoot>", response.content.decode(), re.S)
    assert match, "no totals row on the page"
    return match.group(0)


def test_totals_cover_every_matching_row_not_just_the_page(admin_client, products, product_admin):
    product_admin.set("list_per_page", 2)

    response = admin_client.get(URL)

    assert len(response.context["cl"].result_list) == 2
    totals = totals_by_column(response)
    assert totals["price"] == "15.69"  # (10 + 20 + 25.50 + 7.25) / 4, two decimals
    assert totals["stock"] == "160"
    assert totals["weight"] == "2.000"  # max, three decimals like the column


def test_filters_change_the_totals(admin_client, products):
    response = admin_client.get(URL, {"status__exact": "active"})

    totals = totals_by_column(response)
    assert totals["price"] == "15.00"
    assert totals["stock"] == "20"


def test_search_changes_the_totals(admin_client, products):
    response = admin_client.get(URL, {"q": "usb"})

    totals = totals_by_column(response)
    assert totals["price"] == "17.75"
    assert totals["stock"] == "45"


def test_search_and_filter_together(admin_client, products):
    response = admin_client.get(URL, {"q": "usb", "status__exact": "draft"})

    assert totals_by_column(response)["stock"] == "40"


def test_totals_cost_exactly_one_aggregate_query(admin_client, products, product_admin):
    admin_client.get(URL)  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as with_totals:
        admin_client.get(URL, {"status__exact": "active"})
    product_admin.set("list_totals", {})
    with CaptureQueriesContext(connection) as without_totals:
        response = admin_client.get(URL, {"status__exact": "active"})

    assert response.context.get("toolkit_totals") is None
    assert len(with_totals.captured_queries) == len(without_totals.captured_queries) + 1
    extra = [q["sql"] for q in with_totals.captured_queries if "AVG(" in q["sql"].upper()]
    assert len(extra) == 1
    assert "SUM(" in extra[0].upper() and "MAX(" in extra[0].upper()
    assert "status" in extra[0] and "active" in extra[0]  # over the filtered queryset


def test_a_page_without_results_runs_no_aggregate(admin_client, products):
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(URL, {"q": "no such product"})

    assert response.status_code == 200
    assert "<tfoot" not in response.content.decode()
    assert not [q for q in ctx.captured_queries if "AVG(" in q["sql"].upper()]


def test_above_the_row_limit_the_row_asks_for_a_filter_instead_of_aggregating(
    admin_client, products, product_admin, settings
):
    settings.USE_THOUSAND_SEPARATOR = True
    product_admin.set("list_totals_max_rows", 3)

    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(URL)

    row = tfoot(response)
    assert "Totals are computed for at most 3 rows: filter or search the list" in row
    assert f'colspan="{len(response.context["cl"].list_display)}"' in row
    assert not [q for q in ctx.captured_queries if "AVG(" in q["sql"].upper()]
    filtered = admin_client.get(URL, {"status__exact": "active"})
    assert totals_by_column(filtered)["stock"] == "20"


def test_the_totals_row_lines_up_with_the_columns(admin_client, products):
    response = admin_client.get(URL)

    cl = response.context["cl"]
    row = tfoot(response)
    spans = [int(n) for n in re.findall(r'colspan="(\d+)"', row)]
    cells = len(re.findall(r"<td\b", row))
    assert sum(spans) + cells == len(cl.list_display)
    # action checkbox, sku, name, category come before price: the heading spans them.
    assert spans == [cl.list_display.index("price")]
    order = re.findall(r'<td class="toolkit-total field-(\w+)"', row)
    assert order == list(cl.list_display[cl.list_display.index("price") :])


def test_each_total_is_labelled(admin_client, products):
    row = tfoot(admin_client.get(URL))

    assert "Totals" in row
    for label in ("Average", "Sum", "Maximum", "Minimum"):
        assert f'<span class="toolkit-total-label">{label}</span>' in row


def test_dates_are_formatted_like_their_column(admin_client, products):
    response = admin_client.get(URL)

    assert totals_by_column(response)["created"] == "March 4, 2025, noon"


def test_totals_follow_the_sites_number_formatting(admin_client, products, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    Product.objects.filter(sku="C-4").update(stock=100_000)

    response = admin_client.get(URL)

    assert totals_by_column(response)["stock"] == "100,060"


def test_totals_are_grouped_by_thousands_even_without_use_thousand_separator(
    admin_client, products, settings
):
    settings.USE_THOUSAND_SEPARATOR = False
    Product.objects.filter(sku="C-4").update(stock=1_000_000, price=Decimal("1234567.25"))

    totals = totals_by_column(admin_client.get(URL))

    assert (totals["price"], totals["stock"]) == ("308,655.69", "1,000,060")


def test_grouping_uses_the_locales_separators(admin_client, products, settings):
    settings.LANGUAGE_CODE = "de"
    Product.objects.filter(sku="C-4").update(stock=1_000_000)

    totals = totals_by_column(admin_client.get(URL))

    assert totals["stock"] == "1.000.060"


def test_list_totals_grouping_off_formats_totals_like_the_cells(
    admin_client, products, product_admin, settings
):
    settings.USE_THOUSAND_SEPARATOR = False
    product_admin.set("list_totals_grouping", False)
    Product.objects.filter(sku="C-4").update(stock=1_000_000)

    assert totals_by_column(admin_client.get(URL))["stock"] == "1000060"


def test_totals_are_localized(admin_client, products, settings):
    settings.LANGUAGE_CODE = "de"

    response = admin_client.get(URL)

    assert totals_by_column(response)["price"] == "15,69"


def test_average_of_whole_numbers_shows_two_decimals_and_count_is_whole(
    admin_client, products, product_admin
):
    product_admin.set("list_totals", {"stock": "avg", "price": "count"})

    totals = totals_by_column(admin_client.get(URL))

    assert totals == {"stock": "40.00", "price": "4"}


def test_record_text_in_a_total_is_escaped(admin_client, products, product_admin):
    Product.objects.filter(sku="C-1").update(name="<script>alert(1)</script>")
    product_admin.set("list_totals", {"name": "min"})

    row = tfoot(admin_client.get(URL))

    assert "<script>" not in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row


def test_get_list_totals_decides_per_request(client, viewer, superuser, products, product_admin):
    product_admin.set(
        "get_list_totals",
        lambda request: {"price": "avg"} if request.user.is_superuser else {},
    )

    client.force_login(viewer)
    assert client.get(URL).context.get("toolkit_totals") is None
    client.force_login(superuser)
    assert totals_by_column(client.get(URL)) == {"price": "15.69"}


def test_view_only_staff_see_the_totals(client, viewer, products):
    client.force_login(viewer)

    response = client.get(URL)

    assert response.status_code == 200
    assert totals_by_column(response)["stock"] == "160"


def test_non_staff_are_sent_to_the_login_page(client, customer, products):
    client.force_login(customer)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("views_admin:login"))


def test_a_bad_filter_value_is_handled_by_the_changelist_not_the_totals(admin_client, products):
    response = admin_client.get(URL, {"stock__gte": "lots"}, follow=True)

    assert response.status_code == 200


def test_a_broken_get_list_totals_names_the_problem(admin_client, products, product_admin):
    product_admin.set("get_list_totals", lambda request: {"price": "median"})

    with pytest.raises(ToolkitConfigurationError, match="median"):
        admin_client.get(URL)


# --- system checks ---------------------------------------------------------------------


def check_ids(list_totals, list_display=("sku", "price", "stock", "name")):
    class Admin(TotalsMixin, admin.ModelAdmin):
        pass

    Admin.list_totals = list_totals
    Admin.list_display = list(list_display)
    messages = Admin(Product, admin.AdminSite()).check()
    assert all(m.hint for m in messages if m.id.startswith("toolkit."))
    return [m.id for m in messages if m.id.startswith("toolkit.")]


def test_check_accepts_valid_totals():
    assert check_ids({"price": "avg", "stock": "sum", "name": "count"}) == []


def test_check_rejects_an_unknown_aggregate():
    assert check_ids({"price": "median"}) == ["toolkit.E031"]


def test_check_rejects_an_unknown_field():
    assert check_ids({"margin": "sum"}) == ["toolkit.E031"]


def test_check_rejects_sum_or_avg_of_a_non_numeric_field():
    assert check_ids({"name": "sum", "status": "avg", "is_active": "sum"}) == ["toolkit.E031"] * 3


def test_check_rejects_a_relation_that_is_not_a_column():
    assert check_ids({"tags": "count"}) == ["toolkit.E031"]


def test_check_rejects_totals_that_are_not_a_dict():
    assert check_ids(["price"]) == ["toolkit.E031"]


def test_check_rejects_a_row_limit_that_is_not_a_count():
    class Admin(TotalsMixin, admin.ModelAdmin):
        list_display = ["price"]
        list_totals = {"price": "sum"}
        list_totals_max_rows = "many"

    messages = Admin(Product, admin.AdminSite()).check()

    assert [m.id for m in messages if m.id.startswith("toolkit.")] == ["toolkit.E031"]


def test_check_warns_about_a_total_outside_list_display():
    assert check_ids({"cost": "sum"}) == ["toolkit.W030"]


def test_the_test_site_passes_its_checks():
    model_admin = site_views.site.get_model_admin(Product)
    assert [m.id for m in model_admin.check() if m.id.startswith("toolkit.")] == []
