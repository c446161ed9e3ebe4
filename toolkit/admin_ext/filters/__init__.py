"""List filters for changelists of large tables, and the hook that keeps bad input harmless.

Filters (each a ``FieldListFilter``; name the field explicitly in ``list_filter``)::

    list_filter = [
        ("price", NumericRangeFilter),       # ?price__gte=10&price__lte=50
        ("created", DateRangeFilter),        # ?created__gte=2025-01-01&created__lte=2025-01-31
        ("status", MultiSelectFilter),       # ?status__in=active,draft  (OR within the filter)
        ("category", TreeRelatedFilter),     # ?category__id__in_tree=3  (3 and every node under it)
        ("supplier", RelatedAutocompleteFilter),  # ?supplier__id__exact=7, select2 + autocomplete
        ("description", IsEmptyFilter),      # ?description__isempty=1
    ]

Every filter validates its own parameters: a value it cannot use becomes an admin
warning (``messages.WARNING``) and is ignored, while the rest of the query string keeps
working. ``FiltersMixin`` extends that to the whole changelist (Django's own filters, raw
lookups, disallowed lookups, the date hierarchy), drops the ignored values from every
link on the page, and adds the filters' JavaScript and CSS to the page media.

Parameters stay in Django's own lookup syntax, so a filtered URL reads like any other
admin URL and ``lookup_allowed`` applies to it unchanged.

One module per concern: :mod:`.base` (``ToolkitFieldListFilter`` and the per-request
helpers), one module per filter (:mod:`.range` with the numeric one, :mod:`.date_range`,
:mod:`.multi_select`, :mod:`.tree`, :mod:`.autocomplete`, :mod:`.empty`), :mod:`.validation` (the
ChangeList side), :mod:`.options` (``FiltersMixin`` and its changelist part) and
:mod:`.checks` (``FiltersChecks``, ``toolkit.W020``).
"""

from __future__ import annotations

from .autocomplete import RelatedAutocompleteFilter
from .base import ToolkitFieldListFilter
from .checks import FiltersChecks
from .checks import check_filters_mixin as check_filters_mixin  # registers toolkit.W020
from .date_range import DateRangeFilter
from .empty import IsEmptyFilter
from .multi_select import MultiSelectFilter
from .options import FiltersMixin
from .range import NumericRangeFilter
from .tree import TreeRelatedFilter

__all__ = [
    "DateRangeFilter",
    "FiltersChecks",
    "FiltersMixin",
    "IsEmptyFilter",
    "MultiSelectFilter",
    "NumericRangeFilter",
    "RelatedAutocompleteFilter",
    "ToolkitFieldListFilter",
    "TreeRelatedFilter",
]
