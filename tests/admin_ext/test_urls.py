"""pk_url_builder gives exactly the URLs reverse() gives, reversing once."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse

from toolkit.admin_ext.changelist.row_urls import PK_MARKER, pk_url_builder


def change_url(pk):
    return reverse("admin:catalog_product_change", args=(quote(pk),))


@pytest.mark.parametrize(
    "pk",
    [
        1,
        1234567890123,
        "SKU_1",
        "a/b",
        "with space",
        "per%cent",
        "café ünïcode",
        "?#&=+",
        "_5F",
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
    ],
)
def test_built_urls_equal_reversed_ones(pk):
    assert pk_url_builder(change_url)(pk) == change_url(pk)


def test_reverses_once_whatever_the_number_of_rows():
    calls = []

    def counting(pk):
        calls.append(pk)
        return change_url(pk)

    build = pk_url_builder(counting)
    urls = [build(pk) for pk in range(100)]
    assert calls == [PK_MARKER]
    assert urls[42] == change_url(42)


def test_falls_back_to_reverse_when_the_marker_does_not_come_back():
    def without_marker(pk):
        return f"/fixed/{pk!s:.3}/"

    assert pk_url_builder(without_marker) is without_marker


def test_changelist_row_links_and_row_action_buttons_match_reverse(admin_client, catalog):
    from demo.catalog.models import Product

    response = admin_client.get("/admin/catalog/product/")
    assert response.status_code == 200
    html = response.content.decode()
    product = Product.objects.order_by("pk").first()
    assert f'href="{change_url(product.pk)}' in html
    row_action = reverse(
        "admin:catalog_product_row_action", args=(quote(product.pk), "duplicate_selected")
    )
    assert f'formaction="{row_action}' in html
