"""The system checks of the filters: ``toolkit.E020``-``E025`` and ``toolkit.W020``."""

from __future__ import annotations

import pytest
from django.contrib import admin

from demo.catalog.models import Product, Supplier
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
