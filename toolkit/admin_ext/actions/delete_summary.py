"""The summary confirmation of a deletion too large for Django's page, and its deletion.

The page counts the cascade per model (:func:`~toolkit.admin_ext.actions.cascade.deletion_summary`)
and carries a signed selection instead of one field per row. Its safety is the same at
any depth: every model the cascade reaches is checked with ``has_delete_permission()`` of
its ModelAdmin, as ``get_deleted_objects()`` does, and anything protecting shows Django's
"cannot delete" page, when the page opens and again when the person confirms. Rules that
depend on the row (an overridden ``get_deleted_objects()``, a related ModelAdmin's
per-object ``has_delete_permission()``) are applied to every chunk before it is deleted
(:func:`~toolkit.admin_ext.actions.permissions.deletable_rows`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.actions.apply import delete_objects
from toolkit.admin_ext.actions.cascade import (
    MAX_CASCADE_DEPTH,
    DeletionSummary,
    deletion_summary,
    rows_noun,
)
from toolkit.admin_ext.actions.delete_django import (
    cannot_delete_response,
    describe_object,
    protecting,
)
from toolkit.admin_ext.actions.jobs import BulkDeleteHandler
from toolkit.admin_ext.selection import Selection, count_upto

__all__ = ["protecting_objects", "summary_delete_selected"]

#: A ModelAdmin with :class:`~toolkit.admin_ext.actions.delete.DeleteMixin`: not
#: imported, since ``delete.py`` imports this module (imports run one way).
DeletingAdmin = Any

#: Protecting rows named per relation on the "cannot delete" page of a large selection
#: (the rest are counted).
PROTECTING_ROWS_SHOWN = 20


def protecting_objects(modeladmin: DeletingAdmin, summary: DeletionSummary) -> list[Any]:
    """What protects a large selection, for Django's "cannot delete" page: the first
    rows of each protecting relation, then how many there are in all."""
    named: list[Any] = []
    counts = dict(summary.protected)
    for rows in summary.protecting:
        shown = list(rows.order_by("pk")[: PROTECTING_ROWS_SHOWN + 1])
        named.extend(
            describe_object(modeladmin.admin_site, obj) for obj in shown[:PROTECTING_ROWS_SHOWN]
        )
        if len(shown) > PROTECTING_ROWS_SHOWN:
            meta = rows.model._meta
            count = counts.get(rows.model, len(shown))
            named.append(
                _("…and more %(name)s (%(count)s in all).")
                % {"name": meta.verbose_name_plural, "count": _shown(summary, count)}
            )
    return named


def summary_delete_selected(
    modeladmin: DeletingAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    selection: Selection,
    *,
    confirmed: bool,
) -> HttpResponse | None:
    """The summary page of a large selection, or its confirmed deletion: in the request
    up to the background threshold, as a job above it."""
    opts = modeladmin.model._meta
    # Confirming needs to know which models are reached, not how many rows.
    summary = deletion_summary(
        queryset, exact=not confirmed, limit=modeladmin.get_delete_summary_count_limit(request)
    )
    if not summary.complete:
        modeladmin.message_user(
            request,
            _(
                "Deleting these rows reaches related rows more than %(depth)d levels deep, "
                "which cannot be checked at this size; nothing was deleted. Delete fewer "
                "rows at a time."
            )
            % {"depth": MAX_CASCADE_DEPTH},
            messages.ERROR,
        )
        return None
    perms_needed = modeladmin.cascade_perms_needed(request, summary)
    if confirmed and perms_needed:
        raise PermissionDenied
    if perms_needed or summary.protected:
        return cannot_delete_response(
            modeladmin, request, queryset, perms_needed, protecting_objects(modeladmin, summary)
        )
    if confirmed:
        threshold = modeladmin.get_bulk_background_threshold(request)
        if threshold is not None and count_upto(queryset, threshold) > threshold:
            return modeladmin.start_job_response(
                request,
                BulkDeleteHandler,
                queryset,
                selection,
                {},
                str(_("Delete %(items)s") % {"items": opts.verbose_name_plural}),
            )
        return _delete_in_request(modeladmin, request, queryset)
    if summary.total == 0:
        modeladmin.message_user(
            request, _("None of the selected rows exist any more."), messages.WARNING
        )
        return None
    threshold = modeladmin.get_bulk_background_threshold(request)
    context = {
        **modeladmin.base_context(request, str(_("Delete %s?") % opts.verbose_name_plural)),
        **modeladmin.selection_context(request, "delete_selected", selection),
        # The selection itself is counted exactly; related rows up to the limit.
        "deleted": [
            (capfirst(rows_noun(m, c)), str(c) if i == 0 else _shown(summary, c))
            for i, (m, c) in enumerate(summary.deleted)
        ],
        "updated": [(capfirst(rows_noun(m, c)), _shown(summary, c)) for m, c in summary.updated],
        "total": summary.total,
        "background": threshold is not None and summary.total > threshold,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "toolkit/admin_ext/actions/delete_confirmation.html", context)


def _delete_in_request(
    modeladmin: DeletingAdmin, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    opts = modeladmin.model._meta
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            deleted, refused = delete_objects(modeladmin, request, queryset)
    except (ProtectedError, RestrictedError) as exc:
        # Protected since the person confirmed: nothing was deleted.
        named = [describe_object(modeladmin.admin_site, obj) for obj in protecting(exc)]
        return cannot_delete_response(modeladmin, request, queryset, (), named)
    if deleted:
        modeladmin.message_user(
            request,
            _("Successfully deleted %(count)d %(items)s.")
            % {"count": deleted, "items": model_ngettext(opts, deleted)},
            messages.SUCCESS,
        )
    if refused:
        modeladmin.message_user(
            request,
            _("%(count)d rows were left: you may not delete them.") % {"count": refused},
            messages.WARNING,
        )
    return None


def _shown(summary: DeletionSummary, count: int) -> str:
    if summary.is_capped(count):
        return str(_("more than %(limit)s") % {"limit": f"{summary.limit:,}"})
    return str(count)
