"""An admin site over the demo catalog using the inlines, totals and saved views.

Tests mark themselves ``@pytest.mark.urls("tests.admin_ext.site_views")``.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from demo.catalog.models import Category, Product, Review, StockMovement, Supplier
from toolkit.admin_ext import TotalsMixin
from toolkit.admin_ext.inlines import PaginatedTabularInline, ReadOnlyTabularInline
from toolkit.admin_ext.saved_views import SavedViewsMixin

site = admin.AdminSite(name="views_admin")


class MovementInline(ReadOnlyTabularInline, PaginatedTabularInline):
    """History: the newest 5 movements, read-only."""

    model = StockMovement
    fields = ["timestamp", "quantity", "reason"]
    ordering = ["-timestamp", "-id"]
    per_page = 5
    count_limit = 50


class ReviewInline(PaginatedTabularInline):
    """Editable, paginated: the newest 3 reviews, counted exactly."""

    model = Review
    fields = ["rating", "title", "text", "author"]
    per_page = 3
    count_limit = None


class ProductHistoryInline(ReadOnlyTabularInline):
    """Read-only on its own (not paginated): Django's tabular template, no widgets."""

    model = Product
    fields = ["sku", "name", "price"]


class CategoryAdmin(admin.ModelAdmin):
    inlines = [ProductHistoryInline]


class ProductAdmin(TotalsMixin, SavedViewsMixin, admin.ModelAdmin):
    fields = ["sku", "name", "category", "supplier", "price", "cost", "stock", "status"]
    list_display = ["sku", "name", "category", "price", "stock", "weight", "status", "created"]
    list_select_related = ["category", "category__parent", "supplier"]
    list_filter = ["status", "is_active", "category"]
    search_fields = ["sku", "name"]
    list_totals = {"price": "avg", "stock": "sum", "weight": "max", "created": "min"}
    inlines = [MovementInline, ReviewInline]
    show_full_result_count = False


class PlainProductAdmin(admin.ModelAdmin):
    """The same list without the toolkit, to count the queries the mixins add."""

    list_display = ProductAdmin.list_display
    list_select_related = ProductAdmin.list_select_related
    list_filter = ProductAdmin.list_filter
    search_fields = ProductAdmin.search_fields
    show_full_result_count = False


class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["product", "quantity", "reason", "timestamp"]
    list_select_related = ["product"]
    list_filter = ["reason"]


class ReviewAdmin(admin.ModelAdmin):
    list_display = ["product", "rating", "author"]


site.register(Product, ProductAdmin)
site.register(StockMovement, StockMovementAdmin)
site.register(Review, ReviewAdmin)
site.register(Category, CategoryAdmin)
site.register(Supplier, admin.ModelAdmin)


class SavedViewsProductAdmin(SavedViewsMixin, PlainProductAdmin):
    """The plain list with saved views alone, to count what the menu costs."""


plain_site = admin.AdminSite(name="plain_admin")
plain_site.register(Product, PlainProductAdmin)

menu_site = admin.AdminSite(name="menu_admin")
menu_site.register(Product, SavedViewsProductAdmin)

urlpatterns = [
    path("admin/", site.urls),
    path("plain/", plain_site.urls),
    path("menu/", menu_site.urls),
]
