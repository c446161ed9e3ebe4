"""Every action leaves a LogEntry: the entries the bulk actions write, and the safety
net that writes one for an action that wrote none.

An action that finishes its work (returns ``None``, a redirect or a file) without
writing a LogEntry gets one summary entry, "Ran “Discontinue selected products” on 3
selected products" (or "on all 1,234 products matching status__exact=active", counted
up to ``action_log_count_limit``). A confirmation page is not logged (its own POST is);
an action that warns is not; one that logs on its own terms declares
``log_entry = False`` (``bulk_action(..., log_entry=False)``), as the toolkit's mass
update, toggles, duplicate, delete and exports do. Row and change-form actions share the
rule (:class:`ActionLogWatch`), logging on the object instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from toolkit.admin_ext.actions.cascade import rows_noun
from toolkit.admin_ext.actions.offered import (
    ROW,
    ActionLocation,
    OfferedActionsMixin,
    action_description,
    action_func,
    posted_action,
)
from toolkit.admin_ext.selection import changelist_params, count_upto

__all__ = [
    "ActionLogMixin",
    "ActionLogWatch",
    "change_message",
    "log_mass_update",
    "log_summary",
    "response_finishes_work",
    "user_pk",
]


def user_pk(request: HttpRequest) -> Any:
    """The primary key of the person a LogEntry names (actions need a logged-in user)."""
    pk = request.user.pk
    if pk is None:
        raise PermissionDenied("Bulk actions need a signed-in person.")
    return pk


def field_labels(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [str(getattr(model._meta.get_field(name), "verbose_name", name)) for name in names]


def change_message(model: type[models.Model], names: Sequence[str]) -> list[dict[str, Any]]:
    """A LogEntry change message in Django's JSON form ("Changed Price and Status.")."""
    return [{"changed": {"fields": field_labels(model, names)}}]


def log_summary(
    user_pk: Any,
    model: type[models.Model],
    object_repr: str,
    message: str | list[dict[str, Any]],
    *,
    action_flag: int | None = None,
) -> Any:
    """One LogEntry (``CHANGE``, no object) standing for work on many rows.

    ``object_repr`` says what and how many ("Mass update of 5,000 products"); ``message``
    is the change message, as text or in Django's JSON form. Used where logging row by
    row would write thousands of entries: a large mass update, an export or import, and
    the entry the action safety net (:class:`ActionLogWatch`) writes for a changelist
    action. ``action_flag`` defaults to ``CHANGE``.
    """
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    return LogEntry.objects.create(
        user_id=user_pk,
        content_type_id=ContentType.objects.get_for_model(model, for_concrete_model=False).pk,
        object_id=None,
        object_repr=object_repr[:200],
        action_flag=CHANGE if action_flag is None else action_flag,
        change_message=message if isinstance(message, str) else json.dumps(message),
    )


def log_mass_update(
    user_pk: Any, model: type[models.Model], count: int, names: Sequence[str]
) -> Any:
    """The summary entry of a mass update too large to log row by row."""
    noun = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
    return log_summary(
        user_pk, model, f"Mass update of {count} {noun}", change_message(model, names)
    )


def response_finishes_work(response: HttpResponseBase | None) -> bool:
    """Whether an action's answer means its work is done.

    ``None`` (back to the list) and a redirect (Django's after an action that returned
    ``None``, or the action's own, e.g. to a job's progress page) do; so does a file
    (any successful answer that is not an HTML page: a CSV, a JSON document). An HTML
    page does not: it is a confirmation or a form, whose POST comes back to the action
    and does the work then. Nor does an error status.
    """
    if response is None:
        return True
    if 300 <= response.status_code < 400:
        return True
    if response.status_code >= 400:
        return False
    return not str(response.get("Content-Type", "")).startswith("text/html")


class ActionLogWatch:
    """Watches one run of an admin action, so that every run leaves a LogEntry.

    Row, change-form and changelist actions share this safety net. Start it just before
    calling the action; afterwards :meth:`needs_entry` says whether the caller must write
    an entry for the run. It must when the action finished its work
    (:func:`response_finishes_work`), said nothing went wrong (no message at
    ``WARNING`` or above) and wrote no LogEntry for the person itself. An action that
    logs on its own terms (later, in a background job; or not at all) opts out with a
    ``log_entry = False`` attribute (``bulk_action(..., log_entry=False)``,
    ``row_action(..., log_entry=False)``); the toolkit's own actions do::

        watch = ActionLogWatch(request, func)
        response = func(modeladmin, request, queryset)
        if watch.needs_entry(response):
            ...  # log the run
    """

    def __init__(self, request: HttpRequest, func: Any) -> None:
        #: The action declared ``log_entry = False``: it leaves its own record.
        self.logs_itself = getattr(func, "log_entry", True) is False
        self.user_id: Any = request.user.pk
        self._storage = getattr(request, "_messages", None)
        self._queued_before = len(self._queued())
        self._last_entry = None if self.logs_itself else self._last_entry_pk()

    def _queued(self) -> list[Any]:
        return list(getattr(self._storage, "_queued_messages", []))

    def _last_entry_pk(self) -> int:
        from django.contrib.admin.models import LogEntry

        last = LogEntry.objects.filter(user_id=self.user_id).order_by("-pk")
        return last.values_list("pk", flat=True).first() or 0

    def new_messages(self) -> list[Any]:
        """The messages the action queued for the person."""
        return self._queued()[self._queued_before :]

    def went_wrong(self) -> bool:
        """Whether the action told the person something went wrong (or did nothing)."""
        return any(m.level >= messages.WARNING for m in self.new_messages())

    def wrote_entry(self) -> bool:
        """Whether the action wrote a LogEntry for the person while it ran."""
        from django.contrib.admin.models import LogEntry

        if self._last_entry is None:
            return False
        return LogEntry.objects.filter(user_id=self.user_id, pk__gt=self._last_entry).exists()

    def needs_entry(self, response: HttpResponseBase | None) -> bool:
        """Whether the caller must log this run (see the class docstring)."""
        return (
            not self.logs_itself
            and response_finishes_work(response)
            and not self.went_wrong()
            and not self.wrote_entry()
        )


