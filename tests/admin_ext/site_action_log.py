"""An admin site whose product admin has custom changelist actions of every kind, for
the tests of the LogEntry every action leaves (``@pytest.mark.urls``).

Each action writes, or does not write, its own LogEntry in a different way: the tests
check that the toolkit's safety net adds exactly one entry where an action wrote none,
and none elsewhere. The default site is mounted at ``/site-admin/`` for the jobs'
progress pages (``admin:toolkit_jobs_job_change``).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import path

from demo.catalog.models import Product
from toolkit.admin_ext.actions import BulkActionsMixin, bulk_action
from toolkit.admin_ext.importexport import ExportMixin
from toolkit.admin_ext.selection import ChangelistJobHandler, start_changelist_job
from toolkit.jobs.handlers import register

site = admin.AdminSite(name="action_log_admin")

DISCONTINUED = Product.Status.DISCONTINUED

CONFIRMATION = engines["django"].from_string(
    """<form method="post">{% csrf_token %}
    {% for pk in pks %}<input type="hidden" name="_selected_action" value="{{ pk }}">{% endfor %}
    <input type="hidden" name="action" value="discontinue_after_confirming">
    <input type="hidden" name="apply" value="1">
    <button type="submit">Discontinue {{ pks|length }} products</button></form>"""
)


@register
class TouchHandler(ChangelistJobHandler):
    """A background job that does nothing to the rows, and logs nothing."""

    name = "tests.action_log.touch"

    def process_chunk(self, job, objects):
        return None


class ProductAdmin(BulkActionsMixin, ExportMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "price", "status"]
    list_filter = ["status", "is_active"]
    search_fields = ["sku", "name"]
    list_per_page = 100
    actions = [
        "mass_update",
        "duplicate_selected",
        "discontinue",
        "discontinue_logging_each",
        "discontinue_after_confirming",
        "discontinue_quietly",
        "download_skus",
        "check_nothing_to_do",
        "touch_later",
    ]
    row_actions = ["download_skus", "discontinue"]
    bulk_background_threshold = 20
    export_formats = ["csv"]
    export_background_threshold = 20

    @admin.action(
        description="Discontinue selected %(verbose_name_plural)s", permissions=["change"]
    )
    def discontinue(self, request, queryset):
        """Writes no LogEntry: the safety net must add one."""
        count = queryset.update(status=DISCONTINUED)
        self.message_user(request, f"{count} discontinued.", messages.SUCCESS)

    @admin.action(description="Discontinue and log each", permissions=["change"])
    def discontinue_logging_each(self, request, queryset):
        """Logs each row itself: nothing more to add."""
        for obj in queryset:
            obj.status = DISCONTINUED
            obj.save(update_fields=["status"])
            self.log_change(request, obj, "Discontinued.")

    @admin.action(description="Discontinue after confirming", permissions=["change"])
    def discontinue_after_confirming(self, request, queryset):
        """A confirmation page first (Django's documented pattern), the work on its POST."""
        if "apply" not in request.POST:
            pks = list(queryset.values_list("pk", flat=True))
            return HttpResponse(CONFIRMATION.render({"pks": pks}, request))
        queryset.update(status=DISCONTINUED)
        return None

    @bulk_action(permissions=["change"], description="Discontinue without a trace", log_entry=False)
    def discontinue_quietly(self, request, queryset):
        """Declares that it logs on its own terms (here: not at all)."""
        queryset.update(status=DISCONTINUED)

    @admin.action(description="Download SKUs", permissions=["view"])
    def download_skus(self, request, queryset):
        """Answers with a file: the work is done, so it is logged."""
        skus = "\n".join(queryset.order_by("pk").values_list("sku", flat=True))
        return HttpResponse(skus, content_type="text/csv")

    @admin.action(description="Check for nothing to do", permissions=["change"])
    def check_nothing_to_do(self, request, queryset):
        """Says nothing was done: not logged as a run."""
        self.message_user(request, "Nothing to do; nothing was changed.", messages.WARNING)

    @admin.action(description="Touch later", permissions=["change"])
    def touch_later(self, request, queryset):
        """Starts a background job and goes to its page."""
        job = start_changelist_job(TouchHandler, self, request, queryset)
        return redirect(job.get_absolute_url())


site.register(Product, ProductAdmin)

urlpatterns = [
    path("admin/", site.urls),
    path("site-admin/", admin.site.urls),
]
