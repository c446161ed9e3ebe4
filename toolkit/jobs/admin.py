"""The Job admin: each job's page is its progress page.

Jobs are made by code (``start_job``), never by hand: the admin only shows them. A
staff member sees the jobs they started, a superuser every job. On a job's page:

- the progress refreshes itself: ``toolkit/jobs/progress.js`` polls the JSON status
  view (no inline script: the page works under a strict Content-Security-Policy), and
  without JavaScript a ``<noscript>`` meta refresh reloads it;
- Cancel and Resume are POST forms (CSRF-protected) for the job's owner or a superuser,
  anyone else gets 403;
- a finished job's result file is downloadable by the person who started it, only;
- the job's status is read once per page: the progress box, the Status field and the
  job's line in "Your recent jobs" show that one read, and progress.js updates all
  three (each carries ``data-job-field="status_display"``);
- a job started from a changelist links back to it ("Back to the products list"), if
  its ``origin`` is a same-site relative URL.

URL names (admin namespace): ``toolkit_jobs_job_change`` (the progress page, also
``job.get_absolute_url()``), ``toolkit_jobs_job_status``, ``toolkit_jobs_job_cancel``,
``toolkit_jobs_job_resume``, ``toolkit_jobs_job_download``.
"""

from __future__ import annotations

import logging
import posixpath
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from toolkit.jobs.handlers import find_handler
from toolkit.jobs.models import Job, JobStatus
from toolkit.jobs.tasks import can_cancel, can_resume, cancel_job, resume_job
from toolkit.query_input import QueryInputMixin

#: Jobs listed in the "Your recent jobs" box of a job's page.
RECENT_JOBS = 8

logger = logging.getLogger("toolkit.jobs")


def kind_label(kind: str) -> str:
    """A job kind in words: its handler's verbose name ("Mass update"), or the stored
    name itself for a kind no installed app handles any more."""
    handler = find_handler(kind)
    return kind if handler is None else handler.get_verbose_name()


class KindFilter(admin.SimpleListFilter):
    """The kinds of the jobs a person may see, by their handlers' verbose names. The
    parameter stays ``kind`` with the stored name as its value, as Django's own
    field filter had it, so bookmarked lists keep working."""

    title = gettext_lazy("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        kinds = (
            model_admin.get_queryset(request).order_by().values_list("kind", flat=True).distinct()
        )
        return sorted(((kind, kind_label(kind)) for kind in kinds), key=lambda c: c[1].lower())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        value = self.value()
        return queryset if value is None else queryset.filter(kind=value)


