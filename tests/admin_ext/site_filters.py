"""Admin sites over the demo catalog for the filter tests (``@pytest.mark.urls``).

``/admin/`` uses the toolkit's filters; ``/plain-admin/`` uses Django's own filters (and
a date hierarchy) with ``FiltersMixin``, to show bad input to them handled the same way.
"""

from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from demo.catalog.models import Category, Product, Review, Supplier, Tag
from toolkit.admin_ext.filters import (
    DateRangeFilter,
    FiltersMixin,
    IsEmptyFilter,
    MultiSelectFilter,
    NumericRangeFilter,
    RelatedAutocompleteFilter,
)

site = admin.AdminSite(name="filters_admin")
plain_site = admin.AdminSite(name="plain_filters_admin")


class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    search_fields = ["name"]


class CategoryAdmin(FiltersMixin, admin.ModelAdmin):
    list_display = ["name", "parent"]
    list_select_related = ["parent"]
    list_filter = [("parent", IsEmptyFilter)]
    search_fields = ["name"]


class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class ProductAdmin(FiltersMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "supplier", "category", "price", "stock", "status"]
    list_select_related = ["supplier", "category", "category__parent"]
    list_filter = [
        ("price", NumericRangeFilter),
        ("stock", NumericRangeFilter),
        ("created", DateRangeFilter),
        ("status", MultiSelectFilter),
        ("category", MultiSelectFilter),
        ("tags", MultiSelectFilter),
        ("supplier", RelatedAutocompleteFilter),
        ("description", IsEmptyFilter),
        "is_active",
    ]
    search_fields = ["sku", "name"]
    show_facets = admin.ShowFacets.ALLOW
    list_per_page = 50


class ReviewAdmin(FiltersMixin, admin.ModelAdmin):
    """Filters reaching through a relation: the product's supplier and status."""

    list_display = ["product", "rating", "title", "author"]
    list_select_related = ["product"]
    list_filter = [
        ("rating", NumericRangeFilter),
        ("title", IsEmptyFilter),
        ("product__supplier", RelatedAutocompleteFilter),
        ("product__status", MultiSelectFilter),
    ]


site.register(Supplier, SupplierAdmin)
site.register(Category, CategoryAdmin)
site.register(Tag, TagAdmin)
site.register(Product, ProductAdmin)
site.register(Review, ReviewAdmin)


class PriceBandFilter(admin.SimpleListFilter):
    title = "price band"
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [("cheap", "Under 10"), ("dear", "10 and over")]

    def queryset(self, request, queryset):
        if self.value() == "cheap":
            return queryset.filter(price__lt=10)
        if self.value() == "dear":
            return queryset.filter(price__gte=10)
        return queryset


class PlainProductAdmin(FiltersMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "category", "price", "status"]
    list_select_related = ["category", "category__parent"]
    list_filter = ["status", "category", "is_active", PriceBandFilter]
    date_hierarchy = "created"
    search_fields = ["sku", "name"]


plain_site.register(Category, admin.ModelAdmin)
plain_site.register(Product, PlainProductAdmin)

urlpatterns = [
    path("admin/", site.urls),
    path("plain-admin/", plain_site.urls),
    # Browsers ask for /favicon.ico on every page; answer instead of logging a 404.
    path("favicon.ico", RedirectView.as_view(url=static("demo/favicon.svg"), permanent=True)),
]
