"""An admin site whose product list filters by category as a tree (``/admin/``)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from demo.catalog.models import Category, Product
from toolkit.admin_ext.filters import FiltersMixin, TreeRelatedFilter

site = admin.AdminSite(name="tree_filters_admin")


class CategoryTreeFilter(TreeRelatedFilter):
    label_field = "name"


class CategoryAdmin(admin.ModelAdmin):
    list_select_related = ["parent"]
    search_fields = ["name"]


class ProductAdmin(FiltersMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "category"]
    list_select_related = ["category", "category__parent"]
    list_filter = [("category", CategoryTreeFilter), "status"]
    search_fields = ["sku"]
    show_facets = admin.ShowFacets.ALLOW


site.register(Category, CategoryAdmin)
site.register(Product, ProductAdmin)

urlpatterns = [path("admin/", site.urls)]
