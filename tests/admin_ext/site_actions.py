"""Admin sites over the demo catalog for the bulk-action tests (``@pytest.mark.urls``).

``/admin/`` is the site under test (named ``actions_admin``); ``/objperm/`` has a
product admin whose change and delete permissions depend on the row; ``/oldsig/`` one
that overrides ``get_actions(self, request)`` as admins written before Django 6.1 do.
The default site is mounted at ``/site-admin/`` because job progress pages live there
(``admin:toolkit_jobs_job_change``).
"""

from __future__ import annotations

import dataclasses

from django.contrib import admin
from django.urls import path

from demo.catalog.models import Category, Product, Review, StockMovement, Supplier, Tag
from toolkit.admin_ext.actions import BulkActionsMixin, row_action
from toolkit.admin_ext.options import ToolkitModelAdmin

site = admin.AdminSite(name="actions_admin")
objperm_site = admin.AdminSite(name="objperm_admin")


class ProductAdmin(BulkActionsMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "price", "stock", "status", "is_active"]
    list_filter = ["status", "is_active", "category"]
    search_fields = ["sku", "name"]
    list_per_page = 100
    actions = ["mass_update", "duplicate_selected"]
    mass_update_fields = ["price", "stock", "status", "is_active", "category", "created"]
    toggle_fields = ["is_active"]
    row_actions = ["duplicate_selected", "toggle_is_active", "discontinue"]
    # Small, so that the 60-product test catalog has selections on both sides of it.
    bulk_background_threshold = 20
    mass_update_log_each_limit = 30

    def get_queryset(self, request):
        # Staff named "limited" see only active products: selections re-evaluated for
        # them must respect it, as their changelist does.
        queryset = super().get_queryset(request)
        if request.user.username == "limited":
            queryset = queryset.filter(is_active=True)
        return queryset

    @row_action(permissions=["change"], description="Discontinue")
    def discontinue(self, request, obj):
        # Writes no LogEntry of its own: the row action machinery adds one.
        Product.objects.filter(pk=obj.pk).update(status=Product.Status.DISCONTINUED)


class SupplierAdmin(BulkActionsMixin, admin.ModelAdmin):
    list_display = ["name", "country"]
    search_fields = ["name"]
    actions = ["mass_update", "duplicate_selected"]


class CategoryAdmin(BulkActionsMixin, admin.ModelAdmin):
    search_fields = ["name"]
    actions = ["duplicate_selected"]


class ObjectPermissionProductAdmin(BulkActionsMixin, admin.ModelAdmin):
    """Discontinued products may be neither changed nor deleted."""

    actions = ["mass_update", "duplicate_selected"]
    toggle_fields = ["is_active"]
    row_actions = ["toggle_is_active", "duplicate_selected"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == Product.Status.DISCONTINUED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == Product.Status.DISCONTINUED:
            return False
        return super().has_delete_permission(request, obj)


class ToolkitProductAdmin(ToolkitModelAdmin):
    """ToolkitModelAdmin includes BulkActionsMixin with every changelist mixin."""

    list_display = ["sku", "name", "price", "stock", "status"]
    list_filter = ["status", "is_active"]
    search_fields = ["sku", "name"]
    actions = ["mass_update"]
    bulk_background_threshold = 20


class OldSignatureProductAdmin(BulkActionsMixin, admin.ModelAdmin):
    """Relabels an action in ``get_actions(self, request)``: the signature of Django
    before 6.1, which 6.1 still accepts (warning that it is deprecated)."""

    actions = ["duplicate_selected"]
    row_actions = ["duplicate_selected"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        entry = actions.get("duplicate_selected")
        label = "Duplicate (reviewed)"
        if isinstance(entry, tuple):
            actions["duplicate_selected"] = (entry[0], entry[1], label)
        elif entry is not None:
            actions["duplicate_selected"] = dataclasses.replace(
                entry, description=label, plural_description=label
            )
        return actions


oldsig_site = admin.AdminSite(name="oldsig_admin")
oldsig_site.register(Product, OldSignatureProductAdmin)
toolkit_site = admin.AdminSite(name="toolkit_actions_admin")
toolkit_site.register(Product, ToolkitProductAdmin)
site.register(Product, ProductAdmin)
site.register(Supplier, SupplierAdmin)
site.register(Category, CategoryAdmin)
site.register(Tag)
site.register(StockMovement)
site.register(Review)
objperm_site.register(Product, ObjectPermissionProductAdmin)

urlpatterns = [
    path("admin/", site.urls),
    path("objperm/", objperm_site.urls),
    path("oldsig/", oldsig_site.urls),
    path("toolkit/", toolkit_site.urls),
    path("site-admin/", admin.site.urls),
]
