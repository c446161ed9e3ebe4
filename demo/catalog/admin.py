"""Admin of the demo catalog.

Later issues replace ModelAdmin with the toolkit's mixins; for now the pages are plain
Django admin, tuned so that they stay fast on a large catalog.
"""

from __future__ import annotations

from django.contrib import admin

from .models import Category, Product, Review, StockMovement, Supplier, Tag


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "email", "phone"]
    list_filter = ["country"]
    search_fields = ["name", "email"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class StockMovementInline(admin.TabularInline):
    model = StockMovement
    extra = 0
    fields = ["timestamp", "quantity", "reason"]
    readonly_fields = fields
    can_delete = False
    max_num = 0

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        # Plain inlines render every row: cap the demo at the newest 20 until the
        # toolkit's PaginatedTabularInline lands.
        qs = super().get_queryset(request)
        newest = qs.order_by("-timestamp", "-id").values_list("pk", flat=True)[:20]
        return qs.filter(pk__in=list(newest))


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "supplier", "price", "stock", "status", "is_active"]
    list_select_related = ["category", "category__parent", "supplier"]
    list_filter = ["status", "is_active"]
    search_fields = ["sku", "name"]
    autocomplete_fields = ["category", "supplier", "tags"]
    readonly_fields = ["created", "updated"]
    inlines = [StockMovementInline]
    show_full_result_count = False


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["product", "quantity", "reason", "timestamp"]
    list_select_related = ["product"]
    list_filter = ["reason"]
    autocomplete_fields = ["product"]
    show_full_result_count = False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["product", "rating", "title", "author", "created"]
    list_select_related = ["product"]
    list_filter = ["rating"]
    search_fields = ["title", "author"]
    autocomplete_fields = ["product"]
    show_full_result_count = False
