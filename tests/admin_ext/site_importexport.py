"""Admin sites over the demo catalog for the import/export tests (``@pytest.mark.urls``).

``/admin/`` exports and imports products with the demo's ProductResource; its changelist
shows callables (one returning HTML) next to fields and related objects. ``/strict-admin/``
also asks for an ``export_product`` permission.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils.html import format_html

from demo.catalog.models import Category, Product, Supplier, Tag
from demo.catalog.resources import ProductResource
from toolkit.admin_ext.importexport import ExportMixin, ImportExportMixin

site = admin.AdminSite(name="importexport_admin")
strict_site = admin.AdminSite(name="strict_importexport_admin")


class ProductAdmin(ImportExportMixin, admin.ModelAdmin):
    list_display = [
        "sku",
        "name",
        "category",
        "supplier",
        "price",
        "stock",
        "status",
        "label",
        "badge",
    ]
    list_select_related = ["category", "category__parent", "supplier"]
    list_filter = ["status", "is_active"]
    search_fields = ["sku", "name"]
    import_resource_class = ProductResource
    export_formats = ("csv", "xlsx", "json")
    export_background_threshold = 50
    import_background_threshold = 50
    import_batch_size = 10
    import_preview_per_page = 20

    @admin.display(description="Shelf label")
    def label(self, obj):
        return obj.description[:30]

    @admin.display(description="Badge")
    def badge(self, obj):
        return format_html("<b>{}</b>", obj.name[:10])


class StrictProductAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ["sku", "name"]
    export_formats = ("csv",)
    export_permission = "export_product"


for registered in (site, strict_site):
    registered.register(Category, admin.ModelAdmin)
    registered.register(Supplier, admin.ModelAdmin)
    registered.register(Tag, admin.ModelAdmin)
site.register(Product, ProductAdmin)
strict_site.register(Product, StrictProductAdmin)

urlpatterns = [
    path("admin/", site.urls),
    path("strict-admin/", strict_site.urls),
    # The default site serves the jobs' progress pages and downloads.
    path("site-admin/", admin.site.urls),
]
