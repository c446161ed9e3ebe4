"""The demo's ProductAdmin composes every toolkit feature; they work together."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from demo.catalog.models import Product

URL = reverse("admin:catalog_product_changelist")


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


def skus(response):
    return sorted(p.sku for p in response.context["cl"].result_list)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_qualified_search_filters_and_totals_apply_together(staff, catalog):
    cheap = Product.objects.filter(price__lt=20, status="active")
    response = staff.get(URL, {"q": "price<20", "status__in": "active", "all": ""})
    assert response.status_code == 200
    assert skus(response) == sorted(cheap.values_list("sku", flat=True))
    totals = {cell.column: cell.display for cell in response.context["toolkit_totals"].cells}
    assert totals["stock"] == f"{sum(cheap.values_list('stock', flat=True)):,}"


def test_a_counted_list_adds_up_its_totals_in_the_counting_query(staff, catalog):
    # A small catalog filtered to one status is counted exactly, so the count and the
    # totals come from one pass over the matching rows.
    active = Product.objects.filter(status="active")
    staff.get(URL)  # warm the per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = staff.get(URL, {"status__in": "active"})
    totals = {cell.column: cell.display for cell in response.context["toolkit_totals"].cells}

    assert response.context["cl"].result_count == active.count()
    assert totals["stock"] == f"{sum(active.values_list('stock', flat=True)):,}"
    adding_up = [q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"].upper()]
    assert len(adding_up) == 1 and "COUNT(" in adding_up[0].upper()


def test_hostile_query_string_is_messages_and_a_page_not_a_500(staff, catalog):
    response = staff.get(
        URL,
        {
            "q": 'price>abc "unclosed',
            "price__gte": "lots",
            "o": "99",
            "supplier__email__contains": "x",
            "status__in": "active",
        },
    )
    assert response.status_code == 200
    text = " ".join(messages_of(response))
    for bad in ("price>abc", "price__gte", "supplier__email__contains"):
        assert bad in text
    assert {p.status for p in response.context["cl"].result_list} == {"active"}


def test_mass_update_of_a_few_rows_stamps_updated_and_logs_each(staff, catalog, superuser):
    chosen = list(Product.objects.order_by("pk").values_list("pk", flat=True)[:3])
    Product.objects.filter(pk__in=chosen).update(updated=timezone.now() - timedelta(days=30))
    page = staff.post(URL, {"action": "mass_update", "_selected_action": chosen})
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode())
    )
    hidden.pop("csrfmiddlewaretoken", None)
    done = staff.post(
        URL, {**hidden, "_field": ["stock"], "mu-stock": "42", "_apply": "1"}, follow=True
    )
    assert "3 products updated." in messages_of(done)
    rows = Product.objects.filter(pk__in=chosen)
    assert set(rows.values_list("stock", flat=True)) == {42}
    assert all(p.updated > timezone.now() - timedelta(minutes=5) for p in rows)
    assert LogEntry.objects.filter(action_flag=CHANGE, user=superuser).count() == 3


def test_view_only_staff_is_offered_no_bulk_action(client, viewer, catalog):
    client.force_login(viewer)
    response = client.get(URL)
    assert response.status_code == 200
    form = response.context["action_form"]
    offered = {name for name, _ in form.fields["action"].choices} if form else set()
    assert offered.isdisjoint({"mass_update", "duplicate_selected", "delete_selected"})
    pk = Product.objects.values_list("pk", flat=True).first()
    forged = client.post(URL, {"action": "mass_update", "_selected_action": [pk]}, follow=True)
    assert forged.status_code in (200, 403)
    assert Product.objects.filter(pk=pk, stock=42).count() == 0
