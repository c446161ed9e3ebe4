"""Admin of the demo catalog: every changelist feature of the toolkit, on real-looking data.

ProductAdmin uses everything (``ToolkitModelAdmin``); the other admins show that the
mixins also work one at a time.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import capfirst

from toolkit.admin_ext import (
    BulkActionsMixin,
    DateRangeFilter,
    FiltersMixin,
    ImportMixin,
    IsEmptyFilter,
    MultiSelectFilter,
    NumericRangeFilter,
    PaginatedTabularInline,
    PerformanceMixin,
    ReadOnlyTabularInline,
    RelatedAutocompleteFilter,
    SavedViewsMixin,
    SearchMixin,
    ToolkitModelAdmin,
)
from toolkit.admin_ext.filters import TreeRelatedFilter
from toolkit.admin_ext.importexport.columns import ListDisplayField, ListDisplayResource
from toolkit.ai.actions import FlagAnomaliesAction
from toolkit.ai.admin import AIActionsMixin
from toolkit.query_input import QueryInputMixin

from .ai import PRODUCT_AI_ACTIONS, PRODUCT_AI_FIELDS, PRODUCT_AI_RELATED, PRODUCT_AI_RULES
from .models import Category, Product, Review, StockMovement, Supplier, Tag
from .resources import ProductResource

#: The product list's anomaly flags: besides the rules and price against the category
#: (``ai_rules``, ``ai_peer_fields``), weight against the category, both on a log scale
#: (a price 1/50th of the median stands out as much as one 50 times above), and the
#: text a person or a model reads checked for markup, spreadsheet formulas, text
#: addressed to a model and control characters.
PRODUCT_ANOMALIES = FlagAnomaliesAction(
    peer_fields=["weight"],
    text_fields=["name", "description", "reviews.title", "reviews.text"],
)


class CategoryTreeFilter(TreeRelatedFilter):
    """Categories by path ("Electronics > Cables"); a department includes its
    subcategories."""

    label_field = "name"


@admin.register(Category)
class CategoryAdmin(BulkActionsMixin, SearchMixin, admin.ModelAdmin):
    actions = ["duplicate_selected"]
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    search_qualifiers = {"parent": "parent__name__icontains"}
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Supplier)
class SupplierAdmin(BulkActionsMixin, SearchMixin, FiltersMixin, admin.ModelAdmin):
    actions = ["duplicate_selected"]
    list_display = ["name", "country", "email", "phone"]
    list_filter = [
        "country",
        ("email", IsEmptyFilter),
        ("phone", IsEmptyFilter),
    ]
    search_fields = ["name", "email"]
    search_qualifiers = {"country": "country__iexact", "product": "products__name__icontains"}


@admin.register(Tag)
class TagAdmin(QueryInputMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class StockMovementInline(ReadOnlyTabularInline, PaginatedTabularInline):
    """The newest movements, read-only; "View all" opens the filtered movements list."""

    model = StockMovement
    fields = ["timestamp", "quantity", "reason"]
    ordering = ["-timestamp", "-id"]  # served by movement_product_time_idx


class ReviewInline(ReadOnlyTabularInline, PaginatedTabularInline):
    model = Review
    fields = ["created", "rating", "title", "author"]
    ordering = ["-created", "-id"]  # served by review_product_time_idx
    per_page = 5


@admin.register(Product)
class ProductAdmin(AIActionsMixin, ImportMixin, ToolkitModelAdmin):
    # Fits 1,400 px beside the admin's two sidebars (tests/browser/test_changelist_fit.py):
    # "is active" is the row menu's toggle and a filter, the supplier a filter and a
    # search qualifier (supplier:acme), not columns; widths in catalog/product_admin.css.
    list_display = ["sku", "name", "category", "price", "stock", "status"]
    #: Columns an export (and so an import of it) holds besides the page's, left off
    #: the page for width: ``{column: the page's column it follows}``.
    export_extra_columns = {"supplier": "category", "is_active": "status"}
    # list_select_related is derived from list_display; Category.__str__ reads its parent.
    list_select_related_extra = ["category__parent"]
    # "^sku": case-insensitive prefix (stock Django's istartswith), so "elc-cbl-0001"
    # and "ELC-CBL" find SKUs; migration 0005 indexes it on PostgreSQL.
    search_fields = ["^sku", "name", "description"]
    search_qualifiers = {
        "sku": "sku__iexact",
        "supplier": "supplier__name__icontains",
        "category": "category__name__icontains",
        "tag": "tags__name__iexact",
        "price": "price",
        "cost": "cost",
        "stock": "stock",
        "status": "status",
        "active": "is_active",
        "created": "created",
        "rating": "reviews__rating",
    }
    # PostgreSQL: free terms use the stored full-text vector of migration 0004 (and its
    # index); SQLite: icontains.
    search_fulltext_fields = ["name", "description"]
    search_fulltext_column = "search_document"
    # The short sections first; the category tree (dozens of paths) scrolls in its own.
    list_filter = [
        ("status", MultiSelectFilter),
        ("price", NumericRangeFilter),
        ("created", DateRangeFilter),
        ("supplier", RelatedAutocompleteFilter),
        ("category", CategoryTreeFilter),
        ("stock", NumericRangeFilter),
        "is_active",
    ]
    show_facets = admin.ShowFacets.ALLOW
    list_totals = {"price": "avg", "stock": "sum"}
    # An exact total or count reads every matching row (about 5 µs each under load):
    # above this many, totals ask for a filter first and the count is the estimate.
    list_totals_max_rows = 10_000
    estimated_count_threshold = 10_000
    keyset_pagination = True
    show_full_result_count = False
    # Pages of 50: with keyset pagination the next page costs what the first does, and
    # a page of 100 rows of twelve columns took twice the CPU (bench_load: p99 about
    # 1.0-1.1 s at 100 rows under 50 staff sessions on 2 cores, 0.6-0.9 s at 50).
    list_per_page = 50
    autocomplete_fields = ["category", "supplier", "tags"]
    readonly_fields = ["created", "updated"]
    inlines = [StockMovementInline, ReviewInline]
    actions = ["mass_update", "duplicate_selected"]
    # Import by SKU; category by slug, supplier by name, tags by name.
    import_resource_class = ProductResource
    # "Export selected as CSV / XLSX / JSON": exports are off until formats are named.
    export_formats = ("csv", "xlsx", "json")
    mass_update_fields = ["price", "cost", "stock", "status", "is_active", "category", "supplier"]
    toggle_fields = ["is_active"]
    # A "Duplicate" and a "Set/Clear is active" button on every row (POST, per-row checks).
    row_actions = ["duplicate_selected", "toggle_is_active"]
    # Product.save() only stamps `updated`: keep one UPDATE per chunk and stamp it here.
    mass_update_per_object = False
    # AI actions (demo/catalog/ai.py): what the model reads, the rules that flag without
    # it, price compared within the category, and the demo's own "Suggest a better
    # description". The threshold comes from TOOLKIT_AI_BACKGROUND_THRESHOLD.
    ai_fields = PRODUCT_AI_FIELDS
    ai_related = PRODUCT_AI_RELATED
    ai_rules = PRODUCT_AI_RULES
    ai_peer_group = "category"
    ai_peer_fields = ["price"]
    ai_actions = [
        PRODUCT_ANOMALIES if action is FlagAnomaliesAction else action
        for action in PRODUCT_AI_ACTIONS
    ]
    # Ask the changelist: "?cheap cables from acme low on stock" becomes a search.
    ask_enabled = True

    class Media:
        css = {"all": ["catalog/product_admin.css"]}

    def get_export_resource(self, request: HttpRequest) -> ListDisplayResource:
        resource = super().get_export_resource(request)
        fields = {}
        for key, field in resource.fields.items():
            fields[key] = field
            for name, after in self.export_extra_columns.items():
                if after == key and name not in resource.fields:
                    label = capfirst(str(label_for_field(name, self.model, self)))
                    fields[name] = ListDisplayField(name, label, self)
        resource.fields = fields
        resource._meta.export_order = tuple(fields)
        return resource

    def get_mass_update_values(
        self, request: HttpRequest, cleaned: dict[str, Any]
    ) -> dict[str, Any]:
        return {**cleaned, "updated": timezone.now()}


@admin.register(StockMovement)
class StockMovementAdmin(FiltersMixin, SavedViewsMixin, PerformanceMixin, admin.ModelAdmin):
    list_display = ["product", "quantity", "reason", "timestamp"]
    list_filter = [
        ("reason", MultiSelectFilter),
        ("timestamp", DateRangeFilter),
        ("product", RelatedAutocompleteFilter),
    ]
    autocomplete_fields = ["product"]
    keyset_pagination = True
    show_full_result_count = False


@admin.register(Review)
class ReviewAdmin(SearchMixin, FiltersMixin, SavedViewsMixin, PerformanceMixin, admin.ModelAdmin):
    list_display = ["product", "rating", "title", "author", "created"]
    list_filter = [
        ("rating", NumericRangeFilter),
        ("created", DateRangeFilter),
        ("product__supplier", RelatedAutocompleteFilter),
    ]
    search_fields = ["title", "text", "author"]
    search_qualifiers = {
        "rating": "rating",
        "author": "author__icontains",
        "sku": "product__sku__iexact",
    }
    autocomplete_fields = ["product"]
    keyset_pagination = True
    show_full_result_count = False