@admin.register(Job)
class JobAdmin(QueryInputMixin, admin.ModelAdmin):
    list_display = ("__str__", "status", "progress", "started_by", "created_at")
    list_filter = ("status", KindFilter)
    list_select_related = ("started_by",)
    search_fields = ("description", "kind")
    view_on_site = False
    change_form_template = "toolkit/jobs/change_form.html"
    fieldsets = [
        (None, {"fields": ["description", "kind_name", "job_status", "started_by", "target_type"]}),
        (
            gettext_lazy("Result"),
            {"fields": ["total", "done", "failed", "skipped", "stats", "message", "error"]},
        ),
        (
            gettext_lazy("Timing"),
            {
                "fields": [
                    "created_at",
                    "started_at",
                    "finished_at",
                    "heartbeat_at",
                    "lease_expires_at",
                    "attempts",
                ]
            },
        ),
        (
            gettext_lazy("Details"),
            {
                "classes": ["collapse"],
                "fields": ["kind", "origin", "target", "params", "cursor", "task_id"],
            },
        ),
    ]
    readonly_fields = [
        "description",
        "kind_name",
        "job_status",
        "kind",
        "origin",
        "started_by",
        "target_type",
        "total",
        "done",
        "failed",
        "skipped",
        "stats",
        "message",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "lease_expires_at",
        "attempts",
        "target",
        "params",
        "cursor",
        "task_id",
    ]

    # -- who sees what -----------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        return Job.objects.visible_to(request.user).select_related("started_by")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Every staff member follows their own jobs without a model permission.
        if not self.has_module_permission(request):
            return False
        return obj is None or obj.is_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A running job that is deleted stops at its next chunk.
        return bool(request.user.is_active and request.user.is_superuser)

    # -- columns -------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, job: Job) -> str:
        total = "?" if job.total is None else job.total
        percent = "" if job.percent is None else f" ({job.percent}%)"
        return f"{job.done} / {total}{percent}"

    @admin.display(description=gettext_lazy("kind"))
    def kind_name(self, job: Job) -> str:
        return kind_label(job.kind)

    @admin.display(description=gettext_lazy("status"))
    def job_status(self, job: Job) -> SafeString:
        # Marked for progress.js, which keeps it equal to the progress box's status.
        return format_html(
            '<span data-job-field="status_display">{}</span>', job.get_status_display()
        )

    # -- the progress page -------------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(self.progress_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def progress_context(self, request: HttpRequest, job: Job) -> dict[str, Any]:
        user = request.user
        allowed = job.is_visible_to(user)
        recent = list(
            Job.objects.filter(started_by=user.pk).select_related("target_type")[:RECENT_JOBS]
        )
        # The page's own job as the page read it, not as a second query found it a few
        # milliseconds later: a worker claiming it in between made the list say
        # "Queued" beside a progress box that said "Running".
        recent = [job if other.pk == job.pk else other for other in recent]
        return {
            "job": job,
            "job_status_url": self.job_url("status", job),
            "job_cancel_url": self.job_url("cancel", job),
            "job_resume_url": self.job_url("resume", job),
            "job_download_url": self.job_url("download", job),
            "job_can_cancel": allowed and can_cancel(job),
            "job_can_resume": allowed and can_resume(job),
            "job_can_download": job.can_download(user),
            "job_download_name": posixpath.basename(job.result_file.name or ""),
            "job_tokens": bool(
                (job.stats or {}).get("tokens_in") or (job.stats or {}).get("tokens_out")
            ),
            "job_result_url": self.result_url(job),
            "recent_jobs": recent,
            "job_origin_url": job.origin_url,
            "job_origin_label": self.origin_label(job),
        }

    def origin_label(self, job: Job) -> str:
        """The words of the link back to the page a job was started from."""
        model = job.target_model
        if model is None:
            return _("Back to the list")
        return _("Back to the %(items)s list") % {"items": model._meta.verbose_name_plural}

    def result_url(self, job: Job) -> str | None:
        """The handler's link to what a finished job produced, if any."""
        handler = find_handler(job.kind)
        if handler is None or job.status != JobStatus.DONE:
            return None
        return handler.get_result_url(job)

    def job_url(self, action: str, job: Job) -> str:
        opts = self.opts
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{action}", args=[job.pk]
        )

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        prefix = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/status/", wrap(self.status_view), name=f"{prefix}_status"),
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name=f"{prefix}_cancel"),
            path("<path:object_id>/resume/", wrap(self.resume_view), name=f"{prefix}_resume"),
            path("<path:object_id>/download/", wrap(self.download_view), name=f"{prefix}_download"),
            *super().get_urls(),
        ]

    # -- views ---------------------------------------------------------------------------

    def get_job_or_404(self, object_id: str) -> Job:
        try:
            job = Job.objects.filter(pk=unquote(object_id)).first()
        except (ValueError, ValidationError):
            job = None
        if job is None:
            raise Http404(_("No such job."))
        return job

    def get_followed_job(self, request: HttpRequest, object_id: str) -> Job:
        """The job, if ``request.user`` started it or is a superuser (else 403)."""
        job = self.get_job_or_404(object_id)
        if not job.is_visible_to(request.user):
            raise PermissionDenied
        return job

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The job's progress as JSON, polled by its page."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        try:
            job = self.get_followed_job(request, object_id)
            payload = job.status_payload()
        except OperationalError:
            # SQLite answers "database is locked" while a worker commits a chunk. A poll
            # is read-only and is sent again in a second: say so (503 + Retry-After)
            # instead of a 500 that makes the page stop following the job.
            logger.warning("Job status poll could not read job %s", object_id, exc_info=True)
            response = JsonResponse(
                {"error": _("The database is busy; the status is read again shortly.")},
                status=503,
            )
            response["Retry-After"] = "1"
            return response
        return JsonResponse(payload)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self.get_followed_job(request, object_id)
        if not can_cancel(job):
            if job.is_finished:
                msg = _("This job has already finished; there is nothing to cancel.")
            else:
                msg = _("This kind of job cannot be cancelled.")
            self.message_user(request, msg, messages.WARNING)
        elif cancel_job(job) and job.status == JobStatus.CANCELLED:
            self.message_user(request, _("The job was cancelled before it started."))
        elif job.is_active:
            self.message_user(
                request,
                _("Cancelling: the job stops after the chunk it is working on."),
            )
        else:
            self.message_user(request, _("The job finished before it could be cancelled."))
        return HttpResponseRedirect(job.get_absolute_url())

    def resume_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self.get_followed_job(request, object_id)
        if can_resume(job) and resume_job(job):
            self.message_user(request, _("The job is queued again; it continues where it stopped."))
        else:
            self.message_user(
                request,
                _(
                    "Only a failed job, or a running one whose worker has stopped sending "
                    "heartbeats (its lease has expired), can be resumed."
                ),
                messages.ERROR,
            )
        return HttpResponseRedirect(job.get_absolute_url())

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """The result file, for the person who started the job and nobody else."""
        job = self.get_job_or_404(object_id)
        if job.started_by_id is None or job.started_by_id != request.user.pk:
            raise PermissionDenied
        if not job.can_download(request.user):
            raise Http404(_("This job has no result to download."))
        try:
            handle = job.result_file.open("rb")
        except FileNotFoundError:
            raise Http404(_("The result file is gone from the storage.")) from None
        name = posixpath.basename(job.result_file.name or "result")
        return FileResponse(handle, as_attachment=True, filename=name)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        title = _("Jobs") if request.user.is_superuser else _("Your jobs")
        return super().changelist_view(request, {"title": title, **(extra_context or {})})
