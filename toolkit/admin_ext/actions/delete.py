"""The "Delete selected" action of :class:`~toolkit.admin_ext.actions.BulkActionsMixin`.

It keeps Django's ``delete_selected`` flow for what Django's page can list
(:mod:`~toolkit.admin_ext.actions.delete_django`: its template,
``get_deleted_objects()``, ``post=yes``, ``delete_queryset()``) and replaces the page
above that (:func:`lists_every_object`: more rows than ``delete_list_max_objects`` with
the cascade, more than the background threshold, or more than one POST can carry) with
the toolkit's summary (:mod:`~toolkit.admin_ext.actions.delete_summary`): the cascade
counted per model (related rows up to ``delete_summary_count_limit``, "more than 10,000"
above), with the same handful of fields posted whatever the number of rows (Django's
posts one per row and fails past ``DATA_UPLOAD_MAX_NUMBER_FIELDS``).

What a deletion reaches is :mod:`~toolkit.admin_ext.actions.cascade`; who may delete it,
:mod:`~toolkit.admin_ext.actions.permissions`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.actions.cascade import DeletionSummary, cascade_fits
from toolkit.admin_ext.actions.confirmation import ConfirmationMixin
from toolkit.admin_ext.actions.decorators import bulk_action
from toolkit.admin_ext.actions.delete_django import djangos_delete_selected
from toolkit.admin_ext.actions.delete_summary import summary_delete_selected
from toolkit.admin_ext.actions.offered import action_func, make_action
from toolkit.admin_ext.actions.permissions import cascade_perms_needed
from toolkit.admin_ext.selection import SELECTION_FIELD, count_upto

__all__ = ["DeleteMixin", "lists_every_object"]

#: Fields Django's confirmation page posts besides one per row (the CSRF token,
#: ``action``, ``post``, and a spare): its rows must leave room for them under
#: ``DATA_UPLOAD_MAX_NUMBER_FIELDS``.
FIELDS_BESIDES_ROWS = 4


class DeleteMixin(ConfirmationMixin):
    """A "Delete selected" that is Django's own for small selections and safe at any
    size. Part of :class:`~toolkit.admin_ext.actions.BulkActionsMixin`."""

    #: The delete confirmation counts related rows up to this many per relation and
    #: shows "more than N" above (exact counts of millions of rows take seconds);
    #: ``None`` counts them all. The selected rows are always counted exactly.
    delete_summary_count_limit: int | None = 10_000

    #: A deletion whose selection and cascade hold at most this many rows in all (and
    #: whose selection runs in the request) is confirmed on Django's own page, which
    #: lists every object; above, on the summary, which counts them per model. ``0``:
    #: always the summary.
    delete_list_max_objects: int = 1000

    def get_delete_list_max_objects(self, request: HttpRequest) -> int:
        """Rows (selection and cascade) up to which a deletion is confirmed on Django's
        own page. See ``delete_list_max_objects``."""
        return self.delete_list_max_objects

    def get_delete_summary_count_limit(self, request: HttpRequest) -> int | None:
        """Related rows counted, at most, per relation on the summary; ``None``: all.
        See ``delete_summary_count_limit``."""
        return self.delete_summary_count_limit

    @bulk_action(
        permissions=["delete"],
        description=_("Delete selected %(verbose_name_plural)s"),
        log_entry=False,
        row_label=_("Delete…"),
    )
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        """Django's confirmation and deletion for what its page can list; above
        ``delete_list_max_objects`` rows, cascade counts and a job past the threshold.
        A summary page's own POST comes back here with its signed selection."""
        if SELECTION_FIELD not in request.POST and lists_every_object(self, request, queryset):
            return djangos_delete_selected(self, request, queryset)
        found = self.get_action_selection(request, "delete_selected", queryset)
        if found is None:
            return None
        selection, queryset = found
        # Django's POST (``post=yes`` with the primary keys) of a selection that has since
        # outgrown its page is shown the summary to confirm, not deleted unseen.
        confirmed = bool(request.POST.get("post")) and SELECTION_FIELD in request.POST
        return summary_delete_selected(self, request, queryset, selection, confirmed=confirmed)

    def cascade_perms_needed(self, request: HttpRequest, summary: DeletionSummary) -> set[str]:
        """Names of the models in the cascade the person may not delete, as Django
        checks them: through the admin of each model registered on this site."""
        return cascade_perms_needed(self, request, summary)

    def _own_delete_action(self, actions: dict[str, Any], location: Any) -> None:
        """Put this delete in place of Django's ``delete_selected`` in ``actions``,
        wherever the site offers Django's (a site that removed it keeps it removed)."""
        current = actions.get("delete_selected")
        if current is not None and action_func(current) is django_delete_selected:
            actions["delete_selected"] = make_action(
                type(self).delete_selected, "delete_selected", location
            )


def lists_every_object(
    modeladmin: DeleteMixin, request: HttpRequest, queryset: QuerySet[Any]
) -> bool:
    """Whether Django's own confirmation page suits this selection.

    It lists every object the deletion reaches and posts one field per selected row,
    and its "Yes" deletes in the request. So: the selection with its cascade holds at
    most ``delete_list_max_objects`` rows, the selection is within the background
    threshold, and its rows fit in one POST (``DATA_UPLOAD_MAX_NUMBER_FIELDS``). Counted
    with ``LIMIT``: a few cheap queries on a million rows.
    """
    budget = modeladmin.get_delete_list_max_objects(request)
    if budget <= 0:
        return False
    rows = budget
    threshold = modeladmin.get_bulk_background_threshold(request)
    if threshold is not None:
        rows = min(rows, threshold)
    max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if max_fields is not None:
        rows = min(rows, max_fields - FIELDS_BESIDES_ROWS)
    selected = count_upto(queryset, max(rows, 0))
    if selected > rows:
        return False
    return cascade_fits(queryset, budget)
