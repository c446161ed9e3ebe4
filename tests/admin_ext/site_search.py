"""Admin sites over the demo catalog for the search tests (``@pytest.mark.urls``).

``/admin/`` searches with the plain path (``search_fields``, ``EXISTS`` for relations);
``/fulltext-admin/`` has the same product admin with PostgreSQL full-text search on;
``/stored-fulltext-admin/`` the same, reading the stored vector column of the demo's
migration 0004 (``search_document``) instead of computing the vector;
``/keyset-fulltext-admin/`` full text without ranking, paged by keyset;
``/plain-admin/`` a product admin as a stock project writes it: search fields over
relations, no qualifiers, no help text.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from demo.catalog.models import Category, Product, Review, Supplier, Tag
from toolkit.admin_ext import PerformanceMixin
from toolkit.admin_ext.search import SearchMixin

site = admin.AdminSite(name="search_admin")
fulltext_site = admin.AdminSite(name="search_fulltext_admin")

FULLTEXT_FIELDS = ["name", "description"]


class ProductSearchAdmin(SearchMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "supplier", "price", "stock", "status"]
    list_select_related = ["supplier"]
    list_filter = ["status", "is_active"]
    search_fields = ["sku", "name", "reviews__text", "tags__name"]
    search_qualifiers = {
        "sku": "sku__iexact",
        "supplier": "supplier__name__icontains",
        "price": "price",
        "stock": "stock",
        "tag": "tags__name__iexact",
        "created": "created",
        "day": "created__date",
        "status": "status",
        "active": "is_active",
        "review": "reviews__text__icontains",
        "rating": "reviews__rating",
        "unreviewed": "reviews__isnull",
    }
    show_full_result_count = False


class FacetedProductSearchAdmin(ProductSearchAdmin):
    """The same with facets always on: the changelist runs the search once per facet."""

    show_facets = admin.ShowFacets.ALWAYS


class FulltextProductSearchAdmin(ProductSearchAdmin):
    """Name and description through the full-text index; a code typed in the box is
    still found by the exact SKU, which its own unique index serves."""

    search_fields = ["sku__exact", "name", "description"]
    search_fulltext_fields = FULLTEXT_FIELDS


class ReviewSearchAdmin(SearchMixin, admin.ModelAdmin):
    list_display = ["title", "product", "rating", "author"]
    list_select_related = ["product"]
    search_fields = ["title", "text"]
    search_qualifiers = {
        "product": "product__name__icontains",
        "tag": "product__tags__name__iexact",
        "rating": "rating",
    }
    autocomplete_fields = ["product"]


class TagSearchAdmin(SearchMixin, admin.ModelAdmin):
    search_fields = ["name"]
    search_qualifiers = {"product": "products__name__icontains"}


class SupplierSearchAdmin(SearchMixin, admin.ModelAdmin):
    """Django's search-field prefixes and an exact lookup on a number."""

    search_fields = ["^name", "=country", "id__exact"]


class CategorySearchAdmin(SearchMixin, admin.ModelAdmin):
    """A developer-written help text wins over the generated one (and is escaped)."""

    search_fields = ["name"]
    search_help_text = "Names & <slugs>"


site.register(Product, ProductSearchAdmin)
site.register(Review, ReviewSearchAdmin)
site.register(Tag, TagSearchAdmin)
site.register(Supplier, SupplierSearchAdmin)
site.register(Category, CategorySearchAdmin)

fulltext_site.register(Product, FulltextProductSearchAdmin)


class StoredFulltextProductSearchAdmin(FulltextProductSearchAdmin):
    search_fulltext_column = "search_document"


stored_fulltext_site = admin.AdminSite(name="search_stored_fulltext_admin")
stored_fulltext_site.register(Product, StoredFulltextProductSearchAdmin)

faceted_site = admin.AdminSite(name="search_faceted_admin")
faceted_site.register(Product, FacetedProductSearchAdmin)


class KeysetFulltextProductAdmin(SearchMixin, PerformanceMixin, admin.ModelAdmin):
    """Full text without ranking, paged by keyset: the matches are sorted by an
    expression the keyset cursor must follow."""

    list_display = ["sku", "name", "price"]
    search_fields = ["name", "description"]
    search_fulltext_fields = FULLTEXT_FIELDS
    search_fulltext_rank = False
    keyset_pagination = True
    list_per_page = 2


keyset_fulltext_site = admin.AdminSite(name="search_keyset_fulltext_admin")
keyset_fulltext_site.register(Product, KeysetFulltextProductAdmin)
KEYSET_FULLTEXT = "/keyset-fulltext-admin/catalog/product/"


class PlainProductSearchAdmin(SearchMixin, admin.ModelAdmin):
    """What a project had before adding the mixin: it must search as stock Django."""

    list_display = ["sku", "name"]
    search_fields = ["sku", "name", "reviews__text", "tags__name"]


plain_site = admin.AdminSite(name="search_plain_admin")
plain_site.register(Product, PlainProductSearchAdmin)
PLAIN = "/plain-admin/catalog/product/"

urlpatterns = [
    path("admin/", site.urls),
    path("fulltext-admin/", fulltext_site.urls),
    path("stored-fulltext-admin/", stored_fulltext_site.urls),
    path("faceted-admin/", faceted_site.urls),
    path("keyset-fulltext-admin/", keyset_fulltext_site.urls),
    path("plain-admin/", plain_site.urls),
]
