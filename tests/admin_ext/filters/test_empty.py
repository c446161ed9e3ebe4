"""``IsEmptyFilter``: ``?description__isempty=1`` means ``''`` or NULL."""

from __future__ import annotations

import pytest

from tests.admin_ext.filters.helpers import (
    CATEGORIES,
    PRODUCTS,
    choices_of,
    skus,
    warnings_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_filters")]


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
