"""Export what the changelist shows, safely and at any size; import files with a preview.

:class:`ExportMixin` adds "Export selected as CSV / XLSX / JSON" actions to a
``ModelAdmin``. The export holds exactly what the person sees: the changelist's search,
filters and selection (or every filtered row with "select all"), and its
``list_display`` columns, headed by the changelist's column labels, with callables,
``__str__`` of related objects and choice labels as displayed. Cells are written as a
:class:`ListDisplayResource`, a django-import-export ``Resource`` built from
``list_display``, so the same columns serve the stock ``Resource.export()`` too.

Safe by default: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'`` in every format (spreadsheets would run it as a
formula: "CSV injection"). Numbers, negative ones too, stay numbers. JSON is not opened
by spreadsheets, but is often turned into CSV downstream, so it is neutralised too
unless ``export_neutralise_json = False``.

Flat memory: rows are read with ``QuerySet.iterator(chunk_size=...)`` and written as
they come (CSV and JSON streamed to the browser, XLSX through openpyxl's write-only
mode), never gathered in a ``tablib.Dataset``. Selections above
``export_background_threshold`` rows run as a background job (:mod:`toolkit.jobs`)
whose page shows progress and, to the person who started it only, the download.
"""

from __future__ import annotations

import csv
import datetime
import importlib
import importlib.util
import io
import json
import logging
import re
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core import checks
from django.core.checks import CheckMessage
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext_lazy as _
from import_export.fields import Field
from import_export.resources import Resource

from toolkit.admin_ext.bulk_jobs import log_summary
from toolkit.admin_ext.selection import ChangelistJobHandler, start_changelist_job
from toolkit.jobs import ChunkResult, JobHandler, register

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from toolkit.jobs.models import Job

    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

logger = logging.getLogger("toolkit.admin_ext.importexport")

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARS = frozenset(FORMULA_PREFIXES)

#: Whether openpyxl, needed for XLSX, is installed (``pip install django-toolkit[xlsx]``).
HAS_OPENPYXL = importlib.util.find_spec("openpyxl") is not None


def neutralise(value: Any) -> Any:
    """``value`` made safe to open in a spreadsheet: text that starts like a formula
    gets a leading ``'``; anything that is not text (a negative number) is unchanged."""
    if value.__class__ is str and value and value[0] in FORMULA_CHARS:
        return "'" + value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# -- columns: a Resource built from list_display ------------------------------------


def display_value(name: str | Any, obj: models.Model, model_admin: admin.ModelAdmin[Any]) -> Any:
    """The value of one ``list_display`` entry for ``obj``, as the changelist shows it,
    but typed: numbers stay numbers, booleans booleans, related objects their ``str``,
    choices their label, HTML from ``format_html`` callables plain text."""
    field, _attr, value = lookup_field(name, obj, model_admin)
    if field is None:
        if isinstance(value, SafeData):
            return strip_tags(str(value))
        if isinstance(value, models.Model):
            return str(value)
        return value
    if value is None:
        return None
    if getattr(field, "flatchoices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, models.Model):
        return str(value)
    return value


@dataclass(frozen=True)
class Column:
    """How one ``list_display`` entry that is a concrete model field reads from a
    ``values_list()`` row: ``kind`` is "plain", "choice" or "related"."""

    kind: str
    attname: str
    choices: dict[Any, Any] | None = None
    related_model: type[models.Model] | None = None


def field_column(name: str | Any, model_admin: admin.ModelAdmin[Any]) -> Column | None:
    """The :class:`Column` of a ``list_display`` entry that is a concrete field, else
    ``None`` (a callable, a property: those need the model instance)."""
    if not isinstance(name, str):
        return None
    try:
        field = model_admin.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.auto_created or not field.concrete or field.many_to_many:
        return None
    if field.is_relation:
        return Column("related", field.attname, related_model=field.related_model)
    if getattr(field, "flatchoices", None):
        return Column("choice", field.attname, choices=dict(field.flatchoices))
    return Column("plain", field.attname)


def display_getter(
    name: str | Any, model_admin: admin.ModelAdmin[Any], column: Column | None
) -> Callable[[models.Model], Any]:
    """A function giving :func:`display_value` of ``name`` for an object, worked out
    once per column: a plain field is then one attribute read per cell."""
    if column is None:
        return lambda obj: display_value(name, obj, model_admin)
    if column.kind == "related":
        field_name = name

        def related(obj: models.Model) -> Any:
            value = getattr(obj, field_name)
            return None if value is None else str(value)

        return related
    if column.kind == "choice":
        choices = column.choices or {}

        def choice(obj: models.Model) -> Any:
            value = getattr(obj, column.attname)
            return None if value is None else str(choices.get(value, value))

        return choice
    return attrgetter(column.attname)


class ListDisplayField(Field):
    """An import-export ``Field`` whose value is a ``list_display`` entry."""

    def __init__(self, name: str | Any, label: str, model_admin: admin.ModelAdmin[Any]) -> None:
        super().__init__(attribute=None, column_name=label, readonly=True)
        self.list_display_name = name
        self.model_admin = model_admin
        self.column = field_column(name, model_admin)
        self.getter = display_getter(name, model_admin, self.column)

    def export(self, instance: Any, **kwargs: Any) -> Any:
        return self.getter(instance)


class ListDisplayResource(Resource):
    """A django-import-export ``Resource`` whose columns are a changelist's columns.

    Build it with :meth:`for_changelist`; ``resource.export(queryset)`` then gives the
    stock tablib export of those columns (fine for a few rows), and
    :func:`iter_rows` the same cells in constant memory.
    """

    @classmethod
    def for_changelist(
        cls, model_admin: admin.ModelAdmin[Any], request: HttpRequest
    ) -> ListDisplayResource:
        resource = cls()
        fields: dict[str, Field] = {}
        for index, name in enumerate(model_admin.get_list_display(request)):
            if name == "action_checkbox" or getattr(name, "toolkit_row_actions", False):
                continue  # the selection box and the row action buttons are not data
            label = label_for_field(name, model_admin.model, model_admin)
            key = name if isinstance(name, str) else f"column_{index}"
            # The changelist's template capitalises its headers (``capfirst``); so do we.
            fields[key] = ListDisplayField(name, capfirst(str(label)), model_admin)
        resource.fields = fields
        resource._meta.export_order = tuple(fields)
        return resource

    def get_export_order(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def get_user_visible_fields(self) -> list[Field]:
        return list(self.fields.values())


def iter_rows(
    resource: Resource, objects: Iterable[Any], *, safe: bool = True
) -> Iterator[list[Any]]:
    """The resource's cells for each object, neutralised when ``safe``."""
    fields = resource.get_export_fields()
    getters = [
        field.getter
        if isinstance(field, ListDisplayField)
        else partial(resource.export_field, field)
        for field in fields
    ]
    for obj in objects:
        if safe:
            yield [neutralise(getter(obj)) for getter in getters]
        else:
            yield [getter(obj) for getter in getters]


class RelatedNames:
    """``str()`` of related objects by primary key, fetched a batch of missing keys at a
    time and kept for the whole export (categories and suppliers repeat)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.names: dict[Any, str] = {}

    def fill(self, keys: Iterable[Any]) -> None:
        missing = {k for k in keys if k is not None and k not in self.names}
        if missing:
            # __str__ often names a parent (Category: "Parent > Child"): fetch those too.
            parents = [f.name for f in self.model._meta.concrete_fields if f.many_to_one]
            queryset = self.model._default_manager.filter(pk__in=missing)
            if parents:
                queryset = queryset.select_related(*parents)
            for obj in queryset:
                self.names[obj.pk] = str(obj)


def iter_queryset_rows(
    resource: Resource, queryset: models.QuerySet[Any], *, chunk_size: int, safe: bool = True
) -> Iterator[list[Any]]:
    """The cells of every row of ``queryset``, in its order, in constant memory.

    When every column is a concrete field (no callable), rows are read with
    ``values_list()`` (no model instances: ten times cheaper per row) and related
    objects' ``str()`` come from one query per batch of new keys; otherwise model
    instances are iterated with ``.iterator(chunk_size=...)``.
    """
    fields = resource.get_export_fields()
    columns = [f.column if isinstance(f, ListDisplayField) else None for f in fields]
    if not fields or any(c is None for c in columns):
        yield from iter_rows(resource, queryset.iterator(chunk_size=chunk_size), safe=safe)
        return
    related = {
        i: RelatedNames(c.related_model)  # type: ignore[arg-type, union-attr]
        for i, c in enumerate(columns)
        if c.kind == "related"  # type: ignore[union-attr]
    }
    choices = {i: c.choices or {} for i, c in enumerate(columns) if c.kind == "choice"}  # type: ignore[union-attr]
    values = queryset.values_list(*(c.attname for c in columns)).iterator(chunk_size=chunk_size)  # type: ignore[union-attr]
    for batch in batched(values, chunk_size):
        for i, names in related.items():
            names.fill(row[i] for row in batch)
        for raw in batch:
            row = list(raw)
            for i, names in related.items():
                key = row[i]
                row[i] = None if key is None else names.names.get(key)
            for i, mapping in choices.items():
                if row[i] is not None:
                    row[i] = str(mapping.get(row[i], row[i]))
            yield [neutralise(cell) for cell in row] if safe else row


# -- writers ------------------------------------------------------------------------


def text_cell(value: Any) -> str:
    """A cell as text, for CSV."""
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return (
            value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
        )
    return str(value)


def json_cell(value: Any) -> str:
    """A cell as a JSON value; decimals are written as numbers, exactly."""
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return json.dumps(value)
    return json.dumps(text_cell(value), ensure_ascii=False)


def xlsx_cell(value: Any) -> Any:
    """A cell as openpyxl takes it: naive datetimes, no control characters."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.make_naive(value)
    if isinstance(value, str):
        illegal = importlib.import_module("openpyxl.cell.cell").ILLEGAL_CHARACTERS_RE
        return illegal.sub("", value)
    if (
        isinstance(value, (datetime.date, datetime.time, bool, int, float, Decimal))
        or value is None
    ):
        return value
    return str(value)


class CSVRows:
    """Turns rows into CSV text, a batch at a time."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def render(self, rows: Iterable[Sequence[Any]]) -> str:
        self.writer.writerows([text_cell(cell) for cell in row] for row in rows)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def json_object(headers: Sequence[str], row: Sequence[Any]) -> str:
    return (
        "{"
        + ", ".join(
            f"{json.dumps(h, ensure_ascii=False)}: {json_cell(c)}"
            for h, c in zip(headers, row, strict=True)
        )
        + "}"
    )


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name in actions and URLs, file extension, content type."""

    name: str
    extension: str
    content_type: str
    label: str


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "csv", "text/csv; charset=utf-8", "CSV"),
    "xlsx": ExportFormat(
        "xlsx",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
    ),
    "json": ExportFormat("json", "json", "application/json; charset=utf-8", "JSON"),
}


