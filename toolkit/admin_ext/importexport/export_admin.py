"""``ExportMixin``: "Export selected as CSV / XLSX / JSON" actions, off until asked for.

An admin that works today keeps its actions as they are: the export actions appear
only for the formats ``export_formats`` (or ``get_export_formats()``) names, and are
added by ``get_actions()``, never by changing ``self.actions``. Listing an export
action in ``actions`` yourself works too.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin import options as admin_options
from django.core import checks
from django.core.checks import CheckMessage
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.links import job_url
from toolkit.admin_ext.selection import start_changelist_job
from toolkit.compat import get_actions_at

from . import formats
from .columns import ListDisplayResource, iter_queryset_rows
from .export_job import ExportJobHandler
from .formats import FORMATS, attach, stream_csv, stream_json, write_xlsx
from .logs import log_export

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _ModelAdminBase = ModelAdmin[Any]
else:
    _ModelAdminBase = object

__all__ = ["ExportMixin", "on_changelist"]

#: Django 6.1's places an action is offered (``None`` before: the change list only).
ActionLocation: Any = getattr(admin_options, "ActionLocation", None)


def on_changelist(action_location: Any) -> bool:
    """Whether ``get_actions()`` was asked for the change list's actions."""
    return (
        action_location is None
        or ActionLocation is None
        or action_location == ActionLocation.CHANGE_LIST
    )


def format_available(fmt: str) -> bool:
    """Whether this site can write ``fmt`` (XLSX needs openpyxl)."""
    return fmt in FORMATS and (fmt != "xlsx" or formats.HAS_OPENPYXL)


class ExportMixin(_ModelAdminBase):
    """ModelAdmin mixin: "Export selected" actions in CSV, XLSX and JSON.

    Off until ``export_formats`` names formats (or ``get_export_formats()`` returns
    some). Needs the view permission (and ``export_permission`` when set). Subclass and
    set the attributes below, or override the ``get_*`` hooks to decide per request.
    """

    #: Formats offered as actions, by name: ``"csv"``, ``"xlsx"`` (needs openpyxl),
    #: ``"json"``. Empty (the default): no export action, the admin is unchanged.
    export_formats: ClassVar[Sequence[str]] = ()

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
        if "xlsx" in self.export_formats and not formats.HAS_OPENPYXL:
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
        """The formats offered to this request as actions: ``export_formats`` this
        site can write. Override to decide per person; empty: no export action."""
        return [f for f in self.export_formats if format_available(f)]

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

    def get_actions(  # type: ignore[override,unused-ignore]
        self, request: HttpRequest, action_location: Any = None
    ) -> dict[str, Any]:
        """The admin's actions plus "Export selected as ..." for each format of
        :meth:`get_export_formats` the person may export to (change list only)."""
        actions = get_actions_at(super(), request, action_location)
        if not on_changelist(action_location) or self.actions is None:
            return actions
        if admin_options.IS_POPUP_VAR in request.GET:
            return actions
        missing = [
            name
            for name in (f"export_as_{fmt}" for fmt in self.get_export_formats(request))
            if name not in actions
        ]
        if missing and self.has_export_permission(request):
            for name in missing:
                action = self.get_action(name)
                if action is not None:
                    actions[name] = action
        return actions

    def offered_export_formats(self, request: HttpRequest) -> list[str]:
        """Formats an export action may run for: :meth:`get_export_formats`, and those
        whose action the admin lists in ``actions`` itself."""
        offered = list(self.get_export_formats(request))
        listed = [a for a in self.actions or () if isinstance(a, str)]
        offered += [f for f in FORMATS if f"export_as_{f}" in listed and f not in offered]
        return [f for f in offered if format_available(f)]

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
        if fmt not in self.offered_export_formats(request):
            self.message_user(request, _("This export format is not available."), messages.ERROR)
            return None
        count = queryset.count()
        if count > self.get_export_background_threshold(request):
            return self.start_export_job(request, queryset, fmt, count)
        log_export(request.user, self.model, count, fmt)
        return self.export_response(request, queryset, fmt)

    def start_export_job(
        self, request: HttpRequest, queryset: models.QuerySet[Any], fmt: str, count: int
    ) -> HttpResponse | None:
        job = start_changelist_job(
            ExportJobHandler,
            self,
            request,
            queryset,
            {"format": fmt, "safe": self.is_export_safe(request, fmt)},
            description=f"Export of {count} {self.model._meta.verbose_name_plural} "
            f"as {FORMATS[fmt].label}",
        )
        page = job_url(job)
        if not page:
            self.message_user(
                request,
                _("The export of %(count)d rows runs in the background as job #%(job)s.")
                % {"count": count, "job": job.pk},
                messages.INFO,
            )
            return None
        self.message_user(
            request,
            _("The export of %(count)d rows runs in the background; this page shows its progress.")
            % {"count": count},
            messages.INFO,
        )
        return redirect(page)

    def export_response(
        self, request: HttpRequest, queryset: models.QuerySet[Any], fmt: str
    ) -> HttpResponseBase:
        resource = self.get_export_resource(request)
        headers = resource.get_export_headers()
        rows = iter_queryset_rows(resource, queryset, chunk_size=self.export_chunk_size)
        safe = self.is_export_safe(request, fmt)
        filename = self.get_export_filename(request, fmt)
        content_type = FORMATS[fmt].content_type
        if fmt == "xlsx":
            # FileResponse closes the file once sent; a temporary file then vanishes.
            out = tempfile.TemporaryFile()  # noqa: SIM115
            write_xlsx(headers, rows, out, safe)
            out.seek(0)
            return FileResponse(
                out, as_attachment=True, filename=filename, content_type=content_type
            )
        stream = stream_csv if fmt == "csv" else stream_json
        response = StreamingHttpResponse(
            stream(headers, rows, self.export_chunk_size, safe), content_type=content_type
        )
        return attach(response, filename)
