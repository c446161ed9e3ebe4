"""The work of the bulk actions, shared by the request (small selections) and the
background jobs (large ones), and the job handlers that run it in chunks.

Both paths call the same functions, :func:`apply_mass_update` and
:func:`delete_objects`, so a selection of 10 rows and one of a million are changed,
checked and logged alike; only the transaction boundaries differ (one for the request,
one per chunk for a job).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import ProtectedError, Q, QuerySet, RestrictedError
from django.http import QueryDict

from toolkit.admin_ext.permissions import deletable_rows, object_permissions_matter
from toolkit.admin_ext.selection import ChangelistJobHandler
from toolkit.jobs.exceptions import JobError
from toolkit.jobs.handlers import Chunk, ChunkResult, json_value, register

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.http import HttpRequest, HttpResponseBase

    from toolkit.jobs.models import Job

#: Prefix of the mass update form's fields, so that a model field named "action" or
#: "index" cannot be mistaken for the changelist's own.
FORM_PREFIX = "mu"

__all__ = [
    "ActionLogWatch",
    "BulkDeleteHandler",
    "MassUpdateHandler",
    "MassUpdateResult",
    "apply_mass_update",
    "delete_objects",
    "log_mass_update",
    "log_summary",
    "mass_update_form_class",
    "object_permissions_matter",
    "response_finishes_work",
]


def mass_update_form_class(
    modeladmin: ModelAdmin[Any], request: HttpRequest, fields: Sequence[str]
) -> type[forms.ModelForm[Any]]:
    """A ModelForm of ``fields`` with the admin's widgets (or the ModelAdmin's own
    ``get_mass_update_form_class``)."""
    hook = getattr(modeladmin, "get_mass_update_form_class", None)
    if hook is not None:
        return hook(request, list(fields))  # type: ignore[no-any-return,unused-ignore]
    return forms.modelform_factory(
        modeladmin.model,
        fields=list(fields),
        formfield_callback=partial(modeladmin.formfield_for_dbfield, request=request),
    )


def user_pk(request: HttpRequest) -> Any:
    """The primary key of the person a LogEntry names (actions need a logged-in user)."""
    pk = request.user.pk
    if pk is None:
        raise PermissionDenied("Bulk actions need a signed-in person.")
    return pk


def model_overrides_save(model: type[models.Model]) -> bool:
    """Whether the model declares per-object logic in ``save()`` (its own or a parent's,
    short of ``Model.save``): then ``queryset.update()`` would skip it."""
    return model.save is not models.Model.save


def unchanged_q(values: dict[str, Any]) -> Q:
    """Rows that already hold every value (``exclude()`` it to find the rows to change)."""
    return Q(**values)


def field_labels(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [str(getattr(model._meta.get_field(name), "verbose_name", name)) for name in names]


def change_message(model: type[models.Model], names: Sequence[str]) -> list[dict[str, Any]]:
    """A LogEntry change message in Django's JSON form ("Changed Price and Status.")."""
    return [{"changed": {"fields": field_labels(model, names)}}]


@dataclass
class MassUpdateResult:
    """What one application of a mass update did."""

    #: Rows changed.
    done: int = 0
    #: Rows left alone: refused by a per-row permission check or by validation.
    failed: int = 0
    #: The first few reasons rows were left alone, as sentences.
    errors: list[str] = field(default_factory=list)

    def add_error(self, message: str) -> None:
        self.failed += 1
        if len(self.errors) < 5:
            self.errors.append(message)


def apply_mass_update(
    modeladmin: ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    values: dict[str, Any],
    *,
    per_object: bool,
    log_each: bool,
) -> MassUpdateResult:
    """Set ``values`` on the rows of ``queryset`` that do not hold them yet.

    Call it inside a transaction. Without per-object logic one ``UPDATE`` changes the
    rows; with it each row is validated (``full_clean`` of the changed fields, so a
    value that breaks a row's constraint leaves that row alone) and saved. Rows the
    person may not change (per-row permissions) are counted as failed. With
    ``log_each`` every changed row gets a LogEntry (``CHANGE``), written in bulk.
    """
    from django.contrib.admin.models import CHANGE, LogEntry

    model = queryset.model
    names = list(values)
    result = MassUpdateResult()
    manager = model._base_manager
    to_change = queryset.exclude(unchanged_q(values)).order_by("pk")
    check = object_permissions_matter(modeladmin, "change")
    message = change_message(model, names)
    if not per_object:
        if not check and not log_each:
            # Nothing to know about the rows one by one: a single statement.
            result.done = to_change.update(**values)
            return result
        pks = list(to_change.values_list("pk", flat=True))
        if check:
            allowed = []
            for obj in manager.filter(pk__in=pks):
                if modeladmin.has_change_permission(request, obj):
                    allowed.append(obj.pk)
                else:
                    result.add_error(f"You may not change “{obj}”.")
            pks = allowed
        if pks:
            result.done = manager.filter(pk__in=pks).update(**values)
            if log_each:
                LogEntry.objects.log_actions(
                    user_pk(request), manager.filter(pk__in=pks), CHANGE, message
                )
        return result
    others = [f.name for f in model._meta.concrete_fields if f.name not in values]
    changed = []
    for obj in manager.filter(pk__in=to_change.values("pk")).order_by("pk"):
        if check and not modeladmin.has_change_permission(request, obj):
            result.add_error(f"You may not change “{obj}”.")
            continue
        for name, value in values.items():
            setattr(obj, name, value)
        try:
            obj.full_clean(exclude=others)
        except ValidationError as exc:
            detail = "; ".join(
                f"{key}: {' '.join(str(m) for m in msgs)}" for key, msgs in exc.message_dict.items()
            )
            result.add_error(f"“{obj}” was left alone ({detail}).")
            continue
        obj.save()
        changed.append(obj)
    result.done = len(changed)
    if log_each and changed:
        LogEntry.objects.log_actions(user_pk(request), changed, CHANGE, message)
    return result


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


