"""``ExportMixin``: an "Export selected as ..." action per format, off until asked for.

An admin that works today keeps its actions as they are: the export actions appear
only for the formats ``export_formats`` (or ``get_export_formats()``) names, and are
added by ``get_actions()``, never by changing ``self.actions``. Listing an export
action in ``actions`` yourself (``"export_as_csv"``) works too. A format is a
:class:`~.formats.Format` class: the built-in ones are named by their name, a project's
own are listed as classes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin import options as admin_options
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _

from toolkit.admin_ext.base import ToolkitAdminMixin
from toolkit.admin_ext.links import job_url
from toolkit.admin_ext.selection import start_changelist_job
from toolkit.compat import get_actions_at
from toolkit.exceptions import ToolkitConfigurationError

from .checks import ExportChecks
from .columns import ListDisplayResource, iter_queryset_rows
from .export_job import ExportJobHandler
from .formats import Format, WholeFileFormat, attach, resolve_format
from .logs import log_export

__all__ = ["ACTION_PREFIX", "ExportMixin", "export_action", "on_changelist"]

#: An export action is named after its format: ``export_as_csv``.
ACTION_PREFIX = "export_as_"

#: Django 6.1's places an action is offered (``None`` before: the change list only).
ActionLocation: Any = getattr(admin_options, "ActionLocation", None)


def on_changelist(action_location: Any) -> bool:
    """Whether ``get_actions()`` was asked for the change list's actions."""
    return (
        action_location is None
        or ActionLocation is None
        or action_location == ActionLocation.CHANGE_LIST
    )


def export_action(format_class: type[Format]) -> Callable[..., Any]:
    """The admin action "Export selected <objects> as <label>" of ``format_class``,
    named ``export_as_<name>``, gated by ``has_export_permission()``."""

    def export(modeladmin: Any, request: HttpRequest, queryset: models.QuerySet[Any]) -> Any:
        return modeladmin.export_selected(request, queryset, format_class)

    export.__name__ = export.__qualname__ = ACTION_PREFIX + format_class.name
    # Django fills in %(verbose_name_plural)s: a "%" of the label must stay a "%".
    label = str(format_class.label).replace("%", "%%")
    description = format_lazy(_("Export selected %(verbose_name_plural)s as {label}"), label=label)
    action = admin.action(description=description, permissions=["export"])(export)
    # Exports log themselves (log_export), in the request or when their job finishes: the
    # action safety net of BulkActionsMixin must not log them again.
    action.log_entry = False  # type: ignore[attr-defined]
    return action


