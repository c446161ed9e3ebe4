"""Admin sites over the demo catalog for the row renderer's tests (``@pytest.mark.urls``).

Every kind of ``list_display`` entry Django draws: fields of each type, foreign keys,
``a__b`` paths, ``__str__``, a property, ModelAdmin methods, plain functions and a
lambda; booleans, empty values, blank text, markup, dates, a relation that is missing;
and the ways a column can link to the change form.
"""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.urls import path
from django.utils.html import format_html

from demo.catalog.models import Category, Product, Review
from toolkit.admin_ext import PerformanceMixin

site = admin.AdminSite(name="rows_admin")
links_site = admin.AdminSite(name="rows_links_admin")
nolinks_site = admin.AdminSite(name="rows_nolinks_admin")
editable_site = admin.AdminSite(name="rows_editable_admin")


@admin.display(boolean=True, description="Odd stock")
def odd_stock(obj):
    # 1 and 0, not True and False: Django's icon then says alt="1".
    return obj.stock % 2


@admin.display(description="Stocked on")
def stocked_on(obj):
    return obj.created.date() if obj.stock % 3 else None


class RichProductAdmin(PerformanceMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "sku",
        "name",
        "description",
        "category",
        "supplier",
        "supplier__country",
        "category__parent__name",
        "price",
        "cost",
        "stock",
        "weight",
        "status",
        "is_active",
        "created",
        "pk",
        "shout",
        "flagged",
        "blank",
        "markup",
        "safe_markup",
        "nothing",
        "missing",
        odd_stock,
        stocked_on,
        lambda obj: obj.stock * 2,
    ]
    list_select_related = ["category__parent", "supplier"]
    list_filter = ["status", "is_active"]
    search_fields = ["name"]
    empty_value_display = "(nothing)"
    list_per_page = 100

    @admin.display(description="Shout", ordering="name")
    def shout(self, obj):
        return obj.name.upper()

    @admin.display(boolean=True)
    def flagged(self, obj):
        if obj.stock == 0:
            return None
        return obj.stock < 0

    def blank(self, obj):
        return "   " if obj.pk % 2 else ""

    def markup(self, obj):
        return f"<b>{obj.name}</b> & <script>x</script>"

    def safe_markup(self, obj):
        return format_html("<em>{}</em>", obj.sku)

    @admin.display(empty_value="-none-")
    def nothing(self, obj):
        return None

    def missing(self, obj):
        raise Category.DoesNotExist

    @admin.action(description="Touch")
    def touch(self, request, queryset):
        pass

    actions = ["touch"]


class LinkedProductAdmin(RichProductAdmin):
    list_display_links = ["name", "price", "is_active", stocked_on]


class UnlinkedProductAdmin(RichProductAdmin):
    list_display_links = None
    actions = None


class EditableProductAdmin(PerformanceMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "price"]
    list_editable = ["price"]


class ReviewAdmin(PerformanceMixin, admin.ModelAdmin):
    list_display = ["product", "rating", "title", "created", "when"]

    def when(self, obj):
        return datetime.time(12, 30)


site.register(Product, RichProductAdmin)
site.register(Review, ReviewAdmin)
links_site.register(Product, LinkedProductAdmin)
nolinks_site.register(Product, UnlinkedProductAdmin)
editable_site.register(Product, EditableProductAdmin)

urlpatterns = [
    path("rows/", site.urls),
    path("links/", links_site.urls),
    path("nolinks/", nolinks_site.urls),
    path("editable/", editable_site.urls),
]
