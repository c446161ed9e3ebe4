"""The background jobs of the bulk actions: a mass update or a deletion of a selection
above ``bulk_background_threshold`` rows, run chunk by chunk by :mod:`toolkit.jobs`.

Each chunk runs in a transaction of its own, with the ModelAdmin and a request for the
person who started the job, through the same functions the request uses
(:mod:`~toolkit.admin_ext.actions.apply`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError, RestrictedError
from django.http import QueryDict
from django.utils.translation import gettext_lazy

from toolkit.admin_ext.actions.apply import (
    FORM_PREFIX,
    apply_mass_update,
    delete_objects,
    mass_update_form_class,
)
from toolkit.admin_ext.actions.log import log_mass_update
from toolkit.admin_ext.selection import ChangelistJobHandler
from toolkit.jobs.exceptions import JobError
from toolkit.jobs.handlers import Chunk, ChunkResult, json_value, register

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.http import HttpRequest

    from toolkit.jobs.models import Job

__all__ = ["BulkDeleteHandler", "MassUpdateHandler"]


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
    ``log_each``. The values written are the ModelAdmin's ``get_mass_update_values()``
    of them, as in the request; only ``fields`` decide whether a row changes.

    Its title is written by the action that starts it, in words
    (:func:`~toolkit.admin_ext.actions.preview.mass_update_title`).
    """

    name = "admin_ext.mass_update"
    verbose_name = gettext_lazy("Mass update")

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
            cleaned = {name: form.cleaned_data[name] for name in fields}
            hook = getattr(modeladmin, "get_mass_update_values", None)
            self._values = dict(hook(request, cleaned)) if hook is not None else cleaned
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
            compare=[str(name) for name in job.params.get("fields", [])],
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
    verbose_name = gettext_lazy("Delete")

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
