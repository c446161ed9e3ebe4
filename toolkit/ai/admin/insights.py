"""The AI insights admin: every insight, read-only, and a digest's page and exports.

Registered on the default admin site by this package (``toolkit.ai`` installed and the
admin's autodiscovery on), under "Toolkit AI"; a site of its own registers
``InsightAdmin`` for :class:`toolkit.ai.models.Insight`. A person needs
``toolkit_ai.view_insight`` or ``toolkit_ai.run_ai`` and sees the insights of the models
whose admin they may view on that site.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from toolkit.admin_ext.links import reverse_if_routed
from toolkit.ai.admin.column import COLUMN_SUMMARY_CHARS, SEVERITY_CLASSES
from toolkit.ai.admin.panel import insight_view
from toolkit.ai.admin.record_names import RECORD_NAME_ATTR, attach_record_names
from toolkit.ai.models import RUN_AI_PERMISSION, VIEW_INSIGHT_PERMISSION, Insight
from toolkit.query_input import QueryInputMixin

__all__ = ["InsightAdmin"]

#: Characters of a record's name shown in the list.
RECORD_NAME_CHARS = 80


class InsightAdmin(QueryInputMixin, admin.ModelAdmin):
    """Every insight, read-only: browse and filter by model, kind, status, severity,
    review and endpoint. A person sees the insights of the models they may view; a
    digest has a result page and exports as Markdown or CSV."""

    list_display = [
        "created_at",
        "kind",
        "content_type",
        "record",
        "severity_badge",
        "flag_origin",
        "grounded",
        "status",
        "review_status",
        "short_text",
        "requested_by",
    ]
    list_filter = [
        "kind",
        "status",
        "max_severity",
        "flag_origin",
        "grounded",
        "review_status",
        ("content_type", admin.RelatedOnlyFieldListFilter),
        "endpoint",
        "model",
    ]
    list_select_related = ["content_type", "requested_by"]
    search_fields = ["text", "object_id", "action"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    change_form_template = "toolkit/ai/insight_change_form.html"
    fieldsets = [
        (None, {"fields": ["kind", "action", "status", "record", "text", "error"]}),
        (gettext_lazy("Grounding"), {"fields": ["grounded", "grounding_view"]}),
        (
            gettext_lazy("Flags"),
            {"fields": ["max_severity", "flag_origin", "flags_table", "review_status"]},
        ),
        (
            gettext_lazy("Provenance"),
            {
                "fields": [
                    "endpoint",
                    "model",
                    "prompt_version",
                    "tokens_in",
                    "tokens_out",
                    "latency_ms",
                    "requested_by",
                    "job_link",
                    "created_at",
                ]
            },
        ),
        (
            gettext_lazy("Details"),
            {
                "classes": ["collapse"],
                "fields": ["data", "scope", "record_count", "input_hash", "prompt_hash", "prompt"],
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Every shown field: insights are made by AI runs, never edited by hand.
        return [str(name) for _, options in self.fieldsets for name in options["fields"]]

    # -- who sees what -----------------------------------------------------------------

    def _can_read(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.has_perm(VIEW_INSIGHT_PERMISSION) or user.has_perm(RUN_AI_PERMISSION))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._can_read(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self._can_read(request):
            return False
        return obj is None or obj.content_type_id in self.visible_content_types(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def visible_content_types(self, request: HttpRequest) -> set[int]:
        """Models whose insights the person may read: those whose admin on this site
        they may view (an insight repeats what its record says)."""
        cached = getattr(request, "_toolkit_ai_visible_types", None)
        if cached is not None:
            return set(cached)
        visible = set()
        for model, model_admin in self.admin_site._registry.items():
            if model_admin.has_view_or_change_permission(request):
                visible.add(ContentType.objects.get_for_model(model, for_concrete_model=False).pk)
        request._toolkit_ai_visible_types = visible  # type: ignore[attr-defined]
        return visible

    def get_queryset(self, request: HttpRequest) -> QuerySet[Insight]:
        return (
            super()
            .get_queryset(request)
            .filter(content_type__in=self.visible_content_types(request))
        )

    # -- columns -----------------------------------------------------------------------

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        # The page's rows (the template iterates the same cached list) get their
        # records' names in one query per kind of record, not one per row.
        attach_record_names(self.admin_site, list(changelist.result_list))
        return changelist

    @admin.display(description=pgettext_lazy("insight column", "record"))
    def record(self, insight: Insight) -> str:
        """The record by its name, linked to its admin page when this site has one."""
        if not insight.object_id:
            return _("%(count)d records (digest)") % {"count": insight.record_count}
        if not hasattr(insight, RECORD_NAME_ATTR):
            attach_record_names(self.admin_site, [insight])
        name = getattr(insight, RECORD_NAME_ATTR, None)
        if name is None:
            # Deleted since (or a key its model cannot hold): say which one it was.
            name = _("%(model)s #%(pk)s (deleted)") % {
                "model": insight.content_type.name,
                "pk": insight.object_id,
            }
        label = Truncator(name).chars(RECORD_NAME_CHARS)
        model = insight.content_type.model_class()
        if model is None or not self.admin_site.is_registered(model):
            return label
        opts = model._meta
        url = reverse_if_routed(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            [quote(insight.object_id)],
        )
        if not url:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=gettext_lazy("severity"), ordering="severity_rank")
    def severity_badge(self, insight: Insight) -> str:
        severity = insight.max_severity or ""
        if not severity:
            return self.get_empty_value_display()
        return format_html(
            '<span class="toolkit-ai-badge toolkit-ai-{}">{}</span>',
            SEVERITY_CLASSES.get(severity, "none"),
            severity.capitalize(),
        )

    @admin.display(description=gettext_lazy("job"))
    def job_link(self, insight: Insight) -> str:
        """The background job that produced the insight, linked to its page."""
        if insight.job_id is None:
            return self.get_empty_value_display()
        url = reverse_if_routed(f"{self.admin_site.name}:toolkit_jobs_job_change", [insight.job_id])
        if not url:
            return f"#{insight.job_id}"
        return format_html('<a href="{}">#{}</a>', url, insight.job_id)

    @admin.display(description=gettext_lazy("text"))
    def short_text(self, insight: Insight) -> str:
        return Truncator(insight.text or insight.error).chars(COLUMN_SUMMARY_CHARS)

    @admin.display(description=gettext_lazy("flags"))
    def flags_table(self, insight: Insight) -> str:
        from django.template.loader import render_to_string

        view = insight_view(insight)
        return render_to_string(
            "toolkit/ai/flags.html", {"flags": view["flags"], "discarded": view["discarded"]}
        )

    @admin.display(description=gettext_lazy("sentences"))
    def grounding_view(self, insight: Insight) -> str:
        """The text sentence by sentence, each verified or marked unverified with why."""
        from django.template.loader import render_to_string

        return render_to_string("toolkit/ai/sentences.html", {"item": insight_view(insight)})

    @property
    def media(self) -> forms.Media:
        return super().media + forms.Media(css={"all": ["toolkit/ai/ai.css"]})

    # -- digest page and export ----------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:insight_id>/digest/", wrap(self.digest_view), name="toolkit_insight_digest"),
            path(
                "<int:insight_id>/digest/export/",
                wrap(self.digest_export_view),
                name="toolkit_insight_digest_export",
            ),
            *super().get_urls(),
        ]

    def get_digest(self, request: HttpRequest, insight_id: int) -> Insight:
        insight = (
            self.get_queryset(request)
            .filter(pk=insight_id, kind="digest")
            .select_related("requested_by", "content_type")
            .first()
        )
        if insight is None or not self.has_view_permission(request, insight):
            raise Http404(_("No such digest."))
        return insight

    def digest_view(self, request: HttpRequest, insight_id: int) -> HttpResponse:
        """The digest: its text, the counts and the filters it covered."""
        insight = self.get_digest(request, insight_id)
        model = insight.content_type.model_class()
        context = {
            **self.admin_site.each_context(request),
            "title": _("AI digest"),
            "subtitle": None,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "insight": insight,
            "target_opts": model._meta if model is not None else None,
            "scope_items": _scope_items(insight.scope),
            "item": insight_view(insight),
            **_digest_table(self, insight, model),
            "export_url": reverse(
                f"{self.admin_site.name}:toolkit_insight_digest_export", args=[insight.pk]
            ),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "toolkit/ai/digest.html", context)

    def digest_export_view(self, request: HttpRequest, insight_id: int) -> HttpResponse:
        """The digest as a Markdown (``?format=md``) or CSV (``?format=csv``) download."""
        insight = self.get_digest(request, insight_id)
        fmt = request.GET.get("format", "md")
        if fmt == "csv":
            from toolkit.admin_ext.importexport.formats import CSVRows

            data = insight.data if isinstance(insight.data, dict) else {}
            rows: list[list[Any]] = [
                ["section", "key", "value"],
                ["digest", "records", insight.record_count],
                ["digest", "created", insight.created_at.isoformat()],
                ["digest", "model", insight.model],
                *(["scope", key, value] for key, value in _scope_items(insight.scope)),
                ["digest", "summary", str(data.get("summary", insight.text))],
                *(["point", "", point] for point in _digest_points(insight)),
            ]
            # Every cell neutralised as CSV stores it: the digest repeats what records
            # and the model wrote, and is opened in spreadsheets.
            response = HttpResponse(CSVRows().render(rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = content_disposition_header(
                True, f"digest-{insight.pk}.csv"
            )
            return response
        if fmt != "md":
            raise Http404(_("Unknown export format."))
        model = insight.content_type.model_class()
        noun = model._meta.verbose_name_plural if model is not None else "records"
        lines = [
            f"# AI digest of {insight.record_count} {noun}",
            "",
            f"- created: {insight.created_at.isoformat()}",
            f"- model: {insight.model} ({insight.endpoint}), prompt version "
            f"{insight.prompt_version}",
        ]
        for key, value in _scope_items(insight.scope):
            lines.append(f"- {key}: {value}")
        lines += ["", insight.text or insight.error]
        response = HttpResponse(
            "\n".join(lines) + "\n", content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(
            True, f"digest-{insight.pk}.md"
        )
        return response


def _digest_table(admin_: InsightAdmin, insight: Insight, model: Any) -> dict[str, Any]:
    """The digest's table and the records it covered, with links to their pages."""
    data = insight.data if isinstance(insight.data, dict) else {}
    table: dict[str, Any] = data.get("table") or {}
    covered: dict[str, Any] = data.get("covered") or {}

    def link(pk: Any) -> str:
        if model is None or not admin_.admin_site.is_registered(model):
            return ""
        opts = model._meta
        return reverse_if_routed(
            f"{admin_.admin_site.name}:{opts.app_label}_{opts.model_name}_change", [quote(pk)]
        )

    ids = [str(pk) for pk in covered.get("ids") or []]
    return {
        "table": table,
        "numbers": sorted((table.get("numbers") or {}).items()),
        "top": sorted((table.get("top") or {}).items()),
        "flag_counts": sorted((table.get("flags") or {}).items()),
        "most_severe": [
            {**row, "url": link(row.get("id"))}
            for row in table.get("most_severe") or []
            if isinstance(row, dict)
        ],
        "covered": [(pk, link(pk)) for pk in ids],
        "covered_more": max(0, int(covered.get("count") or 0) - len(ids)),
    }


def _scope_items(scope: Any) -> list[tuple[str, str]]:
    """The filters a digest covered, as (name, value) pairs of plain text."""
    if not isinstance(scope, dict):
        return []
    items = []
    for key, value in scope.items():
        if isinstance(value, dict):
            value = "; ".join(f"{k} = {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        items.append((str(key), str(value)))
    return items


def _digest_points(insight: Insight) -> list[str]:
    """Bullet points of a digest's answer, when the model gave some."""
    data = insight.data if isinstance(insight.data, dict) else {}
    for key in ("points", "highlights", "themes", "issues"):
        value = data.get(key)
        if isinstance(value, list):
            return [str(v) if not isinstance(v, dict) else json.dumps(v) for v in value]
    return []