class ExportMixin(ToolkitAdminMixin):
    """ModelAdmin mixin: "Export selected" actions, in CSV, XLSX, JSON or a format of
    your own (a :class:`~.formats.Format` subclass).

    Off until ``export_formats`` names formats (or ``get_export_formats()`` returns
    some). Needs the view permission (and ``export_permission`` when set). Subclass and
    set the attributes below, or override the ``get_*`` hooks to decide per request.
    """

    mixin_checks_class: ClassVar[type | None] = ExportChecks

    #: Formats offered as actions: names of built-in ones (``"csv"``, ``"xlsx"``, which
    #: needs openpyxl, ``"json"``) or :class:`~.formats.Format` subclasses. Empty (the
    #: default): no export action, the admin is unchanged.
    export_formats: ClassVar[Sequence[str | type[Format]]] = ()

    #: Selections of more rows than this are exported by a background job, whose page
    #: shows progress and the download; smaller ones are answered directly.
    export_background_threshold: ClassVar[int] = 5000

    #: Rows fetched per database round trip while streaming.
    export_chunk_size: ClassVar[int] = 2000

    #: Codename of an extra permission needed to export (``"export_product"`` checks
    #: ``catalog.export_product``); ``None``: the view permission is enough.
    export_permission: ClassVar[str | None] = None

    #: Neutralise formula-like text in JSON exports too (spreadsheet tools import JSON).
    #: Set to ``False`` when the JSON feeds a program that needs the text untouched (it
    #: applies to every format whose ``neutralise_always`` is ``False``).
    export_neutralise_json: ClassVar[bool] = True

    #: The Resource class whose ``for_changelist()`` builds the columns.
    export_resource_class: ClassVar[type[ListDisplayResource]] = ListDisplayResource

    # -- hooks --------------------------------------------------------------------

    def has_export_permission(self, request: HttpRequest) -> bool:
        """Whether ``request.user`` may export: view permission, plus
        :meth:`get_export_permission` when it names one."""
        if not self.has_view_permission(request):
            return False
        codename = self.get_export_permission(request)
        if codename:
            app_label = self.model._meta.app_label
            return bool(request.user.has_perm(f"{app_label}.{codename}"))
        return True

    def get_export_permission(self, request: HttpRequest) -> str | None:
        """Codename of the extra permission exporting needs: ``export_permission``."""
        return self.export_permission

    def get_export_formats(self, request: HttpRequest) -> list[str | type[Format]]:
        """The formats offered to this request as actions: the entries of
        ``export_formats`` (names or Format classes) this site can write. Override to
        decide per person; empty: no export action."""
        return [
            entry
            for entry in self.export_formats
            if (format_class := resolve_format(entry)) is not None and format_class.is_available()
        ]

    def get_export_background_threshold(self, request: HttpRequest) -> int:
        """Rows above which the export runs as a background job."""
        return self.export_background_threshold

    def get_export_chunk_size(self, request: HttpRequest) -> int:
        """Rows fetched per database round trip (and written per part) while streaming."""
        return self.export_chunk_size

    def get_export_neutralise_json(self, request: HttpRequest) -> bool:
        """Whether JSON (and formats like it) is neutralised: ``export_neutralise_json``."""
        return self.export_neutralise_json

    def get_export_resource(self, request: HttpRequest) -> ListDisplayResource:
        """The Resource whose columns are exported: the changelist's by default."""
        return self.export_resource_class.for_changelist(self, request)

    def get_export_filename(self, request: HttpRequest, fmt: str) -> str:
        """The download's name: the objects' plural, a time stamp, the extension of
        the format named ``fmt``."""
        stem = slugify(self.model._meta.verbose_name_plural)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        format_class = self.export_format_class(fmt, request)
        return f"{stem}-{stamp}.{format_class.extension if format_class else fmt}"

    def is_export_safe(self, request: HttpRequest, fmt: str) -> bool:
        """Whether formula-like text is neutralised in the format named ``fmt``: always
        for CSV and XLSX; for JSON unless :meth:`get_export_neutralise_json` says no."""
        format_class = self.export_format_class(fmt, request)
        if format_class is None or format_class.neutralise_always:
            return True
        return self.get_export_neutralise_json(request)

    def export_format_class(
        self, fmt: str | type[Format], request: HttpRequest | None = None
    ) -> type[Format] | None:
        """The Format class ``fmt`` stands for: a class itself, or a name among
        ``export_formats``, those :meth:`get_export_formats` returns for ``request``,
        then the built-in formats."""
        entries = list(self.export_formats)
        if request is not None and isinstance(fmt, str):
            entries += self.get_export_formats(request)
        known = [c for c in map(resolve_format, entries) if c is not None]
        return resolve_format(fmt, known)

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
            format_class
            for format_class in self.resolve_export_formats(self.get_export_formats(request))
            if ACTION_PREFIX + format_class.name not in actions
        ]
        if missing and self.has_export_permission(request):
            for format_class in missing:
                name = ACTION_PREFIX + format_class.name
                # A method of that name on the admin (its own export_as_csv) wins.
                own = hasattr(type(self), name)
                action = self.get_action(name if own else export_action(format_class))
                if action is not None:
                    actions[name] = action
        return actions

    def get_action(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        """Django's, plus ``export_as_<name>`` for every format this admin knows, so
        that an export action may be listed in ``actions`` by name."""
        if (
            isinstance(action, str)
            and action.startswith(ACTION_PREFIX)
            and not hasattr(type(self), action)
        ):
            format_class = self.export_format_class(action.removeprefix(ACTION_PREFIX))
            if format_class is not None:
                action = export_action(format_class)
        return super().get_action(action, *args, **kwargs)

    def resolve_export_formats(self, entries: Sequence[str | type[Format]]) -> list[type[Format]]:
        """The Format classes of ``entries`` (names or classes) this site can write."""
        classes = [self.export_format_class(entry) for entry in entries]
        return [c for c in dict.fromkeys(classes) if c is not None and c.is_available()]

    def offered_export_formats(self, request: HttpRequest) -> list[type[Format]]:
        """Formats an export action may run for: :meth:`get_export_formats`, and those
        whose action the admin lists in ``actions`` itself."""
        listed = [
            name.removeprefix(ACTION_PREFIX)
            for name in self.actions or ()
            if isinstance(name, str) and name.startswith(ACTION_PREFIX)
        ]
        return self.resolve_export_formats([*self.get_export_formats(request), *listed])

    def export_selected(
        self, request: HttpRequest, queryset: models.QuerySet[Any], fmt: str | type[Format]
    ) -> HttpResponseBase | None:
        """Answer the export directly, or start a background job for a large one."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        format_class = self.export_format_class(fmt, request)
        if format_class is None or format_class not in self.offered_export_formats(request):
            self.message_user(request, _("This export format is not available."), messages.ERROR)
            return None
        count = queryset.count()
        if count > self.get_export_background_threshold(request):
            return self.start_export_job(request, queryset, format_class, count)
        log_export(request.user, self.model, count, format_class.label)
        return self.export_response(request, queryset, format_class)

    def start_export_job(
        self,
        request: HttpRequest,
        queryset: models.QuerySet[Any],
        fmt: str | type[Format],
        count: int,
    ) -> HttpResponse | None:
        """Start the background export of ``count`` rows; redirect to its progress page
        (or say which job runs it when job pages are not routed)."""
        format_class = self.require_export_format(fmt, request)
        job = start_changelist_job(
            ExportJobHandler,
            self,
            request,
            queryset,
            {
                "format": format_class.name,
                "safe": self.is_export_safe(request, format_class.name),
            },
            description=str(
                _("Export of %(count)s %(items)s as %(format)s")
                % {
                    "count": number_format(count, force_grouping=True),
                    "items": self.model._meta.verbose_name_plural,
                    "format": format_class.label,
                }
            ),
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
        self, request: HttpRequest, queryset: models.QuerySet[Any], fmt: str | type[Format]
    ) -> HttpResponseBase:
        """The file of ``queryset``'s rows in format ``fmt``: streamed in constant
        memory, or written to a temporary file first for a whole-file format (XLSX)."""
        format_class = self.require_export_format(fmt, request)
        resource = self.get_export_resource(request)
        writer = format_class(
            resource.get_export_headers(), safe=self.is_export_safe(request, format_class.name)
        )
        chunk_size = self.get_export_chunk_size(request)
        rows = iter_queryset_rows(resource, queryset, chunk_size=chunk_size)
        filename = self.get_export_filename(request, format_class.name)
        if isinstance(writer, WholeFileFormat):
            # FileResponse closes the file once sent; a temporary file then vanishes.
            out = tempfile.TemporaryFile()  # noqa: SIM115
            writer.write_file(rows, out)
            out.seek(0)
            return FileResponse(
                out, as_attachment=True, filename=filename, content_type=format_class.content_type
            )
        response = StreamingHttpResponse(
            writer.write_stream(rows, batch_size=chunk_size), content_type=format_class.content_type
        )
        return attach(response, filename)

    def require_export_format(
        self, fmt: str | type[Format], request: HttpRequest | None = None
    ) -> type[Format]:
        """:meth:`export_format_class`, for code that was handed a format it must know."""
        format_class = self.export_format_class(fmt, request)
        if format_class is None:
            raise ToolkitConfigurationError(
                f"{type(self).__name__} knows no export format {fmt!r}: list it in export_formats."
            )
        return format_class
