"""Admin sites over the demo catalog for the performance tests (``@pytest.mark.urls``).

``/perf/``     page numbers, select_related derived from list_display; LogEntry too, for
               lookups through a related user.
``/keyset/``   the same products (and categories, whose ordering by parent is nullable)
               with keyset pagination.
``/paths/``    list_display with ``fk__field`` paths and no list_select_related at all.
``/peers/``    a category column whose ``__str__`` reads its parent, with no hint about
               it: only Django 6.1's fetch modes keep that to one query per page.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.urls import path

from demo.catalog.models import Category, Product
from toolkit.admin_ext import PerformanceMixin

site = admin.AdminSite(name="perf_admin")
keyset_site = admin.AdminSite(name="perf_keyset_admin")
paths_site = admin.AdminSite(name="perf_paths_admin")
peers_site = admin.AdminSite(name="perf_peers_admin")


@admin.action(permissions=["change"], description="Mark as discontinued")
def discontinue(modeladmin, request, queryset):
    queryset.update(status=Product.Status.DISCONTINUED)


class ProductAdmin(PerformanceMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "category", "supplier", "price", "stock", "status"]
    list_filter = ["status", "is_active"]
    search_fields = ["sku", "name"]
    # Category.__str__ shows its parent: Django 5.2 needs the hint, 6.1 fetches peers.
    list_select_related_extra = ["category__parent"]
    actions = [discontinue]
    list_per_page = 10


class LogEntryAdmin(PerformanceMixin, admin.ModelAdmin):
    list_display = ["action_time", "user", "object_repr"]
    list_filter = ["action_flag"]


class ProductKeysetAdmin(ProductAdmin):
    keyset_pagination = True
    show_full_result_count = False
    list_per_page = 7


class CategoryKeysetAdmin(PerformanceMixin, admin.ModelAdmin):
    list_display = ["name", "parent"]
    keyset_pagination = True
    list_per_page = 3


class ProductPathsAdmin(PerformanceMixin, admin.ModelAdmin):
    list_display = ["sku", "category__parent__name", "supplier__country", "price"]
    list_per_page = 10


class ProductPeersAdmin(PerformanceMixin, admin.ModelAdmin):
    list_display = ["sku", "category", "price"]
    list_per_page = 10


site.register(Product, ProductAdmin)
site.register(LogEntry, LogEntryAdmin)
keyset_site.register(Product, ProductKeysetAdmin)
keyset_site.register(Category, CategoryKeysetAdmin)
paths_site.register(Product, ProductPathsAdmin)
peers_site.register(Product, ProductPeersAdmin)

urlpatterns = [
    path("perf/", site.urls),
    path("keyset/", keyset_site.urls),
    path("paths/", paths_site.urls),
    path("peers/", peers_site.urls),
]
