"""Who may filter: view-only staff, staff who cannot see the related model, outsiders."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tests.admin_ext.filters.helpers import (
    AUTOCOMPLETE,
    PRODUCTS,
    skus,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_filters")]


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
