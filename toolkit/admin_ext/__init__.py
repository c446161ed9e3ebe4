"""ModelAdmin mixins that keep a changelist fast and correct on a million rows.

Combine the mixins you need, or subclass :class:`ToolkitModelAdmin` for all of them::

    from toolkit.admin_ext import ToolkitModelAdmin, NumericRangeFilter

    @admin.register(Product)
    class ProductAdmin(ToolkitModelAdmin):
        search_qualifiers = {"sku": "sku__iexact", "price": "price"}
        list_filter = [("price", NumericRangeFilter)]
        list_totals = {"price": "avg"}

A mixin of your own builds on :class:`ToolkitAdminMixin` as the toolkit's do: it lists
its :class:`ChangeListPart` classes in ``changelist_parts`` and its checks (a subclass of
Django's ``ModelAdminChecks``) in ``mixin_checks_class`` (see :mod:`.base`).

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
from .base import DeclaredChecksMixin, ToolkitAdminMixin

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
    TreeRelatedFilter,
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
from .parts import ChangeListPart
from .saved_views import SavedViewsMixin
from .search import SearchMixin
from .selection import ChangelistJobHandler, Selection, SelectionError, start_changelist_job

__all__ = [
    "FORMULA_PREFIXES",
    "AddSearchVectorColumn",
    "AddSearchVectorIndex",
    "BulkActionsMixin",
    "BulkImporter",
    "ChangeListPart",
    "ChangelistJobHandler",
    "DateRangeFilter",
    "DeclaredChecksMixin",
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
    "ToolkitAdminMixin",
    "ToolkitFieldListFilter",
    "ToolkitModelAdmin",
    "TotalsMixin",
    "TreeRelatedFilter",
    "bulk_action",
    "count_rows",
    "deletion_summary",
    "neutralise",
    "row_action",
    "search_vector",
    "search_vector_index",
    "start_changelist_job",
]
