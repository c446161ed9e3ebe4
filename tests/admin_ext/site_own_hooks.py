"""An admin site whose admins override Django's own hooks beside the toolkit's mixins, as
a project's admins do: ``changelist_view``, ``get_changelist`` and ``checks_class``, on
the admin itself and on the project's base admin under the mixins.

Tests mark themselves ``@pytest.mark.urls("tests.admin_ext.site_own_hooks")``.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.checks import ModelAdminChecks
from django.contrib.admin.views.main import ChangeList
from django.core import checks
from django.urls import path

from demo.catalog.models import Product, Review
from toolkit.admin_ext import (
    BulkActionsMixin,
    FiltersMixin,
    NumericRangeFilter,
    PerformanceMixin,
    SearchMixin,
    TotalsMixin,
)

site = admin.AdminSite(name="own_hooks_admin")


class SiteChecks(ModelAdminChecks):
    """The project's own rule, for every admin built on its base admin."""

    def check(self, admin_obj, **kwargs):
        errors = super().check(admin_obj, **kwargs)
        if admin_obj.list_per_page > 500:
            errors.append(
                checks.Error("Pages of more than 500 rows.", obj=type(admin_obj), id="site.E001")
            )
        return errors


class ProductChecks(SiteChecks):
    """The product admin's own rule on top of the project's, set as its ``checks_class``."""

    def check(self, admin_obj, **kwargs):
        errors = super().check(admin_obj, **kwargs)
        if not admin_obj.search_fields:
            errors.append(
                checks.Error("Products must be searchable.", obj=type(admin_obj), id="own.E001")
            )
        return errors


class ProjectChangeList(ChangeList):
    """The ChangeList every list of the project uses (its base admin's)."""

    def get_ordering(self, request, queryset):
        self.project_ordering = super().get_ordering(request, queryset)
        return self.project_ordering


class ProjectAdmin(admin.ModelAdmin):
    """The project's base admin: its own ChangeList class and checks."""

    checks_class = SiteChecks

    def get_changelist(self, request, **kwargs):
        return ProjectChangeList


class ProductAdmin(
    BulkActionsMixin, SearchMixin, FiltersMixin, TotalsMixin, PerformanceMixin, ProjectAdmin
):
    checks_class = ProductChecks
    actions = ["duplicate_selected"]
    list_display = ["sku", "name", "price", "stock", "status"]
    list_filter = [("price", NumericRangeFilter), "status"]
    list_totals = {"price": "avg", "stock": "sum"}
    search_fields = ["sku", "name"]
    search_qualifiers = {"price": "price"}
    keyset_pagination = True
    list_per_page = 20

    def changelist_view(self, request, extra_context=None):
        extra_context = {"project_note": "Products of the project", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_changelist(self, request, **kwargs):
        changelist_class = super().get_changelist(request, **kwargs)
        request.project_changelist_class = changelist_class
        return changelist_class


class QuietChangeList(ProjectChangeList):
    """Django's ``TestCustomChangeList``: a queryset built without ``super()``, so no
    filter, search or ordering is applied (and no ``filter_specs`` exist)."""

    def get_queryset(self, request, exclude_parameters=None):
        return self.root_queryset.order_by("-pk")


class QuietProjectAdmin(ProjectAdmin):
    def get_changelist(self, request, **kwargs):
        return QuietChangeList


class ReviewAdmin(FiltersMixin, PerformanceMixin, QuietProjectAdmin):
    list_display = ["product", "rating", "author"]
    list_filter = ["rating"]
    list_per_page = 5


site.register(Product, ProductAdmin)
site.register(Review, ReviewAdmin)

urlpatterns = [path("admin/", site.urls)]
