"""ModelAdmin mixins that keep a changelist fast and correct on a million rows.

Combine the mixins you need, or subclass :class:`ToolkitModelAdmin` for all of them::

    from toolkit.admin_ext import ToolkitModelAdmin, NumericRangeFilter

    @admin.register(Product)
    class ProductAdmin(ToolkitModelAdmin):
        search_qualifiers = {"sku": "sku__iexact", "price": "price"}
        list_filter = [("price", NumericRangeFilter)]
        list_totals = {"price": "avg"}

Public names are listed in ``__all__``; anything else may change without notice.
"""

from __future__ import annotations

from .actions import (
    BulkActionsMixin,
    ObjectAction,
    RowActionsMixin,
    bulk_action,
    deletion_summary,
    row_action,
)

# Importing the changelist package registers its deploy-time advice (toolkit.W040, W041).
from .changelist import EstimatedCountPaginator, PerformanceMixin, TotalsMixin, count_rows
from .filters import (
    DateRangeFilter,
    FiltersMixin,
    IsEmptyFilter,
    MultiSelectFilter,
    NumericRangeFilter,
    RelatedAutocompleteFilter,
    ToolkitFieldListFilter,
)
from .fulltext import (
    AddSearchVectorColumn,
    AddSearchVectorIndex,
    RemoveSearchVectorIndex,
    StoredSearchVector,
    search_vector,
    search_vector_index,
)
from .importexport import (
    FORMULA_PREFIXES,
    BulkImporter,
    ExportJobHandler,
    ExportMixin,
    ImportExportMixin,
    ImportFileError,
    ImportJobHandler,
    ImportLimits,
    ImportMixin,
    ListDisplayResource,
    neutralise,
)
from .inlines import PaginatedTabularInline, ReadOnlyTabularInline
from .options import ToolkitModelAdmin
from .saved_views import SavedViewsMixin
from .search import SearchMixin
from .selection import ChangelistJobHandler, Selection, SelectionError, start_changelist_job

__all__ = [
    "FORMULA_PREFIXES",
    "AddSearchVectorColumn",
    "AddSearchVectorIndex",
    "BulkActionsMixin",
    "BulkImporter",
    "ChangelistJobHandler",
    "DateRangeFilter",
    "EstimatedCountPaginator",
    "ExportJobHandler",
    "ExportMixin",
    "FiltersMixin",
    "ImportExportMixin",
    "ImportFileError",
    "ImportJobHandler",
    "ImportLimits",
    "ImportMixin",
    "IsEmptyFilter",
    "ListDisplayResource",
    "MultiSelectFilter",
    "NumericRangeFilter",
    "ObjectAction",
    "PaginatedTabularInline",
    "PerformanceMixin",
    "ReadOnlyTabularInline",
    "RelatedAutocompleteFilter",
    "RemoveSearchVectorIndex",
    "RowActionsMixin",
    "SavedViewsMixin",
    "SearchMixin",
    "Selection",
    "SelectionError",
    "StoredSearchVector",
    "ToolkitFieldListFilter",
    "ToolkitModelAdmin",
    "TotalsMixin",
    "bulk_action",
    "count_rows",
    "deletion_summary",
    "neutralise",
    "row_action",
    "search_vector",
    "search_vector_index",
    "start_changelist_job",
]
