"""Admin sites over the deep-cascade test app for the delete action's tests
(``@pytest.mark.urls``).

- ``/admin/``: every model of ``tests.admin_ext.deletionapp`` with the mixin and Django's
  defaults; its RegionAdmin records ``delete_queryset()`` calls;
- ``/guarded/``: a RegionAdmin whose ``get_deleted_objects()`` refuses regions named
  "Keep …" (as a missing permission would);
- ``/unreported/``: a RegionAdmin whose ``get_deleted_objects()`` reports nothing (as
  Django's own test admin does), so protection surfaces only when deleting;
- ``/custom/``: a RegionAdmin with its own confirmation template and
  ``delete_confirmation_max_display``;
- ``/site-admin/``: the default site, where job progress pages live.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from tests.admin_ext.deletionapp.models import (
    City,
    Country,
    Deed,
    District,
    House,
    Node,
    Note,
    Region,
    Street,
    Villa,
)
from toolkit.admin_ext.actions import BulkActionsMixin

site = admin.AdminSite(name="deletion_admin")
guarded_site = admin.AdminSite(name="guarded_admin")
unreported_site = admin.AdminSite(name="unreported_admin")
custom_site = admin.AdminSite(name="custom_admin")


class DeletingAdmin(BulkActionsMixin, admin.ModelAdmin):
    """The mixin on Django's defaults: ``delete_selected`` comes from the site."""


class RegionAdmin(DeletingAdmin):
    #: (pks) of every delete_queryset() call.
    deleted_through_hook: list[list[int]] = []

    def delete_queryset(self, request, queryset):
        RegionAdmin.deleted_through_hook.append(sorted(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)


class GuardedRegionAdmin(DeletingAdmin):
    def get_deleted_objects(self, objs, request):
        deletable, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(obj.name.startswith("Keep") for obj in objs):
            perms_needed = {*perms_needed, "kept region"}
        return deletable, counts, perms_needed, protected


class UnreportedRegionAdmin(DeletingAdmin):
    def get_deleted_objects(self, objs, request):
        return ["a deletable object"], {"regions": 1}, set(), []


class CustomRegionAdmin(DeletingAdmin):
    delete_selected_confirmation_template = "deletionapp/custom_delete_selected.html"
    delete_confirmation_max_display = 2


site.register(Region, RegionAdmin)
for model in (Country, City, District, Street, House, Villa, Deed, Node, Note):
    site.register(model, DeletingAdmin)
guarded_site.register(Region, GuardedRegionAdmin)
unreported_site.register(Region, UnreportedRegionAdmin)
custom_site.register(Region, CustomRegionAdmin)
custom_site.register(Country, DeletingAdmin)

urlpatterns = [
    path("admin/", site.urls),
    path("guarded/", guarded_site.urls),
    path("unreported/", unreported_site.urls),
    path("custom/", custom_site.urls),
    path("site-admin/", admin.site.urls),
]
