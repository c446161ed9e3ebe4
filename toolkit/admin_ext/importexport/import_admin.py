"""``ImportMixin``: upload a file, preview every row's errors, confirm once.

The confirmation is single-use (:mod:`.confirmations`): the result page is reached by
a redirect, and a confirmation posted again, by a refresh, the back button or a double
click, shows that result instead of importing a second time.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from toolkit.admin_ext.changelist.template import use_toolkit_change_list
from toolkit.admin_ext.links import job_url, reverse_if_routed
from toolkit.admin_ext.parts import ChangeListPart, ChangeListParts

from . import formats
from .confirmations import (
    claim,
    confirmation_token,
    file_digest,
    is_claimed,
    is_valid_confirmation,
    release,
)
from .export_admin import ExportMixin
from .import_downloads import ImportDownloadsMixin
from .import_job import (
    delete_upload,
    import_batches,
    read_batches,
    start_import,
    store_rejected,
    upload_storage,
)
from .import_session import SESSION_KEY
from .import_template import key_notes
from .importer import BulkImporter
from .limits import ImportFileError
from .logs import log_import
from .uploads import IMPORT_FORMATS

__all__ = ["SESSION_KEY", "ImportExportMixin", "ImportLink", "ImportMixin"]


class ImportLink(ChangeListPart):
    """The "Import" link among the changelist's object tools (the toolkit's template),
    for a person who may import. An admin whose URLs are not routed (a site not
    included) has no link."""

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        model_admin = self.model_admin
        if not model_admin.has_import_permission(self.request):
            return
        link = reverse_if_routed(model_admin.url_name("import"))
        if link:
            context["toolkit_import_url"] = link
            use_toolkit_change_list(response)


class ImportMixin(ImportDownloadsMixin):
    """ModelAdmin mixin: import a CSV, JSON or XLSX file through a django-import-export
    ``ModelResource``, with a preview of every row's errors before anything changes.

    Upload, preview (paginated, per-row and per-field errors, rejected rows as a file
    to fix), confirm once. A file that cannot be imported at all (not UTF-8, empty, not
    what its extension says, beyond the limits of
    :class:`~.import_options.ImportOptionsMixin`, missing required columns) is refused
    with a sentence. Confirmed rows are written a batch at a time
    (:class:`BulkImporter`), each batch in one transaction; files above
    ``import_background_threshold`` rows run as a background job. Needs the add and
    change permissions.
    """

    changelist_parts: ClassVar[ChangeListParts] = (ImportLink,)

    # -- urls ---------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        if not self.import_configured():
            return list(super().get_urls())
        from django.urls import path

        opts = self.model._meta
        info = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name=f"{info}_import"),
            path(
                "import/template/",
                wrap(self.import_template_view),
                name=f"{info}_import_template",
            ),
            path(
                "import/<uuid:token>/",
                wrap(self.import_preview_view),
                name=f"{info}_import_preview",
            ),
            path(
                "import/<uuid:token>/cancel/",
                wrap(self.import_cancel_view),
                name=f"{info}_import_cancel",
            ),
            path(
                "import/<uuid:token>/result/",
                wrap(self.import_result_view),
                name=f"{info}_import_result",
            ),
            path(
                "import/<uuid:token>/rejected/",
                wrap(self.import_rejected_view),
                name=f"{info}_import_rejected",
            ),
            *super().get_urls(),
        ]

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
        if not self.has_import_permission(request):
            raise PermissionDenied
        importer = self.get_importer(request)
        context = self.import_context(
            request,
            required_columns=importer.required_columns(),
            id_columns=importer.id_columns,
            columns=[f.column_name for f in importer.fields],
            key_notes=key_notes(importer),
            template_url=reverse(self.url_name("import_template")),
            max_size=self.get_import_max_upload_size(request),
            formats=[f for f in IMPORT_FORMATS if f != "xlsx" or formats.HAS_OPENPYXL],
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
                    return redirect(self.import_url("import_preview", token))
        return TemplateResponse(
            request,
            "toolkit/admin_ext/importexport/import.html",
            context,
            status=400 if "error" in context else 200,
        )

    def import_preview_view(self, request: HttpRequest, token: Any) -> HttpResponse:
        """GET: a page of the dry run. POST: import it (CSRF-checked by the admin),
        once: a confirmation posted again leads to the result."""
        from django.core.paginator import Paginator

        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = self.get_upload(request, token)
        if upload.get("done"):
            if request.method == "POST":
                self.message_user(request, already_imported(), messages.WARNING)
            return redirect(self.import_url("import_result", token))
        importer = self.get_importer(request)
        if request.method == "POST" and "confirm" in request.POST:
            return self.import_confirm(request, token, upload, importer)
        per_page = self.get_import_preview_per_page(request)
        paginator = Paginator(range(upload["rows"]), per_page)
        page = paginator.get_page(request.GET.get("p"))
        start = (page.number - 1) * per_page
        rows = read_batches(
            upload["file"],
            upload["format"],
            upload["delimiter"],
            start,
            per_page,
            upload["headers"],
        )
        results = importer.validate(rows)
        summary = None
        if upload["rows"] <= self.get_import_background_threshold(request):
            summary = self.dry_run_summary(request, upload, importer)
        headers = upload["headers"]
        context = self.import_context(
            request,
            upload=upload,
            rows_text=ngettext(
                "%(name)s: %(count)d row. Nothing has changed yet.",
                "%(name)s: %(count)d rows. Nothing has changed yet.",
                upload["rows"],
            )
            % {"name": upload["filename"], "count": upload["rows"]},
            summary_text=summary_sentence(summary) if summary else "",
            notes=importer.columns.match(headers).notes(),
            cancel_url=self.import_url("import_cancel", token),
            headers=headers,
            results=[(r, [r.values.get(h, "") for h in headers]) for r in results],
            page=page,
            paginator=paginator,
            summary=summary,
            background=upload["rows"] > self.get_import_background_threshold(request),
            rejected_url=self.import_url("import_rejected", token),
            confirmation=confirmation_token(
                str(token), upload.get("user"), upload.get("sha256", "")
            ),
        )
        return TemplateResponse(request, "toolkit/admin_ext/importexport/preview.html", context)

    def dry_run_summary(
        self, request: HttpRequest, upload: dict[str, Any], importer: BulkImporter
    ) -> dict[str, int]:
        summary = {"new": 0, "update": 0, "unchanged": 0, "rejected": 0}
        for batch in self.iter_results(request, upload, importer):
            for result in batch:
                summary["rejected" if result.errors else result.action] += 1
        return summary

    def import_confirm(
        self, request: HttpRequest, token: Any, upload: dict[str, Any], importer: BulkImporter
    ) -> HttpResponse:
        """Check the confirmation (this person, these bytes), spend it, then import:
        here, or as a background job for a large file. Ends in a redirect."""
        posted = request.POST.get("confirmation", "")
        if not is_valid_confirmation(
            posted, str(token), upload.get("user"), upload.get("sha256", "")
        ):
            self.message_user(
                request,
                _(
                    "This confirmation was not made for this file; nothing was imported. "
                    "Check the preview and confirm again."
                ),
                messages.ERROR,
            )
            return redirect(self.import_url("import_preview", token))
        if not claim(str(token)):
            self.message_user(request, already_imported(), messages.WARNING)
            return redirect(self.import_url("import_result", token))
        with upload_storage().open(upload["file"], "rb") as stored:
            unchanged = file_digest(stored) == upload.get("sha256")
        if not unchanged:
            delete_upload(upload["file"])
            self.forget_upload(request, token)
            self.message_user(
                request,
                _("The stored file changed after its preview; nothing was imported."),
                messages.ERROR,
            )
            return redirect(reverse(self.url_name("import")))
        if upload["rows"] > self.get_import_background_threshold(request):
            return self.start_import_job(request, token, upload)
        try:
            result = self.run_import(request, token, upload, importer)
        except BaseException:
            release(str(token))
            raise
        self.save_upload(request, token, {**upload, "done": True, **result})
        return redirect(self.import_url("import_result", token))

    def start_import_job(
        self, request: HttpRequest, token: Any, upload: dict[str, Any]
    ) -> HttpResponse:
        """Start the background import of a confirmed upload; redirect to its page."""
        job = start_import(request.user, self, upload)
        page = job_url(job)
        self.save_upload(request, token, {**upload, "done": True, "job": job.pk, "job_url": page})
        self.message_user(
            request,
            ngettext(
                "The import of %(rows)d row runs in the background as job #%(job)s.",
                "The import of %(rows)d rows runs in the background as job #%(job)s.",
                upload["rows"],
            )
            % {"rows": upload["rows"], "job": job.pk},
            messages.INFO,
        )
        return redirect(page or self.import_url("import_result", token))

    def run_import(
        self, request: HttpRequest, token: Any, upload: dict[str, Any], importer: BulkImporter
    ) -> dict[str, Any]:
        """Write the valid rows a batch at a time; store the rejected rows as a file.
        Returns what the result page shows."""
        outcome = import_batches(importer, self.iter_results(request, upload, importer))
        rejected = outcome.rejected
        log_import(request.user, self.model, outcome.imported, len(rejected))
        rejected_name = store_rejected(token, upload, rejected) if rejected else ""
        delete_upload(upload["file"])
        level = messages.WARNING if rejected else messages.SUCCESS
        self.message_user(request, outcome.message(), level)
        return {
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "rejected_count": len(rejected),
            "rejected": [
                {"number": r.number, "error_text": r.error_text}
                for r in rejected[: self.get_import_preview_per_page(request)]
            ],
            "rejected_file": rejected_name,
        }

    def import_result_view(self, request: HttpRequest, token: Any) -> HttpResponse:
        """What a confirmed import did; safe to reload."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = self.get_upload(request, token)
        if upload.get("job_url"):
            return redirect(upload["job_url"])
        if not upload.get("done") and not is_claimed(str(token)):
            return redirect(self.import_url("import_preview", token))
        context = self.import_context(
            request,
            upload=upload,
            pending=not upload.get("done"),
            job=upload.get("job"),
            created=upload.get("created", 0),
            updated=upload.get("updated", 0),
            unchanged=upload.get("unchanged", 0),
            imported=upload.get("created", 0) + upload.get("updated", 0),
            rejected=upload.get("rejected", []),
            rejected_count=upload.get("rejected_count", 0),
            rejected_url=self.import_url("import_rejected", token)
            if upload.get("rejected_file")
            else "",
        )
        return TemplateResponse(request, "toolkit/admin_ext/importexport/result.html", context)


def summary_sentence(summary: dict[str, int]) -> str:
    """What the dry run found, in words: "0 changes: 3 rows unchanged." """
    changes = summary["new"] + summary["update"]
    text = ngettext(
        "%(count)d change: %(new)d new, %(update)d to update.",
        "%(count)d changes: %(new)d new, %(update)d to update.",
        changes,
    ) % {"count": changes, "new": summary["new"], "update": summary["update"]}
    if summary["unchanged"]:
        text += " " + ngettext(
            "%(count)d row is unchanged and will be skipped.",
            "%(count)d rows are unchanged and will be skipped.",
            summary["unchanged"],
        ) % {"count": summary["unchanged"]}
    text += " " + ngettext(
        "%(count)d row rejected.", "%(count)d rows rejected.", summary["rejected"]
    ) % {"count": summary["rejected"]}
    return text


def already_imported() -> str:
    return _("This file was already imported: see the result below.")


class ImportExportMixin(ImportMixin, ExportMixin):
    """Both :class:`ImportMixin` and :class:`ExportMixin`."""
