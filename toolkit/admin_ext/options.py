"""``ToolkitModelAdmin``: every changelist mixin of the toolkit, composed in one class.

For people who want everything; others combine the mixins they need. Every mixin is a
:class:`~toolkit.admin_ext.base.ToolkitAdminMixin`: the changelist view, its ChangeList
class and ``checks_class`` are built once from the parts and checks the mixins declare,
in the order of the bases (outermost first); hooks that several mixins extend (such as
``get_actions``) call ``super()``:

- ``BulkActionsMixin`` adds mass update, toggles, duplicate and a safe delete, running
  large selections as background jobs (needs ``toolkit.jobs``);
- ``ExportMixin`` exports what the person sees as CSV, XLSX or JSON, formula-safe;
- ``SearchMixin`` answers ``get_search_results`` (qualifiers, phrases, ``EXISTS``);
- ``FiltersMixin`` validates every filter parameter before Django's ChangeList sees it;
- ``TotalsMixin`` and ``SavedViewsMixin`` add to the toolkit's changelist template;
- ``PerformanceMixin`` is innermost: its ChangeList counts, pages and validates paging
  and ordering, under everything the others add.
"""

from __future__ import annotations

from django.contrib import admin

from .actions import BulkActionsMixin
from .changelist import PerformanceMixin, TotalsMixin
from .filters import FiltersMixin
from .importexport import ExportMixin
from .saved_views import SavedViewsMixin
from .search import SearchMixin

__all__ = ["ToolkitModelAdmin"]


class ToolkitModelAdmin(
    BulkActionsMixin,
    ExportMixin,
    SearchMixin,
    FiltersMixin,
    TotalsMixin,
    SavedViewsMixin,
    PerformanceMixin,
    admin.ModelAdmin,
):
    """A ModelAdmin with the toolkit's bulk actions, exports, search, filters, totals, saved views
    and performance guards."""
