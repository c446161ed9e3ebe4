"""A Selection is what an action acts on, kept as data that re-evaluates like the changelist."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from demo.catalog.models import Product
from toolkit.admin_ext.selection import Selection, SelectionError

from .site_actions import site

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_actions")]


def action_request(user, query="", post=None):
    request = RequestFactory().post(f"/admin/catalog/product/?{query}", post or {})
    request.user = user
    return request


def product_admin():
    return site.get_model_admin(Product)


def test_select_across_stores_the_query_not_the_pks(catalog, superuser):
    request = action_request(superuser, "status=active&q=a", {"select_across": "1"})
    queryset = Product.objects.filter(status="active")
    selection = Selection.from_action(product_admin(), request, queryset)
    assert selection.select_across is True
    assert selection.pks == []
    assert selection.query == "status=active&q=a"
    # JSON round trip, as a job stores it.
    data = json.loads(json.dumps(selection.to_dict()))
    assert Selection.from_dict(data) == selection


def test_select_across_re_evaluates_search_and_filters_like_the_changelist(catalog, superuser):
    selection = Selection(
        site="actions_admin",
        model="catalog.product",
        query="status=active&q=a",
        select_across=True,
    )
    expected = Product.objects.filter(status="active").filter(name__icontains="a") | (
        Product.objects.filter(status="active", sku__icontains="a")
    )
    got = set(selection.get_queryset(superuser).values_list("pk", flat=True))
    assert got == set(expected.values_list("pk", flat=True))
    assert got  # the seeded catalog has some


def test_ticked_pks_are_intersected_with_the_filters(catalog, superuser):
    active = list(Product.objects.filter(status="active").values_list("pk", flat=True)[:3])
    draft = list(Product.objects.exclude(status="active").values_list("pk", flat=True)[:2])
    selection = Selection(
        site="actions_admin",
        model="catalog.product",
        query="status=active",
        pks=[str(pk) for pk in active + draft],
    )
    queryset = selection.get_queryset(superuser)
    assert set(queryset.values_list("pk", flat=True)) == set(active)
    assert selection.missing(queryset.count()) == 2


def test_stale_selection_yields_fewer_rows_and_reports_the_difference(catalog, superuser):
    pks = list(Product.objects.values_list("pk", flat=True)[:5])
    request = action_request(superuser, "", {"_selected_action": pks})
    selection = Selection.from_action(product_admin(), request, Product.objects.filter(pk__in=pks))
    Product.objects.filter(pk=pks[0]).delete()
    found = selection.get_queryset(superuser).count()
    assert found == 4
    assert selection.missing(found) == 1


def test_the_model_admins_get_queryset_applies_to_the_user(catalog, django_user_model):
    limited = django_user_model.objects.create_user("limited", is_staff=True)
    limited.user_permissions.set(Permission.objects.filter(codename="view_product"))
    selection = Selection(site="actions_admin", model="catalog.product", select_across=True)
    assert selection.get_queryset(limited).count() == Product.objects.filter(is_active=True).count()


def test_a_user_who_may_not_see_the_list_gets_permission_denied(catalog, customer):
    selection = Selection(site="actions_admin", model="catalog.product", select_across=True)
    with pytest.raises(PermissionDenied):
        selection.get_queryset(customer)


def test_invalid_filters_raise_a_sentence_not_a_traceback(catalog, superuser):
    selection = Selection(
        site="actions_admin", model="catalog.product", query="price__gt=abc", select_across=True
    )
    with pytest.raises(SelectionError, match="no longer valid"):
        list(selection.get_queryset(superuser))


@pytest.mark.parametrize(
    "data",
    [{}, {"site": "actions_admin"}, {"site": "x", "model": "catalog.product", "pks": "1,2"}],
)
def test_a_hand_edited_target_is_refused(data):
    with pytest.raises(SelectionError):
        Selection.from_dict(data)


def test_an_unknown_site_or_model_is_refused(superuser):
    with pytest.raises(SelectionError, match="no longer exists"):
        Selection(site="actions_admin", model="catalog.nothing").get_queryset(superuser)
    with pytest.raises(SelectionError, match="No admin site"):
        Selection(site="nowhere", model="catalog.product").get_queryset(superuser)


def test_preserved_changelist_filters_of_a_change_form_are_used(superuser):
    request = RequestFactory().post(
        "/admin/catalog/product/1/change/?_changelist_filters=status%3Ddraft"
    )
    request.user = superuser
    selection = Selection.from_action(product_admin(), request, Product.objects.none())
    assert selection.query == "status=draft"