class ActionLogMixin(OfferedActionsMixin):
    """The changelist's half of the safety net: a run of a changelist action that
    finished without writing a LogEntry gets one summary entry. Part of
    :class:`~toolkit.admin_ext.actions.BulkActionsMixin`."""

    #: A changelist action that finishes without writing a LogEntry gets one summary
    #: entry; for "Select all" it counts the matching rows up to this many ("more than
    #: 10,000 products") rather than counting a million.
    action_log_count_limit: int = 10_000

    def get_action_log_count_limit(self, request: HttpRequest) -> int:
        """Rows counted, at most, to name a select-across run in its LogEntry. See
        ``action_log_count_limit``."""
        return self.action_log_count_limit

    def response_action(  # type: ignore[override,unused-ignore]
        self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponseBase | None:
        """Run the changelist action as Django does, then make sure the run left a
        LogEntry: one summary entry naming the action and the rows, written when the
        action finished its work without writing one itself (:class:`ActionLogWatch`
        has the rule, shared with row and change-form actions). Not logged: a refused or
        empty POST (Django answers ``None``), an action that answers with a page (a
        confirmation: its own POST is logged), one that warned or failed, one declaring
        ``log_entry = False``.
        """
        location = kwargs.get("action_location", args[0] if args else None)
        if ActionLocation is not None and location not in (None, ActionLocation.CHANGE_LIST):
            # The change form's actions are object actions, logged by run_object_action.
            return super().response_action(request, queryset, *args, **kwargs)
        name = posted_action(request)
        entry = self._actions_at(request, ROW).get(name) if name else None
        if entry is None:
            return super().response_action(request, queryset, *args, **kwargs)
        watch = ActionLogWatch(request, action_func(entry))
        scope = None if watch.logs_itself else self.action_log_scope(request, queryset)
        started = timezone.now()
        response = super().response_action(request, queryset, *args, **kwargs)
        if response is not None and scope is not None and watch.needs_entry(response):
            label = action_description(entry, self.opts)
            job = self._job_started(request, started) if 300 <= response.status_code < 400 else None
            self.log_action_run(request, label, scope, job)
        return response

    def action_log_scope(self, request: HttpRequest, queryset: QuerySet[Any]) -> str:
        """What a changelist action is about to act on, in words, for its LogEntry.

        Taken before the action runs (it may change which rows match). Ticked rows are
        counted from the POST, without a query; "Select all" counts the matching rows up
        to ``action_log_count_limit`` ("more than 10,000 ...") and names the search and
        filters, never loading a row.
        """
        opts = self.model._meta
        select_across = request.POST.get("select_across", "") not in ("", "0", "False", "false")
        if not select_across:
            count = len(set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)))
            return f"{count} selected {rows_noun(self.model, count)}"
        limit = self.get_action_log_count_limit(request)
        count = count_upto(queryset, limit)
        counted = (
            f"more than {limit:,} {opts.verbose_name_plural}"
            if count > limit
            else f"all {count:,} {rows_noun(self.model, count)}"
        )
        params = changelist_params(request)
        for name in (ORDER_VAR, PAGE_VAR, ALL_VAR):
            params.pop(name, None)
        filters = ", ".join(f"{key}={value}" for key, values in params.lists() for value in values)
        return f"{counted} matching {filters}" if filters else counted

    def log_action_run(
        self, request: HttpRequest, label: str, scope: str, job: int | None = None
    ) -> Any:
        """Write the one LogEntry of a changelist action that logged nothing itself.

        ``label`` is the action's description, ``scope`` its rows in words
        (:meth:`action_log_scope`), ``job`` the background job it started, if any.
        Override to log differently (e.g. one entry per row for small selections).
        """
        message = f"Ran “{label}” on {scope}."
        if job is not None:
            message += f" It continues as background job #{job}."
        return log_summary(user_pk(request), self.model, f"Ran “{label}” on {scope}", message)

    def _job_started(self, request: HttpRequest, since: Any) -> int | None:
        """The background job the person started since ``since``, if any."""
        if not apps.is_installed("toolkit.jobs"):
            return None
        from toolkit.jobs.models import Job

        started = Job.objects.filter(started_by_id=request.user.pk, created_at__gte=since)
        pk: int | None = started.order_by("-pk").values_list("pk", flat=True).first()
        return pk
