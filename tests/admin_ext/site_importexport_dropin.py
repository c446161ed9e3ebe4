"""Two admin sites over the demo's products, for the drop-in tests of the import/export
and AI mixins (``@pytest.mark.urls``): ``/plain/`` with Django's ModelAdmin, ``/mixins/``
with ``AIActionsMixin`` and ``ImportExportMixin`` added and nothing configured. The
default site (``/admin/``) serves the jobs' pages.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from demo.catalog.models import Category, Product, Supplier
from toolkit.admin_ext.importexport import ImportExportMixin
from toolkit.ai.admin import AIActionsMixin

plain_site = admin.AdminSite(name="plain_admin")
mixins_site = admin.AdminSite(name="mixins_admin")


class PlainProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "price"]
    list_filter = ("status", "is_active")
    list_select_related = ["category"]
    search_fields = ["sku", "name"]

    @admin.action(description="Mark selected products inactive", permissions=["change"])
    def deactivate(self, request, queryset):
        queryset.update(is_active=False)

    actions = ["deactivate"]


class MixinsProductAdmin(AIActionsMixin, ImportExportMixin, PlainProductAdmin):
    """The same admin with the mixins added: unconfigured, they must add nothing."""


for site, product_admin in ((plain_site, PlainProductAdmin), (mixins_site, MixinsProductAdmin)):
    site.register(Category, admin.ModelAdmin)
    site.register(Supplier, admin.ModelAdmin)
    site.register(Product, product_admin)

urlpatterns = [
    path("plain/", plain_site.urls),
    path("mixins/", mixins_site.urls),
    path("admin/", admin.site.urls),
]