def delete_objects(
    modeladmin: ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> tuple[int, int]:
    """Delete the rows of ``queryset`` (with their cascade) as the admin does: a
    deletion LogEntry per row (``log_deletions``), then ``delete_queryset``. Rows the
    person may not delete stay (:func:`~toolkit.admin_ext.permissions.deletable_rows`).
    Returns (deleted, refused). A row protected nonetheless raises ``ProtectedError``
    (or ``RestrictedError``): call it inside a transaction."""
    objects, refused = deletable_rows(modeladmin, request, queryset)
    count = objects.count()
    if count:
        modeladmin.log_deletions(request, objects)
        modeladmin.delete_queryset(request, objects)
    return count, refused


# -- job handlers --------------------------------------------------------------------


class _AdminJobHandler(ChangelistJobHandler):
    """Runs with the ModelAdmin and a request for ``job.started_by``, built once per
    run: the same hooks (permissions, forms, logging) the request would have used."""

    def __init__(self) -> None:
        self._context: tuple[ModelAdmin[Any], HttpRequest] | None = None

    def admin_context(self, job: Job) -> tuple[ModelAdmin[Any], HttpRequest]:
        if self._context is None:
            selection = self.get_selection(job)
            modeladmin = selection.get_modeladmin()
            self._context = (modeladmin, selection.build_request(modeladmin, self.get_user(job)))
        return self._context

    def get_chunk(self, job: Job, size: int) -> Chunk | None:
        # The rows through the base manager, without the changelist's ordering,
        # distinct() or annotations, which update() and delete() refuse.
        queryset = self.get_queryset(job)
        remaining = queryset if job.cursor is None else queryset.filter(pk__gt=job.cursor)
        pks = list(dict.fromkeys(remaining.order_by("pk").values_list("pk", flat=True)[:size]))
        if not pks:
            return None
        objects = queryset.model._base_manager.filter(pk__in=pks).order_by("pk")
        return Chunk(objects=objects, cursor=json_value(pks[-1]), size=len(pks))


@register
class MassUpdateHandler(_AdminJobHandler):
    """A mass update (or toggle) of a large selection, chunk by chunk.

    ``job.params``: ``fields`` (names), ``data`` (the submitted form data of those
    fields, validated again here with the ModelAdmin's form), ``per_object`` and
    ``log_each``.
    """

    name = "admin_ext.mass_update"
    verbose_name = "Mass update"

    def __init__(self) -> None:
        super().__init__()
        self._values: dict[str, Any] | None = None

    def get_values(self, job: Job) -> dict[str, Any]:
        if self._values is None:
            modeladmin, request = self.admin_context(job)
            fields = [str(name) for name in job.params.get("fields", [])]
            data = QueryDict(mutable=True)
            for key, values in (job.params.get("data") or {}).items():
                data.setlist(key, [str(v) for v in values])
            form = mass_update_form_class(modeladmin, request, fields)(
                data=data, prefix=FORM_PREFIX
            )
            if not form.is_valid():
                raise JobError(
                    "The new values are no longer valid: "
                    + "; ".join(
                        f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()
                    )
                )
            self._values = {name: form.cleaned_data[name] for name in fields}
        return self._values

    def process_chunk(self, job: Job, objects: Any) -> ChunkResult | None:
        modeladmin, request = self.admin_context(job)
        if not modeladmin.has_change_permission(request):
            raise PermissionDenied(
                "The person who started this job may no longer change these rows."
            )
        result = apply_mass_update(
            modeladmin,
            request,
            objects,
            self.get_values(job),
            per_object=bool(job.params.get("per_object")),
            log_each=bool(job.params.get("log_each")),
        )
        if not result.failed:
            return None  # the whole chunk: rows that already held the values are as asked
        return ChunkResult(done=objects.count() - result.failed, failed=result.failed)

    def on_finish(self, job: Job) -> None:
        if not job.params.get("log_each") and job.started_by_id is not None:
            model = job.target_model
            if model is not None:
                log_mass_update(job.started_by_id, model, job.done, job.params.get("fields", []))

    def get_result_message(self, job: Job) -> str:
        message = super().get_result_message(job).replace("processed", "updated", 1)
        return message


@register
class BulkDeleteHandler(_AdminJobHandler):
    """A select-across delete, chunk by chunk: each chunk deletes its rows and their
    cascade in one transaction, logging a deletion per row."""

    name = "admin_ext.bulk_delete"
    verbose_name = "Delete"

    def process_chunk(self, job: Job, objects: Any) -> ChunkResult:
        modeladmin, request = self.admin_context(job)
        if not modeladmin.has_delete_permission(request):
            raise PermissionDenied(
                "The person who started this job may no longer delete these rows."
            )
        try:
            deleted, refused = delete_objects(modeladmin, request, objects)
        except (ProtectedError, RestrictedError) as exc:
            # Protected since the person confirmed: the chunk's transaction rolls back.
            found = (
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            names = sorted({str(obj._meta.verbose_name_plural) for obj in found})
            raise JobError(
                "Some of these rows are now protected by related "
                f"{', '.join(names)}; the job stopped and this chunk was left as it was."
            ) from exc
        return ChunkResult(done=deleted, failed=refused)

    def get_result_message(self, job: Job) -> str:
        return super().get_result_message(job).replace("processed", "deleted", 1)