def stream_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]], batch: int) -> Iterator[str]:
    out = CSVRows()
    yield out.render([headers])
    for group in batched(rows, batch):
        yield out.render(group)


def stream_json(headers: Sequence[str], rows: Iterable[Sequence[Any]], batch: int) -> Iterator[str]:
    yield "["
    first = True
    for group in batched(rows, batch):
        parts = []
        for row in group:
            parts.append(("\n" if first else ",\n") + json_object(headers, row))
            first = False
        yield "".join(parts)
    yield "\n]\n"


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], target: Any) -> None:
    """Write an XLSX workbook to ``target`` (a path or binary file) in write-only mode:
    openpyxl then keeps one row in memory, not the sheet."""
    workbook = importlib.import_module("openpyxl").Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    sheet.append([xlsx_cell(h) for h in headers])
    for row in rows:
        sheet.append([xlsx_cell(cell) for cell in row])
    workbook.save(target)


# -- the background export ------------------------------------------------------------


@register
class ExportJobHandler(ChangelistJobHandler):
    """Writes a large export in chunks; the job page offers the file when it is done.

    The target is the person's :class:`~toolkit.admin_ext.selection.Selection`,
    re-evaluated for every chunk with their rights: losing the view (or export)
    permission mid-job fails the job instead of exporting beyond them.
    """

    name = "admin_ext.export"
    verbose_name = "Export"
    produces_file = True
    chunk_size = 2000

    def changelist(self, job: Job) -> tuple[admin.ModelAdmin[Any], HttpRequest]:
        selection = self.get_selection(job)
        model_admin = selection.get_modeladmin()
        return model_admin, selection.build_request(model_admin, self.get_user(job))

    def get_queryset(self, job: Job) -> models.QuerySet[Any]:
        model_admin, request = self.changelist(job)
        allowed = getattr(model_admin, "has_export_permission", model_admin.has_view_permission)
        if not allowed(request):
            raise PermissionDenied("You may no longer export these records.")
        return super().get_queryset(job)

    def resource(self, job: Job) -> ListDisplayResource:
        model_admin, request = self.changelist(job)
        get_resource = getattr(model_admin, "get_export_resource", None)
        if get_resource is not None:
            resource: ListDisplayResource = get_resource(request)
            return resource
        return ListDisplayResource.for_changelist(model_admin, request)

    def process_chunk(self, job: Job, objects: Any) -> ChunkResult:
        fmt = job.params["format"]
        resource = self.resource(job)
        rows = list(
            iter_queryset_rows(
                resource,
                objects,
                chunk_size=self.get_chunk_size(job),
                safe=job.params.get("safe", True),
            )
        )
        if fmt == "csv":
            output = CSVRows().render(rows)
        elif fmt == "json":
            headers = resource.get_export_headers()
            output = "".join(
                ("\n" if job.chunks == 0 and i == 0 else ",\n") + json_object(headers, row)
                for i, row in enumerate(rows)
            )
        else:  # xlsx: rows as JSON lines, turned into a workbook in on_finish
            output = "".join(json.dumps([json_cell_value(c) for c in row]) + "\n" for row in rows)
        return ChunkResult(done=len(rows), output=output)

    def get_result_header(self, job: Job) -> bytes | str:
        headers = self.resource(job).get_export_headers()
        if job.params["format"] == "csv":
            return CSVRows().render([headers])
        return "["

    def get_result_footer(self, job: Job) -> bytes | str:
        return "\n]\n" if job.params["format"] == "json" else ""

    def get_result_filename(self, job: Job) -> str:
        model = job.target_model
        stem = slugify(str(model._meta.verbose_name_plural)) if model else "export"
        return f"{stem}-{job.pk}.{FORMATS[job.params['format']].extension}"

    def on_finish(self, job: Job) -> None:
        if job.params["format"] == "xlsx":
            self.write_xlsx_result(job)
        log_export(job.started_by, job.target_model, job.done, job.params["format"], job=job)

    def write_xlsx_result(self, job: Job) -> None:
        from django.core.files import File

        from toolkit.jobs.runner import part_name

        storage = job.result_file.storage
        headers = self.resource(job).get_export_headers()

        def rows() -> Iterator[list[Any]]:
            for index in range(job.chunks):
                name = part_name(job, index)
                if storage.exists(name):
                    with storage.open(name, "rb") as part:
                        for line in part:
                            yield json.loads(line)

        with tempfile.TemporaryFile() as out:
            write_xlsx(headers, rows(), out)
            out.seek(0)
            job.result_file.save(self.get_result_filename(job), File(out), save=False)

    def get_result_message(self, job: Job) -> str:
        label = FORMATS[job.params["format"]].label
        return f"{job.done} rows exported as {label}."


