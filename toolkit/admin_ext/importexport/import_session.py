"""The person's uploads between preview and confirmation: each file is checked within
the request's limits, stored where no URL reaches it, and remembered in the person's
session (the most recent :data:`SESSION_UPLOADS`), so that a token in a URL leads only
to an upload of that person and that model. "Cancel" on the preview discards one."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .confirmations import claim, is_claimed
from .import_job import delete_upload, upload_storage
from .import_options import ImportOptionsMixin
from .importer import BulkImporter
from .limits import ImportFileError
from .uploads import inspect_upload

__all__ = ["SESSION_KEY", "SESSION_UPLOADS", "ImportUploadsMixin"]

#: The session key of a person's uploads, by token.
SESSION_KEY = "toolkit_imports"
#: Uploads a session remembers (the oldest are forgotten first).
SESSION_UPLOADS = 20


class ImportUploadsMixin(ImportOptionsMixin):
    """Stores, finds and forgets the uploads of :class:`~.import_admin.ImportMixin`."""

    def url_name(self, view: str) -> str:
        """The admin URL name of one of this model's views ("import", "changelist")."""
        opts = self.model._meta
        return f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}"

    def import_url(self, view: str, token: Any) -> str:
        """The URL of an import page of upload ``token``."""
        return reverse(self.url_name(view), args=[str(token)])

    def store_upload(self, request: HttpRequest, upload: Any, importer: BulkImporter) -> str:
        """Check the uploaded file within this request's limits, store it and remember
        it in the session; return its token."""
        from django.core.files.base import ContentFile

        limits = self.get_import_limits(request)
        max_size = limits.max_upload_size
        if upload.size is not None and upload.size > max_size:
            raise ImportFileError(
                gettext(
                    "The file is %(size)s bytes; at most %(limit)s can be imported at once. "
                    "Split it into smaller files."
                )
                % {
                    "size": number_format(upload.size, force_grouping=True),
                    "limit": number_format(max_size, force_grouping=True),
                }
            )
        data = upload.read(max_size + 1)
        parsed = inspect_upload(data, upload.name or "", limits=limits)
        importer.check_headers(parsed)
        token = str(uuid.uuid4())
        name = upload_storage().save(f"toolkit_imports/{token}.{parsed.format}", ContentFile(data))
        uploads = request.session.get(SESSION_KEY, {})
        while len(uploads) >= SESSION_UPLOADS:
            uploads.pop(next(iter(uploads)))
        uploads[token] = {
            "file": name,
            "filename": str(upload.name)[:200],
            "format": parsed.format,
            "delimiter": parsed.delimiter,
            "headers": parsed.headers,
            "rows": parsed.rows,
            "model": self.model._meta.label_lower,
            "user": str(request.user.pk),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        request.session[SESSION_KEY] = uploads
        return token

    def get_upload(self, request: HttpRequest, token: Any) -> dict[str, Any]:
        """The upload ``token`` names, if this person's session made it for this model;
        else 404 (another person's upload, a stale link)."""
        upload = request.session.get(SESSION_KEY, {}).get(str(token))
        if (
            not upload
            or upload.get("model") != self.model._meta.label_lower
            or upload.get("user", str(request.user.pk)) != str(request.user.pk)
        ):
            raise Http404("No such import.")
        if (
            not upload.get("done")
            and not is_claimed(str(token))  # its import runs (or ran) in another request
            and not upload_storage().exists(upload["file"])
        ):
            raise Http404("This import has expired.")
        return dict(upload)

    def save_upload(self, request: HttpRequest, token: Any, upload: dict[str, Any]) -> None:
        uploads = request.session.get(SESSION_KEY, {})
        uploads[str(token)] = upload
        request.session[SESSION_KEY] = uploads

    def forget_upload(self, request: HttpRequest, token: Any) -> None:
        uploads = request.session.get(SESSION_KEY, {})
        uploads.pop(str(token), None)
        request.session[SESSION_KEY] = uploads

    def import_cancel_view(self, request: HttpRequest, token: Any) -> HttpResponse:
        """POST (CSRF-checked by the admin): discard an upload that was previewed and
        not imported, and go back to the changelist. It spends the upload's
        confirmation, so a confirmation racing it imports nothing; a cancel posted
        again finds no upload (404)."""
        return require_POST(self._cancel_upload)(request, token)

    def _cancel_upload(self, request: HttpRequest, token: Any) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = self.get_upload(request, token)
        if upload.get("done") or not claim(str(token)):
            self.message_user(
                request,
                _("This file was already imported; it cannot be cancelled."),
                messages.WARNING,
            )
            return redirect(self.import_url("import_result", token))
        delete_upload(upload["file"])
        self.forget_upload(request, token)
        self.message_user(
            request,
            _("The import of %(name)s was cancelled; nothing was imported.")
            % {"name": upload["filename"]},
            messages.INFO,
        )
        return redirect(reverse(self.url_name("changelist")))
