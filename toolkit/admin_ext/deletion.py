"""The "Delete selected" action of :class:`~toolkit.admin_ext.BulkActionsMixin`.

A selection Django's own page can list is deleted exactly as Django deletes it: the
ModelAdmin's ``get_deleted_objects()`` finds what goes (and what the person may not
delete, and what protects), its page is ``admin/delete_selected_confirmation.html``
(per-app and per-model overrides, ``delete_selected_confirmation_template`` and
``delete_confirmation_max_display`` honoured), it confirms with Django's POST
(``post=yes`` and the primary keys), and ``log_deletions()`` and ``delete_queryset()``
do the work. The toolkit adds one transaction around them, so a row that became
protected meanwhile leaves nothing half done and shows Django's "cannot delete" page
instead of an error.

Above that (see :func:`lists_every_object`: more rows than
``delete_list_max_objects`` with the cascade, more than the background threshold, or
more than one POST can carry) the page is the toolkit's summary: the cascade counted per
model (:func:`~toolkit.admin_ext.cascade.deletion_summary`) and a signed selection
instead of one field per row. Its safety is the same at any depth: every model the
cascade reaches is checked with ``has_delete_permission()`` of its ModelAdmin, as
``get_deleted_objects()`` does, and anything protecting shows Django's "cannot delete"
page, when the page opens and again when the person confirms. Rules that depend on
the row (an overridden ``get_deleted_objects()``, a related ModelAdmin's per-object
``has_delete_permission()``) are applied to every chunk before it is deleted
(:func:`~toolkit.admin_ext.permissions.deletable_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import model_ngettext, quote
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.bulk_jobs import BulkDeleteHandler, delete_objects
from toolkit.admin_ext.cascade import (
    MAX_CASCADE_DEPTH,
    DeletionSummary,
    cascade_fits,
    deletion_summary,
    rows_noun,
)
from toolkit.admin_ext.selection import SELECTION_FIELD, Selection, count_upto

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

#: A ModelAdmin with :class:`~toolkit.admin_ext.BulkActionsMixin`: not imported, since
#: ``actions.py`` imports this module (imports run one way).
BulkActionsMixin = Any

__all__ = [
    "cannot_delete_response",
    "delete_selected",
    "describe_object",
    "djangos_delete_selected",
    "lists_every_object",
]

#: Fields Django's confirmation page posts besides one per row (the CSRF token,
#: ``action``, ``post``, and a spare): its rows must leave room for them under
#: ``DATA_UPLOAD_MAX_NUMBER_FIELDS``.
FIELDS_BESIDES_ROWS = 4

#: Protecting rows named per relation on the "cannot delete" page of a large selection
#: (the rest are counted).
PROTECTING_ROWS_SHOWN = 20


def delete_selected(
    modeladmin: BulkActionsMixin, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    """Run the action: Django's flow for a selection a page can list, the toolkit's
    summary for larger ones (and for a summary page's own POST)."""
    if SELECTION_FIELD not in request.POST and lists_every_object(modeladmin, request, queryset):
        return djangos_delete_selected(modeladmin, request, queryset)
    found = modeladmin.get_action_selection(request, "delete_selected", queryset)
    if found is None:
        return None
    selection, queryset = found
    # Django's POST (``post=yes`` with the primary keys) of a selection that has since
    # outgrown its page is shown the summary to confirm, not deleted unseen.
    confirmed = bool(request.POST.get("post")) and SELECTION_FIELD in request.POST
    return summary_delete_selected(modeladmin, request, queryset, selection, confirmed=confirmed)


def lists_every_object(
    modeladmin: BulkActionsMixin, request: HttpRequest, queryset: QuerySet[Any]
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


# -- Django's flow -----------------------------------------------------------------------


def djangos_delete_selected(
    modeladmin: BulkActionsMixin, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    """``django.contrib.admin.actions.delete_selected``, hook for hook, with the log
    and the deletion in one transaction: a ``ProtectedError`` or ``RestrictedError``
    (a row protected since the page was shown, or one ``get_deleted_objects()`` did not
    report) rolls both back and shows the "cannot delete" page."""
    deletable_objects, model_count, perms_needed, protected = modeladmin.get_deleted_objects(
        queryset, request
    )
    if request.POST.get("post") and not protected:
        if perms_needed:
            raise PermissionDenied
        count = len(queryset)
        if not count:
            return None
        try:
            with transaction.atomic(using=router.db_for_write(modeladmin.model)):
                modeladmin.log_deletions(request, queryset)
                modeladmin.delete_queryset(request, queryset)
        except (ProtectedError, RestrictedError) as exc:
            protected = [describe_object(modeladmin.admin_site, obj) for obj in _protecting(exc)]
        else:
            modeladmin.message_user(
                request,
                _("Successfully deleted %(count)d %(items)s.")
                % {"count": count, "items": model_ngettext(modeladmin.opts, count)},
                messages.SUCCESS,
            )
            return None
    objects_name = model_ngettext(queryset)
    title: Any
    if perms_needed or protected:
        title = _("Cannot delete %(name)s") % {"name": objects_name}
    else:
        title = _("Delete multiple objects")
    return _confirmation_page(
        modeladmin,
        request,
        {
            "title": title,
            "objects_name": str(objects_name),
            "deletable_objects": [deletable_objects],
            "model_count": dict(model_count).items(),
            "queryset": queryset,
            "perms_lacking": perms_needed,
            "protected": protected,
        },
    )


def cannot_delete_response(
    modeladmin: BulkActionsMixin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    perms_needed: Iterable[str],
    protected: list[Any],
) -> HttpResponse:
    """Django's "cannot delete" page (its delete-selected template) for a selection
    of any size: what the person may not delete, or what protects."""
    # Singular or plural is all the name needs: never count a million rows for it.
    objects_name = model_ngettext(modeladmin.opts, count_upto(queryset, 1))
    return _confirmation_page(
        modeladmin,
        request,
        {
            "title": _("Cannot delete %(name)s") % {"name": objects_name},
            "objects_name": str(objects_name),
            "deletable_objects": [[]],
            "model_count": {}.items(),
            "queryset": queryset.none(),
            "perms_lacking": set(perms_needed),
            "protected": protected,
        },
    )


def _confirmation_page(
    modeladmin: BulkActionsMixin, request: HttpRequest, context: dict[str, Any]
) -> TemplateResponse:
    """Django's delete-selected page with ``context`` added to what every one has."""
    opts = modeladmin.model._meta
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(
        request,
        modeladmin.delete_selected_confirmation_template
        or [
            f"admin/{opts.app_label}/{opts.model_name}/delete_selected_confirmation.html",
            f"admin/{opts.app_label}/delete_selected_confirmation.html",
            "admin/delete_selected_confirmation.html",
        ],
        {
            **modeladmin.admin_site.each_context(request),
            "subtitle": None,
            # Django 6.1's option (absent before, where the template does not ask).
            "delete_confirmation_max_display": getattr(
                modeladmin, "delete_confirmation_max_display", None
            ),
            "opts": opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": modeladmin.media,
            **context,
        },
    )


def describe_object(admin_site: AdminSite, obj: models.Model) -> str:
    """``"Answer: <a href=...>Because.</a>"``, as Django's confirmation pages name an
    object: a link to its change page where the site has one."""
    opts = obj._meta
    no_link = f"{capfirst(opts.verbose_name)}: {obj}"
    if not admin_site.is_registered(type(obj)):
        return no_link
    try:
        url = reverse(
            f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=(quote(obj.pk),),
        )
    except NoReverseMatch:
        return no_link
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, str(obj) or "-")


def _protecting(exc: ProtectedError | RestrictedError) -> Iterable[models.Model]:
    if isinstance(exc, ProtectedError):
        return exc.protected_objects
    return exc.restricted_objects


# -- the summary -------------------------------------------------------------------------


def protecting_objects(modeladmin: BulkActionsMixin, summary: DeletionSummary) -> list[Any]:
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
    modeladmin: BulkActionsMixin,
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
        queryset, exact=not confirmed, limit=modeladmin.delete_summary_count_limit
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
                f"Delete {opts.verbose_name_plural}",
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
    modeladmin: BulkActionsMixin, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    opts = modeladmin.model._meta
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            deleted, refused = delete_objects(modeladmin, request, queryset)
    except (ProtectedError, RestrictedError) as exc:
        # Protected since the person confirmed: nothing was deleted.
        named = [describe_object(modeladmin.admin_site, obj) for obj in _protecting(exc)]
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