def json_cell_value(value: Any) -> Any:
    """A cell as plain JSON for the XLSX parts (decimals as floats: Excel's numbers)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return text_cell(value)


def _log_summary(
    user: Any,
    model: type[models.Model] | None,
    *,
    action_flag: int,
    message: str,
    object_repr: str,
    job: Job | None,
) -> None:
    """One admin LogEntry for an operation on many rows (export, import)."""
    if user is None or not user.pk or model is None:
        return
    if job is not None:
        message += f" (job #{job.pk})"
    log_summary(user.pk, model, object_repr, message + ".", action_flag=action_flag)


def log_export(
    user: AbstractBaseUser | AnonymousUser | None,
    model: type[models.Model] | None,
    count: int,
    fmt: str,
    *,
    job: Job | None = None,
) -> None:
    """Leave one admin LogEntry saying who exported how many rows in which format."""
    from django.contrib.admin.models import CHANGE

    if model is None:
        return
    noun = model._meta.verbose_name_plural
    _log_summary(
        user,
        model,
        action_flag=CHANGE,
        message=f"Exported {count} {noun} as {FORMATS[fmt].label}",
        object_repr=f"Export of {count} {noun}",
        job=job,
    )


# -- the ModelAdmin mixin ---------------------------------------------------------------


class ExportMixin(_ModelAdminBase):
    """ModelAdmin mixin: "Export selected" actions in CSV, XLSX and JSON.

    Needs the view permission (and ``export_permission`` when set). Subclass and set
    the attributes below, or override the ``get_*`` hooks to decide per request.
    """

    #: Formats offered as actions, by name: ``"csv"``, ``"xlsx"`` (needs openpyxl),
    #: ``"json"``.
    export_formats: ClassVar[Sequence[str]] = ("csv", "xlsx", "json")

    #: Selections of more rows than this are exported by a background job, whose page
    #: shows progress and the download; smaller ones are answered directly.
    export_background_threshold: ClassVar[int] = 5000

    #: Rows fetched per database round trip while streaming.
    export_chunk_size: ClassVar[int] = 2000

    #: Codename of an extra permission needed to export (``"export_product"`` checks
    #: ``catalog.export_product``); ``None``: the view permission is enough.
    export_permission: ClassVar[str | None] = None

    #: Neutralise formula-like text in JSON exports too (spreadsheet tools import JSON).
    #: Set to ``False`` when the JSON feeds a program that needs the text untouched.
    export_neutralise_json: ClassVar[bool] = True

    #: The Resource class whose ``for_changelist()`` builds the columns.
    export_resource_class: ClassVar[type[ListDisplayResource]] = ListDisplayResource

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.actions is not None:
            names = [f"export_as_{fmt}" for fmt in self.export_formats if fmt in FORMATS]
            if not HAS_OPENPYXL:
                names = [n for n in names if n != "export_as_xlsx"]
            existing = list(self.actions)
            self.actions = [*existing, *(n for n in names if n not in existing)]

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        errors = list(super().check(**kwargs))
        where = f"{type(self).__name__}.export_formats"
        unknown = [f for f in self.export_formats if f not in FORMATS]
        if unknown:
            errors.append(
                checks.Error(
                    f"{where} names unknown format(s): {', '.join(map(repr, unknown))}.",
                    hint=f"Use some of {', '.join(map(repr, FORMATS))}.",
                    obj=type(self),
                    id="toolkit.E070",
                )
            )
        if (
            "xlsx" in self.export_formats
            and not HAS_OPENPYXL
            and type(self).export_formats is not ExportMixin.export_formats
        ):
            errors.append(
                checks.Warning(
                    f"{where} lists 'xlsx' but openpyxl is not installed: no XLSX export.",
                    hint="pip install 'django-toolkit[xlsx]' (or openpyxl).",
                    obj=type(self),
                    id="toolkit.W070",
                )
            )
        threshold = self.export_background_threshold
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
            errors.append(
                checks.Error(
                    f"{type(self).__name__}.export_background_threshold must be a whole number "
                    f"of rows, 0 or more, not {threshold!r}.",
                    hint="Set it to the number of rows above which exports run as a job.",
                    obj=type(self),
                    id="toolkit.E071",
                )
            )
        return errors

    # -- hooks --------------------------------------------------------------------

    def has_export_permission(self, request: HttpRequest) -> bool:
        """Whether ``request.user`` may export: view permission, plus
        ``export_permission`` when set."""
        if not self.has_view_permission(request):
            return False
        codename = self.export_permission
        if codename:
            app_label = self.model._meta.app_label
            return bool(request.user.has_perm(f"{app_label}.{codename}"))
        return True

    def get_export_formats(self, request: HttpRequest) -> list[str]:
        """The formats this request may export to."""
        formats = [f for f in self.export_formats if f in FORMATS]
        return [f for f in formats if f != "xlsx" or HAS_OPENPYXL]

    def get_export_background_threshold(self, request: HttpRequest) -> int:
        """Rows above which the export runs as a background job."""
        return self.export_background_threshold

    def get_export_resource(self, request: HttpRequest) -> ListDisplayResource:
        """The Resource whose columns are exported: the changelist's by default."""
        return self.export_resource_class.for_changelist(self, request)

    def get_export_filename(self, request: HttpRequest, fmt: str) -> str:
        stem = slugify(self.model._meta.verbose_name_plural)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        return f"{stem}-{stamp}.{FORMATS[fmt].extension}"

    def is_export_safe(self, request: HttpRequest, fmt: str) -> bool:
        """Whether formula-like text is neutralised in ``fmt``; always for CSV and XLSX."""
        return fmt != "json" or self.export_neutralise_json

    # -- actions ------------------------------------------------------------------

    @admin.action(
        description=_("Export selected %(verbose_name_plural)s as CSV"), permissions=["export"]
    )
    def export_as_csv(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> Any:
        return self.export_selected(request, queryset, "csv")

    @admin.action(
        description=_("Export selected %(verbose_name_plural)s as XLSX"), permissions=["export"]
    )
    def export_as_xlsx(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> Any:
        return self.export_selected(request, queryset, "xlsx")

    @admin.action(
        description=_("Export selected %(verbose_name_plural)s as JSON"), permissions=["export"]
    )
    def export_as_json(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> Any:
        return self.export_selected(request, queryset, "json")

    # Exports log themselves (log_export), in the request or when their job finishes: the
    # action safety net of BulkActionsMixin must not log them again.
    export_as_csv.log_entry = export_as_xlsx.log_entry = False  # type: ignore[attr-defined]
    export_as_json.log_entry = False  # type: ignore[attr-defined]

    def export_selected(
        self, request: HttpRequest, queryset: models.QuerySet[Any], fmt: str
    ) -> HttpResponseBase | None:
        """Answer the export directly, or start a background job for a large one."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        if fmt not in self.get_export_formats(request):
            self.message_user(request, _("This export format is not available."), messages.ERROR)
            return None
        count = queryset.count()
        if count > self.get_export_background_threshold(request):
            return self.start_export_job(request, queryset, fmt, count)
        log_export(request.user, self.model, count, fmt)
        return self.export_response(request, queryset, fmt)

    def start_export_job(
        self, request: HttpRequest, queryset: models.QuerySet[Any], fmt: str, count: int
    ) -> HttpResponse:
        job = start_changelist_job(
            ExportJobHandler,
            self,
            request,
            queryset,
            {"format": fmt, "safe": self.is_export_safe(request, fmt)},
            description=f"Export of {count} {self.model._meta.verbose_name_plural} "
            f"as {FORMATS[fmt].label}",
        )
        self.message_user(
            request,
            _("The export of %(count)d rows runs in the background; this page shows its progress.")
            % {"count": count},
            messages.INFO,
        )
        return redirect(job.get_absolute_url())

    def export_response(
        self, request: HttpRequest, queryset: models.QuerySet[Any], fmt: str
    ) -> HttpResponseBase:
        resource = self.get_export_resource(request)
        headers = resource.get_export_headers()
        rows = iter_queryset_rows(
            resource,
            queryset,
            chunk_size=self.export_chunk_size,
            safe=self.is_export_safe(request, fmt),
        )
        filename = self.get_export_filename(request, fmt)
        content_type = FORMATS[fmt].content_type
        if fmt == "xlsx":
            # FileResponse closes the file once sent; a temporary file then vanishes.
            out = tempfile.TemporaryFile()  # noqa: SIM115
            write_xlsx(headers, rows, out)
            out.seek(0)
            return FileResponse(
                out, as_attachment=True, filename=filename, content_type=content_type
            )
        stream = stream_csv if fmt == "csv" else stream_json
        response = StreamingHttpResponse(
            stream(headers, rows, self.export_chunk_size), content_type=content_type
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# == import ===========================================================================


class ImportFileError(ValueError):
    """An uploaded file that cannot be imported at all; the message is for the person."""


#: Upload formats by file extension.
IMPORT_FORMATS = ("csv", "json", "xlsx")

#: Delimiters the CSV sniffer may pick.
CSV_DELIMITERS = ",;\t|"
#: A number as a program writes it ("-12", "3.50"): read without the locale's
#: separators where the locale's decimal separator is a point (see BulkImporter.clean).
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@dataclass
class ParsedFile:
    """An uploaded file read far enough to know it can be imported."""

    format: str
    headers: list[str]
    rows: int
    delimiter: str = ","


def decode(data: bytes) -> str:
    """``data`` as text: UTF-8, with or without a byte-order mark; else a sentence."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02x} at position "
            f"{exc.start} cannot be read). Save it as “CSV UTF-8” and upload it again."
        ) from None


def sniff_delimiter(text: str) -> str:
    """The CSV delimiter of ``text``'s header line, or ``,`` when nothing else fits."""
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


def open_rows(path_or_file: Any, fmt: str, delimiter: str = ",") -> Generator[dict[str, Any]]:
    """The data rows of a stored upload as dicts keyed by header, read lazily for CSV
    and XLSX."""
    if fmt == "csv":
        text = io.TextIOWrapper(path_or_file, encoding="utf-8-sig", newline="")
        try:
            yield from csv.DictReader(text, delimiter=delimiter)
        finally:
            text.detach()
    elif fmt == "json":
        data = json.loads(decode(path_or_file.read()))
        for item in data:
            yield {str(k): ("" if v is None else v) for k, v in item.items()}
    else:
        load_workbook = importlib.import_module("openpyxl").load_workbook
        workbook = load_workbook(path_or_file, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            values = sheet.iter_rows(values_only=True)
            headers = [str(h or "").strip() for h in next(values, ())]
            for row in values:
                if row is None or all(cell is None for cell in row):
                    continue
                yield {h: ("" if c is None else c) for h, c in zip(headers, row, strict=False)}
        finally:
            workbook.close()


def inspect_upload(data: bytes, filename: str, max_size: int) -> ParsedFile:
    """Check an upload before anything is stored or written; raise
    :class:`ImportFileError` with the reason it cannot be imported."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in IMPORT_FORMATS:
        raise ImportFileError(
            f"Files ending in “.{extension}” cannot be imported; upload a "
            + ", ".join(f".{f}" for f in IMPORT_FORMATS)
            + " file."
        )
    if len(data) > max_size:
        raise ImportFileError(
            f"The file is {len(data):,} bytes; at most {max_size:,} can be imported at once. "
            "Split it into smaller files."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    is_zip = data.startswith(b"PK\x03\x04")
    if extension == "xlsx":
        if not is_zip:
            raise ImportFileError("The file ends in .xlsx but is not an Excel workbook.")
        if not HAS_OPENPYXL:
            raise ImportFileError("XLSX files cannot be read on this site; upload a CSV file.")
        try:
            rows = open_rows(io.BytesIO(data), "xlsx")
            first = next(rows, None)
            count = 0 if first is None else 1 + sum(1 for _row in rows)
            headers = list(first) if first is not None else []
        except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
            raise ImportFileError("The Excel workbook cannot be read; is it damaged?") from exc
        if first is None:
            raise ImportFileError("The workbook has no rows to import.")
        return ParsedFile("xlsx", headers, count)
    if is_zip or b"\x00" in data[:8192]:
        raise ImportFileError(
            f"The file ends in .{extension} but is not text (it looks like a binary file, "
            "a spreadsheet or an archive). Export it as .csv and upload it again."
        )
    text = decode(data)
    if extension == "json":
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise ImportFileError(f"The file is not valid JSON: {exc}.") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ImportFileError("The JSON file must hold a list of objects, one per row.")
        if not items:
            raise ImportFileError("The file has no rows to import.")
        headers = list(dict.fromkeys(k for item in items for k in item))
        return ParsedFile("json", headers, len(items))
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader, [])]
        count = sum(1 for row in reader if any(cell.strip() for cell in row))
    except csv.Error as exc:
        raise ImportFileError(f"The CSV file cannot be read: {exc}.") from None
    if not any(headers):
        raise ImportFileError("The file has no header row.")
    if not count:
        raise ImportFileError("The file has a header row but no rows to import.")
    return ParsedFile("csv", headers, count, delimiter)


@dataclass
class RowResult:
    """One data row of an import: its number in the file, its cells, what it would do."""

    number: int
    values: dict[str, Any]
    errors: dict[str, list[str]]
    action: str = ""  # "new" or "update"
    instance: Any = None
    m2m: dict[str, list[Any]] | None = None

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def error_text(self) -> str:
        return "; ".join(
            f"{column}: {' '.join(messages_)}" if column != "__all__" else " ".join(messages_)
            for column, messages_ in self.errors.items()
        )


class BulkImporter:
    """Validates and writes rows of a django-import-export ``ModelResource`` a batch at a
    time, with one query per batch for each related model (``ForeignKeyWidget`` and
    ``ManyToManyWidget`` fields, looked up by their ``field``) and one for the existing
    rows (by ``import_id_fields``), then ``bulk_create`` / ``bulk_update`` in one
    transaction per batch: a batch is written whole or not at all.

    Row-by-row ``Resource.import_data`` costs several queries per row; this path stays
    within a few times raw ``bulk_create``. Per-row hooks of the resource
    (``before_save_instance``...) are not called; override :meth:`prepare_instance`.
    """

    def __init__(self, resource: Any) -> None:
        from import_export.widgets import ForeignKeyWidget, ManyToManyWidget

        self.resource = resource
        self.model = resource._meta.model
        self.fields = [f for f in resource.get_import_fields() if not f.readonly]
        self.fk_fields = [f for f in self.fields if isinstance(f.widget, ForeignKeyWidget)]
        self.m2m_fields = [f for f in self.fields if isinstance(f.widget, ManyToManyWidget)]
        id_names = list(resource.get_import_id_fields())
        self.id_fields: list[Field] = [
            f for f in self.fields if f.attribute in id_names or f.column_name in id_names
        ]
        self.id_columns = [f.column_name for f in self.id_fields]
        self.relation_names = [f.name for f in self.model._meta.concrete_fields if f.is_relation]
        self.model_field_names = {f.name for f in self.model._meta.concrete_fields}
        self.plain_numbers = False

    # -- what a file must hold ----------------------------------------------------

    def required_columns(self) -> list[str]:
        """Columns without which no row can be imported: the id fields and every model
        field that has no default and may not be blank."""
        required = [f.column_name for f in self.id_fields]
        for f in self.fields:
            try:
                model_field = self.model._meta.get_field(f.attribute)
            except Exception:
                continue
            if getattr(model_field, "many_to_many", False) or model_field.auto_created:
                continue
            if not (model_field.blank or model_field.null or model_field.has_default()):
                required.append(f.column_name)
        return list(dict.fromkeys(required))

    def check_headers(self, parsed: ParsedFile) -> None:
        missing = [c for c in self.required_columns() if c not in parsed.headers]
        if not missing:
            return
        message = "The file lacks the column(s) " + ", ".join(f"“{c}”" for c in missing) + "."
        if parsed.format == "csv" and len(parsed.headers) == 1:
            others = [d for d in CSV_DELIMITERS if d in parsed.headers[0]]
            if others:
                message += (
                    f" Its header reads as one column: are its columns separated by “{others[0]}”?"
                )
        raise ImportFileError(message + " The first row must name the columns.")

    # -- validating ---------------------------------------------------------------

    def validate(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> list[RowResult]:
        """Check one batch of ``(row number, cells)`` without writing anything."""
        related = {f.column_name: self.lookup(f, rows, many=False) for f in self.fk_fields}
        many = {f.column_name: self.lookup(f, rows, many=True) for f in self.m2m_fields}
        existing = self.existing(rows)
        self.plain_numbers = self.reads_plain_numbers()
        results = []
        seen: dict[Any, int] = {}
        for number, values in rows:
            result = RowResult(number=number, values=values, errors={}, m2m={})
            key = self.row_key(values)
            instance = existing.get(key)
            result.action = "update" if instance is not None else "new"
            if instance is None:
                instance = self.model()
            if key in seen:
                result.errors.setdefault("__all__", []).append(
                    f"Row {seen[key]} has the same {', '.join(self.id_columns)}."
                )
            else:
                seen[key] = number
            assigned: set[str] = set()
            for field in self.fields:
                if field.column_name not in values:
                    continue
                raw = values[field.column_name]
                try:
                    if field in self.fk_fields:
                        value = self.resolve(field, raw, related[field.column_name])
                    elif field in self.m2m_fields:
                        assert result.m2m is not None
                        result.m2m[field.attribute] = self.resolve_many(
                            field, raw, many[field.column_name]
                        )
                        continue
                    else:
                        value = self.clean(field, raw, values)
                except ImportFileError as exc:
                    result.errors.setdefault(field.column_name, []).append(str(exc))
                    continue
                setattr(instance, field.attribute, value)
                assigned.add(field.attribute)
            if not result.errors:
                self.full_clean(instance, result, assigned)
            result.instance = instance
            results.append(result)
        return results

    def row_key(self, values: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(values.get(f.column_name, "")).strip() for f in self.id_fields)

    def existing(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> dict[tuple[str, ...], Any]:
        if len(self.id_fields) != 1:
            return {}
        field = self.id_fields[0]
        keys = {str(v.get(field.column_name, "")).strip() for _n, v in rows} - {""}
        found = self.model._default_manager.filter(**{f"{field.attribute}__in": keys})
        return {(str(getattr(obj, field.attribute)),): obj for obj in found}

    def lookup(
        self, field: Field, rows: Sequence[tuple[int, dict[str, Any]]], *, many: bool
    ) -> dict[str, Any]:
        widget = field.widget
        names: set[str] = set()
        for _number, values in rows:
            raw = values.get(field.column_name)
            if raw in (None, ""):
                continue
            if many:
                names.update(n.strip() for n in str(raw).split(widget.separator) if n.strip())
            else:
                names.add(str(raw).strip())
        if not names:
            return {}
        related = widget.model._default_manager.filter(**{f"{widget.field}__in": names})
        return {str(getattr(obj, widget.field)): obj for obj in related}

    def resolve(self, field: Field, raw: Any, known: dict[str, Any]) -> Any:
        name = "" if raw is None else str(raw).strip()
        if not name:
            return None
        try:
            return known[name]
        except KeyError:
            model = field.widget.model._meta
            raise ImportFileError(
                f"No {model.verbose_name} has the {field.widget.field} “{name}”."
            ) from None

    def resolve_many(self, field: Field, raw: Any, known: dict[str, Any]) -> list[Any]:
        names = [n.strip() for n in str(raw or "").split(field.widget.separator) if n.strip()]
        unknown = [n for n in names if n not in known]
        if unknown:
            model = field.widget.model._meta
            raise ImportFileError(
                f"No {model.verbose_name} named " + ", ".join(f"“{n}”" for n in unknown) + "."
            )
        return [known[n] for n in names]

    def clean(self, field: Field, raw: Any, values: dict[str, Any]) -> Any:
        from decimal import InvalidOperation

        from django.core.exceptions import ValidationError
        from import_export.widgets import IntegerWidget, NumberWidget

        if isinstance(raw, str):
            raw = raw.strip()
            fast = self.clean_plain_number(field, raw)
            if fast is not None:
                return fast
        try:
            value = field.widget.clean(raw, row=values)
        except (ValueError, TypeError, InvalidOperation, ArithmeticError):
            kind = "a whole number" if isinstance(field.widget, IntegerWidget) else "a number"
            if isinstance(field.widget, NumberWidget):
                raise ImportFileError(f"“{raw}” is not {kind}.") from None
            raise ImportFileError(f"“{raw}” is not a valid value.") from None
        except ValidationError as exc:
            raise ImportFileError(" ".join(exc.messages)) from None
        whole = isinstance(field.widget, IntegerWidget) and raw not in (None, "")
        if whole and Decimal(str(raw).replace(",", "")) != value:
            raise ImportFileError(f"“{raw}” is not a whole number.")
        if value is None:
            try:
                model_field = self.model._meta.get_field(field.attribute)
            except Exception:
                return value
            if not model_field.null:
                return model_field.get_default() if model_field.has_default() else ""
        return value

    def reads_plain_numbers(self) -> bool:
        """Whether "12.50" means twelve and a half to the widgets in the active locale
        (its decimal separator is a point), so :meth:`clean_plain_number` may read such
        numbers directly."""
        from django.utils.formats import get_format

        return get_format("DECIMAL_SEPARATOR") == "."

    def clean_plain_number(self, field: Field, raw: str) -> Any:
        """The value of a plain number ("-12", "3.50") for a stock Decimal or Integer
        widget, read without the widget's per-cell locale lookups (the costliest part
        of a 100,000-row import's validation); ``None``: let the widget read it."""
        from import_export.widgets import DecimalWidget, IntegerWidget

        if not self.plain_numbers or not PLAIN_NUMBER.fullmatch(raw):
            return None
        kind = type(field.widget)
        if kind is DecimalWidget:
            return Decimal(raw)
        if kind is IntegerWidget and "." not in raw and len(raw) < 20:
            return int(raw)
        return None

    def full_clean(
        self, instance: Any, result: RowResult, assigned: set[str] | None = None
    ) -> None:
        from django.core.exceptions import ValidationError

        # Related objects were found above; uniqueness is the id lookup's business:
        # both would cost a query per row here. Fields the row did not set keep the
        # values they had (a default, or the stored row's), which need no check.
        exclude = list(self.relation_names)
        if assigned is not None:
            exclude += [name for name in self.model_field_names if name not in assigned]
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            columns = {f.attribute: f.column_name for f in self.fields}
            for name, errors in exc.message_dict.items():
                result.errors.setdefault(columns.get(name, name), []).extend(errors)

    # -- writing ------------------------------------------------------------------

    def prepare_instance(self, instance: Any) -> None:
        """Called for each valid row before it is written: set derived fields here
        (``bulk_create`` calls no ``save()``)."""
        if hasattr(instance, "updated") and instance.pk is not None:
            instance.updated = timezone.now()

    def write(self, results: Sequence[RowResult]) -> tuple[int, int]:
        """Write the valid rows of one validated batch in one transaction; return
        (created, updated)."""
        from django.db import transaction

        valid = [r for r in results if r.is_valid]
        new = [r.instance for r in valid if r.action == "new"]
        old = [r.instance for r in valid if r.action == "update"]
        for instance in new + old:
            self.prepare_instance(instance)
        columns = [
            self.model._meta.get_field(f.attribute).name
            for f in self.fields
            if f not in self.m2m_fields and f not in self.id_fields and self.is_model_field(f)
        ]
        if hasattr(self.model, "updated") and "updated" not in columns:
            columns.append("updated")
        with transaction.atomic():
            self.model._default_manager.bulk_create(new, batch_size=1000)
            if old and columns:
                self.model._default_manager.bulk_update(old, columns, batch_size=1000)
            for field in self.m2m_fields:
                self.write_many(field, [r for r in valid if r.m2m and field.attribute in r.m2m])
        return len(new), len(old)

    def is_model_field(self, field: Field) -> bool:
        try:
            self.model._meta.get_field(field.attribute)
        except Exception:
            return False
        return True

    def write_many(self, field: Field, results: Sequence[RowResult]) -> None:
        if not results:
            return
        descriptor = getattr(self.model, field.attribute)
        through = descriptor.through
        source = descriptor.field.m2m_field_name()
        target = descriptor.field.m2m_reverse_field_name()
        # New rows have no links yet: only updated rows lose their old ones.
        updated = [r.instance.pk for r in results if r.action == "update"]
        if updated:
            through._default_manager.filter(**{f"{source}__in": updated}).delete()
        links = [
            through(**{f"{source}_id": r.instance.pk, f"{target}_id": obj.pk})
            for r in results
            for obj in dict.fromkeys((r.m2m or {})[field.attribute])
        ]
        through._default_manager.bulk_create(links, batch_size=1000)


# -- the background import --------------------------------------------------------------


def upload_storage() -> Any:
    """Where uploads wait between preview and confirmation: the jobs' result storage,
    which has no public URL."""
    from toolkit.jobs.models import result_storage

    return result_storage()


def read_batches(
    name: str, fmt: str, delimiter: str, start: int, size: int | None
) -> list[tuple[int, dict[str, Any]]]:
    """Rows ``start`` to ``start + size`` of a stored upload, numbered as a person counts
    them in a spreadsheet (the header is row 1)."""
    from itertools import islice

    with upload_storage().open(name, "rb") as stored:
        rows = open_rows(stored, fmt, delimiter)
        try:
            selected = islice(rows, start, None if size is None else start + size)
            return [
                (start + index + 2, values)
                for index, values in enumerate(selected)
                if any(str(v).strip() for v in values.values() if v is not None)
            ]
        finally:
            rows.close()  # before the file closes: the reader lets go of it


class _Lines:
    """The lines of a binary file as text, counting the bytes handed out, so that the
    byte offset after each CSV record (which may span lines) is known."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.offset = file.tell()

    def __iter__(self) -> Iterator[str]:
        # readline(), not iteration: Django's File.__iter__ starts over from byte 0.
        for line in iter(self.file.readline, b""):
            self.offset += len(line)
            yield line.decode("utf-8-sig" if self.offset == len(line) else "utf-8")


def read_csv_batch(
    name: str, delimiter: str, headers: list[str], row: int, offset: int, size: int
) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """``size`` records of a stored CSV upload from byte ``offset`` (0: the start, its
    header skipped), numbered from ``row``; and the offset after them. A background
    import keeps the offset as its cursor, so each chunk seeks instead of reading the
    file again from the top."""
    with upload_storage().open(name, "rb") as stored:
        stored.seek(offset)
        lines = _Lines(stored)
        reader = csv.reader(lines, delimiter=delimiter)
        if offset == 0:
            next(reader, None)
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, record in enumerate(reader, start=row):
            if any(cell.strip() for cell in record):
                rows.append((number, dict(zip(headers, record, strict=False))))
            if len(rows) >= size:
                break
        return rows, lines.offset


@register
class ImportJobHandler(JobHandler):
    """Imports an uploaded file in batches; each chunk is one batch, written whole or
    not at all, and its rejected rows (with an ``error`` column) become the job's file."""

    name = "admin_ext.import"
    verbose_name = "Import"
    produces_file = True
    chunk_size = 1000

    def importer(self, job: Job) -> BulkImporter:
        from toolkit.admin_ext.selection import Selection

        selection = Selection(site=job.params["site"], model=job.params["model"])
        model_admin = selection.get_modeladmin()
        request = selection.build_request(model_admin, job.started_by)
        if not model_admin.has_add_permission(request) or not model_admin.has_change_permission(
            request
        ):
            raise PermissionDenied("You may no longer import these records.")
        get_resource = getattr(model_admin, "get_import_resource", None)
        if get_resource is None:
            raise PermissionDenied("This admin no longer imports records.")
        return BulkImporter(get_resource(request))

    def get_total(self, job: Job) -> int | None:
        total: int = job.params["rows"]
        return total

    def get_chunk(self, job: Job, size: int) -> Any:
        from toolkit.jobs import Chunk

        params = job.params
        if params["format"] == "csv":
            # The cursor is where the next record starts: {"row": number, "offset": bytes}.
            cursor = job.cursor or {"row": 2, "offset": 0}
            rows, offset = read_csv_batch(
                params["file"],
                params["delimiter"],
                params["headers"],
                cursor["row"],
                cursor["offset"],
                size,
            )
            if not rows:
                return None
            return Chunk(
                objects=rows, cursor={"row": rows[-1][0] + 1, "offset": offset}, size=len(rows)
            )
        start = job.cursor or 0
        if start >= params["rows"]:
            return None
        rows = read_batches(params["file"], params["format"], params["delimiter"], start, size)
        if not rows:
            return None
        return Chunk(objects=rows, cursor=start + size, size=len(rows))

    def process_chunk(self, job: Job, objects: Any) -> ChunkResult:
        importer = self.importer(job)
        results = importer.validate(objects)
        created, updated = importer.write(results)
        rejected = [r for r in results if not r.is_valid]
        output = rejected_output(
            job.params["headers"], rejected, job.params["format"], job.chunks == 0
        )
        return ChunkResult(done=created + updated, failed=len(rejected), output=output)

    def get_result_header(self, job: Job) -> bytes | str:
        if job.params["format"] == "json":
            return "["
        return CSVRows().render([[*job.params["headers"], "error"]])

    def get_result_footer(self, job: Job) -> bytes | str:
        return "\n]\n" if job.params["format"] == "json" else ""

    def get_result_filename(self, job: Job) -> str:
        ext = "json" if job.params["format"] == "json" else "csv"
        return f"rejected-rows-{job.pk}.{ext}"

    def on_finish(self, job: Job) -> None:
        log_import(job.started_by, job.target_model, job.done, job.failed, job=job)
        name = job.params["file"]
        transaction_on_commit(lambda: delete_upload(name))

    def get_result_message(self, job: Job) -> str:
        message = f"{job.done} rows imported."
        if job.failed:
            message += (
                f" {job.failed} rows were rejected: download them, fix them and import them again."
            )
        return message


def transaction_on_commit(func: Any) -> None:
    from django.db import transaction

    transaction.on_commit(func)


def delete_upload(name: str) -> None:
    storage = upload_storage()
    try:
        if storage.exists(name):
            storage.delete(name)
    except OSError:  # pragma: no cover - a leftover upload is harmless
        logger.warning("Could not delete the upload %s", name, exc_info=True)


def rejected_rows(headers: Sequence[str], rejected: Iterable[RowResult]) -> Iterator[list[Any]]:
    """Rejected rows as they were uploaded, plus an ``error`` column; neutralised, since a
    person opens this file in a spreadsheet to fix it."""
    for result in rejected:
        yield [neutralise(result.values.get(h, "")) for h in headers] + [
            neutralise(result.error_text)
        ]


def rejected_output(
    headers: Sequence[str], rejected: Sequence[RowResult], fmt: str, first: bool
) -> str:
    rows = list(rejected_rows(headers, rejected))
    if fmt == "json":
        columns = [*headers, "error"]
        return "".join(
            ("\n" if first and i == 0 else ",\n") + json_object(columns, row)
            for i, row in enumerate(rows)
        )
    return CSVRows().render(rows)


def log_import(
    user: Any,
    model: type[models.Model] | None,
    imported: int,
    rejected: int,
    *,
    job: Job | None = None,
) -> None:
    """One admin LogEntry per confirmed import."""
    from django.contrib.admin.models import ADDITION

    if model is None:
        return
    noun = model._meta.verbose_name_plural
    _log_summary(
        user,
        model,
        action_flag=ADDITION,
        message=f"Imported {imported} {noun}, rejected {rejected}",
        object_repr=f"Import of {imported} {noun}",
        job=job,
    )


# -- the import ModelAdmin mixin -------------------------------------------------------

SESSION_KEY = "toolkit_imports"


class ImportMixin(_ModelAdminBase):
    """ModelAdmin mixin: import a CSV, JSON or XLSX file through a django-import-export
    ``ModelResource``, with a preview of every row's errors before anything changes.

    Upload, preview (paginated, per-row and per-field errors, rejected rows as a file
    to fix), confirm. A file that cannot be imported at all (not UTF-8, empty, not what
    its extension says, too large, missing required columns) is refused with a
    sentence. Confirmed rows are written a batch at a time (:class:`BulkImporter`),
    each batch in one transaction; files above ``import_background_threshold`` rows
    run as a background job. Needs the add and change permissions.
    """

    #: The django-import-export ``ModelResource`` class that maps columns to fields.
    #: ``None`` (and ``get_import_resource()`` not overridden): import is off, so the
    #: mixin can be added to an admin that works today and changes nothing.
    import_resource_class: ClassVar[type[Any] | None] = None

    #: Largest upload accepted, in bytes.
    import_max_upload_size: ClassVar[int] = 50 * 1024 * 1024

    #: Files with more rows than this are imported by a background job.
    import_background_threshold: ClassVar[int] = 5000

    #: Rows per batch: one transaction, one query per related model.
    import_batch_size: ClassVar[int] = 1000

    #: Rows per page of the preview.
    import_preview_per_page: ClassVar[int] = 100

    change_list_template = "toolkit/admin_ext/importexport/change_list.html"

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        errors = list(super().check(**kwargs))
        name = type(self).__name__
        resource_class = self.import_resource_class
        if resource_class is None:
            pass  # import is off (or get_import_resource() is overridden)
        elif not (
            isinstance(resource_class, type)
            and issubclass(resource_class, Resource)
            and getattr(resource_class._meta, "model", None) is not None
        ):
            errors.append(
                checks.Error(
                    f"{name}.import_resource_class must be a django-import-export "
                    f"ModelResource, not {resource_class!r}.",
                    hint="Set it to a ModelResource of this admin's model "
                    "(see demo/catalog/resources.py).",
                    obj=type(self),
                    id="toolkit.E072",
                )
            )
        elif resource_class._meta.model is not self.model:
            errors.append(
                checks.Error(
                    f"{name}.import_resource_class imports {resource_class._meta.model.__name__}, "
                    f"not {self.model.__name__}.",
                    hint="Give this admin a resource of its own model.",
                    obj=type(self),
                    id="toolkit.E073",
                )
            )
        for attr in (
            "import_max_upload_size",
            "import_background_threshold",
            "import_batch_size",
            "import_preview_per_page",
        ):
            value = getattr(self, attr)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                errors.append(
                    checks.Error(
                        f"{name}.{attr} must be a positive whole number, not {value!r}.",
                        hint="See ImportMixin's documentation for its meaning.",
                        obj=type(self),
                        id="toolkit.E074",
                    )
                )
        return errors

    # -- hooks --------------------------------------------------------------------

    def import_enabled(self, request: HttpRequest | None = None) -> bool:
        """Whether this admin imports at all: it has a resource to read rows with."""
        return (
            self.import_resource_class is not None
            or type(self).get_import_resource is not ImportMixin.get_import_resource
        )

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Importing adds and changes rows: both permissions are needed (and import must
        be on for this admin)."""
        return bool(
            self.import_enabled(request)
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def get_import_resource(self, request: HttpRequest) -> Any:
        """The resource instance that reads rows; ``import_resource_class()`` by default."""
        if self.import_resource_class is None:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"{type(self).__name__} needs an import_resource_class.")
        return self.import_resource_class()

    def get_import_max_upload_size(self, request: HttpRequest) -> int:
        return self.import_max_upload_size

    def get_import_background_threshold(self, request: HttpRequest) -> int:
        return self.import_background_threshold

    def get_import_batch_size(self, request: HttpRequest) -> int:
        return self.import_batch_size

    # -- urls ---------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        from django.urls import path

        opts = self.model._meta
        info = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name=f"{info}_import"),
            path(
                "import/<uuid:token>/",
                wrap(self.import_preview_view),
                name=f"{info}_import_preview",
            ),
            path(
                "import/<uuid:token>/rejected/",
                wrap(self.import_rejected_view),
                name=f"{info}_import_rejected",
            ),
            *super().get_urls(),
        ]

    def url_name(self, view: str) -> str:
        opts = self.model._meta
        return f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        from django.urls import reverse

        extra_context = dict(extra_context or {})
        if self.has_import_permission(request):
            extra_context["toolkit_import_url"] = reverse(self.url_name("import"))
        return super().changelist_view(request, extra_context)

    # -- views --------------------------------------------------------------------

    def import_context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        opts = self.model._meta
        return {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            "title": _("Import %(name)s") % {"name": opts.verbose_name_plural},
            **extra,
        }

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the upload form. POST: check the file, store it, show its preview."""
        from django.template.response import TemplateResponse

        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self.get_import_resource(request)
        importer = BulkImporter(resource)
        context = self.import_context(
            request,
            required_columns=importer.required_columns(),
            columns=[f.column_name for f in importer.fields],
            max_size=self.get_import_max_upload_size(request),
            formats=[f for f in IMPORT_FORMATS if f != "xlsx" or HAS_OPENPYXL],
        )
        if request.method == "POST":
            upload = request.FILES.get("import_file")
            if upload is None:
                context["error"] = _("Choose a file to import.")
            else:
                try:
                    token = self.store_upload(request, upload, importer)
                except ImportFileError as exc:
                    context["error"] = str(exc)
                else:
                    return redirect(self.preview_url(token))
        return TemplateResponse(
            request,
            "toolkit/admin_ext/importexport/import.html",
            context,
            status=400 if "error" in context else 200,
        )

    def store_upload(self, request: HttpRequest, upload: Any, importer: BulkImporter) -> str:
        import uuid

        from django.core.files.base import ContentFile

        max_size = self.get_import_max_upload_size(request)
        if upload.size is not None and upload.size > max_size:
            raise ImportFileError(
                f"The file is {upload.size:,} bytes; at most {max_size:,} can be imported at "
                "once. Split it into smaller files."
            )
        data = upload.read(max_size + 1)
        parsed = inspect_upload(data, upload.name or "", max_size)
        importer.check_headers(parsed)
        token = str(uuid.uuid4())
        name = upload_storage().save(f"toolkit_imports/{token}.{parsed.format}", ContentFile(data))
        uploads = request.session.get(SESSION_KEY, {})
        uploads[token] = {
            "file": name,
            "filename": str(upload.name)[:200],
            "format": parsed.format,
            "delimiter": parsed.delimiter,
            "headers": parsed.headers,
            "rows": parsed.rows,
            "model": self.model._meta.label_lower,
        }
        request.session[SESSION_KEY] = uploads
        return token

    def preview_url(self, token: str) -> str:
        from django.urls import reverse

        return reverse(self.url_name("import_preview"), args=[token])

    def get_upload(self, request: HttpRequest, token: Any) -> dict[str, Any]:
        """The upload ``token`` names, if this person's session made it for this model;
        else 404 (another person's upload, a stale link)."""
        from django.http import Http404

        upload = request.session.get(SESSION_KEY, {}).get(str(token))
        if not upload or upload.get("model") != self.model._meta.label_lower:
            raise Http404("No such import.")
        if not upload_storage().exists(upload["file"]):
            raise Http404("This import has been done or has expired.")
        return dict(upload)

    def forget_upload(self, request: HttpRequest, token: Any) -> None:
        uploads = request.session.get(SESSION_KEY, {})
        uploads.pop(str(token), None)
        request.session[SESSION_KEY] = uploads

    def import_preview_view(self, request: HttpRequest, token: Any) -> HttpResponse:
        """GET: a page of the dry run. POST: import it (CSRF-checked by the admin)."""
        from django.core.paginator import Paginator
        from django.template.response import TemplateResponse
        from django.urls import reverse

        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = self.get_upload(request, token)
        importer = BulkImporter(self.get_import_resource(request))
        if request.method == "POST" and "confirm" in request.POST:
            return self.import_confirm(request, token, upload, importer)
        per_page = self.import_preview_per_page
        paginator = Paginator(range(upload["rows"]), per_page)
        page = paginator.get_page(request.GET.get("p"))
        start = (page.number - 1) * per_page
        rows = read_batches(upload["file"], upload["format"], upload["delimiter"], start, per_page)
        results = importer.validate(rows)
        summary = None
        if upload["rows"] <= self.get_import_background_threshold(request):
            summary = self.dry_run_summary(request, upload, importer)
        headers = upload["headers"]
        context = self.import_context(
            request,
            upload=upload,
            headers=headers,
            results=[(r, [r.values.get(h, "") for h in headers]) for r in results],
            page=page,
            paginator=paginator,
            summary=summary,
            background=upload["rows"] > self.get_import_background_threshold(request),
            rejected_url=reverse(self.url_name("import_rejected"), args=[token]),
        )
        return TemplateResponse(request, "toolkit/admin_ext/importexport/preview.html", context)

    def iter_results(
        self, request: HttpRequest, upload: dict[str, Any], importer: BulkImporter
    ) -> Iterator[list[RowResult]]:
        size = self.get_import_batch_size(request)
        for start in range(0, upload["rows"], size):
            rows = read_batches(upload["file"], upload["format"], upload["delimiter"], start, size)
            yield importer.validate(rows)

    def dry_run_summary(
        self, request: HttpRequest, upload: dict[str, Any], importer: BulkImporter
    ) -> dict[str, int]:
        summary = {"new": 0, "update": 0, "rejected": 0}
        for batch in self.iter_results(request, upload, importer):
            for result in batch:
                summary["rejected" if result.errors else result.action] += 1
        return summary

    def import_confirm(
        self, request: HttpRequest, token: Any, upload: dict[str, Any], importer: BulkImporter
    ) -> HttpResponse:
        from django.db import DatabaseError
        from django.template.response import TemplateResponse
        from django.urls import reverse

        if upload["rows"] > self.get_import_background_threshold(request):
            from toolkit.jobs.tasks import start_job

            job = start_job(
                ImportJobHandler,
                user=request.user,
                model=self.model,
                params={
                    **{k: upload[k] for k in ("file", "format", "delimiter", "headers", "rows")},
                    "site": self.admin_site.name,
                    "model": self.model._meta.label_lower,
                },
                description=f"Import of {upload['filename']}",
            )
            self.forget_upload(request, token)
            self.message_user(
                request,
                _(
                    "The import of %(rows)d rows runs in the background; "
                    "this page shows its progress."
                )
                % {"rows": upload["rows"]},
                messages.INFO,
            )
            return redirect(job.get_absolute_url())
        created = updated = 0
        rejected: list[RowResult] = []
        for batch in self.iter_results(request, upload, importer):
            try:
                batch_created, batch_updated = importer.write(batch)
            except DatabaseError as exc:
                for result in batch:
                    result.errors.setdefault("__all__", []).append(
                        f"Its batch was not imported: the database refused it ({exc})."
                    )
                rejected.extend(batch)
                continue
            created += batch_created
            updated += batch_updated
            rejected.extend(r for r in batch if not r.is_valid)
        log_import(request.user, self.model, created + updated, len(rejected))
        rejected_name = ""
        if rejected:
            from django.core.files.base import ContentFile

            fmt = "json" if upload["format"] == "json" else "csv"
            body = rejected_file(upload["headers"], rejected, fmt)
            rejected_name = upload_storage().save(
                f"toolkit_imports/{token}-rejected.{fmt}", ContentFile(body)
            )
        delete_upload(upload["file"])
        uploads = request.session.get(SESSION_KEY, {})
        uploads[str(token)] = {
            **upload,
            "file": rejected_name or upload["file"],
            "done": True,
            "rejected_file": rejected_name,
        }
        request.session[SESSION_KEY] = uploads
        level = messages.WARNING if rejected else messages.SUCCESS
        text = f"Imported {created + updated} rows ({created} new, {updated} updated)."
        if rejected:
            text += f" Rejected {len(rejected)} rows: " + ", ".join(
                str(r.number) for r in rejected[:20]
            )
            text += "…" if len(rejected) > 20 else "."
        self.message_user(request, text, level)
        context = self.import_context(
            request,
            upload=upload,
            created=created,
            updated=updated,
            rejected=rejected[: self.import_preview_per_page],
            rejected_count=len(rejected),
            rejected_url=reverse(self.url_name("import_rejected"), args=[token])
            if rejected
            else "",
        )
        return TemplateResponse(request, "toolkit/admin_ext/importexport/result.html", context)

    def import_rejected_view(self, request: HttpRequest, token: Any) -> HttpResponse:
        """The rows that cannot be imported, in the upload's format (CSV for XLSX),
        with an ``error`` column: fix them and upload the file again."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = self.get_upload(request, token)
        stem = upload["filename"].rsplit(".", 1)[0]
        fmt = "json" if upload["format"] == "json" else "csv"
        filename = f"{stem}-rejected.{fmt}"
        if upload.get("done"):
            data: bytes | str = upload_storage().open(upload["rejected_file"], "rb").read()
        else:
            importer = BulkImporter(self.get_import_resource(request))
            rejected = [
                r
                for batch in self.iter_results(request, upload, importer)
                for r in batch
                if not r.is_valid
            ]
            data = rejected_file(upload["headers"], rejected, fmt)
        response = HttpResponse(data, content_type=FORMATS[fmt].content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def rejected_file(headers: Sequence[str], rejected: Sequence[RowResult], fmt: str) -> str:
    if fmt == "json":
        return "[" + rejected_output(headers, rejected, "json", True) + "\n]\n"
    return CSVRows().render([[*headers, "error"]]) + rejected_output(headers, rejected, "csv", True)


class ImportExportMixin(ImportMixin, ExportMixin):
    """Both :class:`ImportMixin` and :class:`ExportMixin`."""


__all__ = [
    "FORMULA_PREFIXES",
    "BulkImporter",
    "ExportJobHandler",
    "ExportMixin",
    "ImportExportMixin",
    "ImportFileError",
    "ImportJobHandler",
    "ImportMixin",
    "ListDisplayResource",
    "neutralise",
]
