"""``DateRangeFilter``: days of the current time zone, exact moments, presets."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from demo.catalog.models import Product
from tests.admin_ext.filters.helpers import (
    PRODUCTS,
    choices_of,
    link_params,
    skus,
    warnings_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_filters")]


UTC = datetime.UTC


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
