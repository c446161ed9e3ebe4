"""Every option of the bulk actions has a request-aware ``get_*`` hook, and the mixin
asks the hook, not the attribute: an admin can vary the option by person or request.

Each test overrides only the hook (the attribute keeps its default) and checks what the
person meets.
"""

from __future__ import annotations

import pytest

from demo.catalog.models import Product, StockMovement
from tests.admin_ext.action_helpers import (  # noqa: F401 (a fixture)
    client_for,
    immediate_tasks,
    messages_of,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin_ext.site_actions"),
    pytest.mark.usefixtures("immediate_tasks"),
]

URL = "/admin/catalog/product/"


def pks(queryset):
    return [str(pk) for pk in queryset.values_list("pk", flat=True)]


@pytest.fixture
def product_admin():
    from tests.admin_ext.site_actions import ProductAdmin

    return ProductAdmin


def test_get_duplicate_max_rows_limits_a_duplication(
    catalog, superuser, product_admin, monkeypatch
):
    assert product_admin.duplicate_max_rows == 100
    monkeypatch.setattr(product_admin, "get_duplicate_max_rows", lambda self, request: 1)
    before = Product.objects.count()
    response = client_for(superuser).post(
        URL,
        {"action": "duplicate_selected", "_selected_action": pks(Product.objects.all()[:2])},
        follow=True,
    )
    assert "At most 1 rows can be duplicated at once; nothing was copied." in messages_of(response)
    assert Product.objects.count() == before


def test_get_duplicate_suffix_names_the_copies(catalog, superuser, product_admin, monkeypatch):
    monkeypatch.setattr(product_admin, "get_duplicate_suffix", lambda self, request: "-clone")
    original = Product.objects.order_by("pk").first()
    client_for(superuser).post(
        URL, {"action": "duplicate_selected", "_selected_action": [original.pk]}
    )
    assert Product.objects.filter(sku=f"{original.sku}-clone").exists()
    assert not Product.objects.filter(sku=f"{original.sku}-copy").exists()


def test_a_free_unique_value_override_without_suffix_keeps_working(
    catalog, superuser, product_admin, monkeypatch
):
    # Written before free_unique_value() took ``suffix``: it is called as it always was.
    def free_unique_value(self, model, f, value):
        return f"{value}-mine"

    monkeypatch.setattr(product_admin, "free_unique_value", free_unique_value)
    original = Product.objects.order_by("pk").first()
    client_for(superuser).post(
        URL, {"action": "duplicate_selected", "_selected_action": [original.pk]}
    )
    assert Product.objects.filter(sku=f"{original.sku}-mine").exists()


def test_get_delete_summary_count_limit_caps_the_related_counts(
    catalog, superuser, product_admin, monkeypatch
):
    monkeypatch.setattr(product_admin, "delete_list_max_objects", 0)
    monkeypatch.setattr(product_admin, "get_delete_summary_count_limit", lambda self, request: 3)
    chosen = pks(Product.objects.order_by("pk")[:10])
    assert StockMovement.objects.filter(product__in=chosen).count() > 3
    html = (
        client_for(superuser)
        .post(URL, {"action": "delete_selected", "_selected_action": chosen})
        .content.decode()
    )
    assert "<td>Products</td><td data-toolkit-count>10</td>" in html
    assert "<td>Stock movements</td><td data-toolkit-count>more than 3</td>" in html


def test_get_bulk_object_permissions_false_skips_the_per_row_check(catalog, superuser, monkeypatch):
    from tests.admin_ext.site_actions import ObjectPermissionProductAdmin

    # This admin refuses discontinued rows in has_change_permission(request, obj); told
    # that the answer does not depend on the row, the mixin asks once, for all rows.
    monkeypatch.setattr(
        ObjectPermissionProductAdmin, "get_bulk_object_permissions", lambda self, request: False
    )
    Product.objects.update(is_active=False)
    chosen = pks(Product.objects.filter(status="discontinued")[:2]) + pks(
        Product.objects.exclude(status="discontinued")[:3]
    )
    response = client_for(superuser).post(
        "/objperm/catalog/product/",
        {"action": "toggle_is_active_on", "_selected_action": chosen},
        follow=True,
    )
    assert "5 products updated." in messages_of(response)
    assert Product.objects.filter(pk__in=chosen, is_active=True).count() == 5


def test_get_row_actions_label_heads_the_column(catalog, superuser, product_admin, monkeypatch):
    monkeypatch.setattr(product_admin, "get_row_actions_label", lambda self, request: "Do it")
    html = client_for(superuser).get(URL).content.decode()
    column = html[html.index('class="column-row_actions"') :]
    assert "Do it" in column[: column.index("</th>")]
