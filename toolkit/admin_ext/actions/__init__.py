"""Bulk actions that stay safe on a million rows: :class:`BulkActionsMixin`.

- **Mass update** (``"mass_update"`` in ``actions``): tick fields, enter values, see
  "N of M rows will change", confirm (:mod:`.mass_update`).
- **Toggles** for boolean fields (``toggle_fields = ["is_active"]``): "Set Is active on
  selected products" and "Clear ...", logged like a mass update (:mod:`.toggles`).
- **Duplicate** (``"duplicate_selected"``): copies rows with their many-to-many links,
  giving unique text fields a free value ("SKU-1" → "SKU-1-copy", "SKU-1-copy-2")
  (:mod:`.duplicate`).
- **Delete** keeps Django's ``delete_selected`` flow for what its page can list and
  replaces its page above ``delete_list_max_objects`` rows with a summary that counts
  the cascade per model (:mod:`.delete`, :mod:`.delete_django`, :mod:`.delete_summary`;
  what a deletion reaches: :mod:`.cascade`; who may delete it: :mod:`.permissions`).
- **Row actions** (``row_actions = ["duplicate_selected", "toggle_is_active"]``): a
  button per changelist row (:mod:`.row_actions`), and change-form actions
  (:mod:`.change_form`), run one object at a time (:mod:`.object_actions`).

An action's POST skips the changelist's page of results and its counts, which it would
never show (the action's page or a redirect follows): on a million rows they are most
of the wait.

Selections above ``bulk_background_threshold`` rows run as background jobs
(:mod:`.jobs`, through the same functions as the request, :mod:`.apply`) and the action
redirects to the job's progress page; confirmation pages carry the selection as one
signed field (:mod:`.confirmation`). Every action leaves a LogEntry (:mod:`.log`).

Every action declares ``allowed_permissions``: Django then neither offers it nor runs a
forged POST of it ("No action selected.") to someone without the permission. On Django
6.1 the duplicate and toggle actions are also offered on the change form (Django's
action locations, :mod:`.offered`); row and object actions check
``has_<perm>_permission(request, obj)`` per row when the ModelAdmin overrides it.

::

    from toolkit.admin_ext.actions import BulkActionsMixin

    @admin.register(Product)
    class ProductAdmin(BulkActionsMixin, admin.ModelAdmin):
        actions = ["mass_update", "duplicate_selected"]
        mass_update_fields = ["price", "status", "category", "is_active"]
        toggle_fields = ["is_active"]

Public names are listed in ``__all__``; the modules' other names may change without
notice. The options' system checks are :mod:`.checks`.
"""

from __future__ import annotations

from toolkit.admin_ext.actions.base import BulkActionsMixin
from toolkit.admin_ext.actions.cascade import DeletionSummary, deletion_summary
from toolkit.admin_ext.actions.checks import BulkActionsChecks, RowActionsChecks
from toolkit.admin_ext.actions.decorators import bulk_action, row_action
from toolkit.admin_ext.actions.jobs import BulkDeleteHandler, MassUpdateHandler
from toolkit.admin_ext.actions.log import ActionLogWatch, log_summary
from toolkit.admin_ext.actions.object_actions import ObjectAction
from toolkit.admin_ext.actions.row_actions import RowActionsMixin
from toolkit.admin_ext.selection import count_upto

__all__ = [
    "ActionLogWatch",
    "BulkActionsChecks",
    "BulkActionsMixin",
    "BulkDeleteHandler",
    "DeletionSummary",
    "MassUpdateHandler",
    "ObjectAction",
    "RowActionsChecks",
    "RowActionsMixin",
    "bulk_action",
    "count_upto",
    "deletion_summary",
    "log_summary",
    "row_action",
]
