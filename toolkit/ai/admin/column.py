"""The changelist's "AI insight" column and the "AI flags" filters it comes with.

The column shows the severity badge of the facts of each row's newest anomaly check (the
rules' and the peer statistics'), apart from it a "model suggests" badge for the
model's own flags, and the verified start of its newest summary (a badge says how many
sentences are unverified); the insights of a whole page are loaded in one query
(:func:`latest_insights`), never one per row, and never for an export of the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from toolkit.ai.actions import FlagAnomaliesAction, SummarizeAction
from toolkit.ai.admin.base import AIOptionsBase
from toolkit.ai.admin.filters import AIFlagSourceFilter, AISeverityFilter
from toolkit.ai.models import MODEL_SOURCE, Insight

__all__ = [
    "COLUMN_KINDS",
    "COLUMN_SUMMARY_CHARS",
    "FLAG_SOURCE_LABELS",
    "SEVERITY_CLASSES",
    "AIColumnMixin",
    "latest_insights",
]

#: anomaly run's severity.
COLUMN_KINDS = (SummarizeAction.kind, FlagAnomaliesAction.kind)
#: Attribute of a changelist row holding its newest insights by kind (set for the page).
ROW_INSIGHTS_ATTR = "_toolkit_ai_insights"
#: Characters of a summary shown in the changelist column.
COLUMN_SUMMARY_CHARS = 120
#: Severity classes the templates may put in a class attribute (never a stored value).
SEVERITY_CLASSES = {"critical": "critical", "warning": "warning", "info": "info", "": "none"}
#: How each flag source is named to people: facts computed from the database, or the
#: model's suggestion.
FLAG_SOURCE_LABELS = {
    "rule": gettext_lazy("rule"),
    "statistics": gettext_lazy("peer statistics"),
    "model": gettext_lazy("model suggests"),
}


def latest_insights(
    objects: Sequence[models.Model], kinds: Sequence[str] | None = None
) -> dict[str, dict[str, Insight]]:
    """The newest insight of each kind for each of ``objects``, in one query.

    Returns ``{str(pk): {kind: insight}}``; records without insights are absent. A failed
    insight counts (an anomaly run whose model failed still holds the rule and statistics
    flags). Used for a changelist page and a change form alike.
    """
    if not objects:
        return {}
    content_type = ContentType.objects.get_for_model(type(objects[0]), for_concrete_model=False)
    candidates = Insight.objects.filter(content_type=content_type)
    if kinds is not None:
        candidates = candidates.filter(kind__in=list(kinds))
    newest = Insight.objects.filter(
        content_type_id=models.OuterRef("content_type_id"),
        object_id=models.OuterRef("object_id"),
        kind=models.OuterRef("kind"),
    ).order_by("-created_at", "-pk")
    rows = (
        candidates.filter(object_id__in=[str(obj.pk) for obj in objects])
        .filter(pk=models.Subquery(newest.values("pk")[:1]))
        .select_related("requested_by")
    )
    found: dict[str, dict[str, Insight]] = {}
    for insight in rows:
        found.setdefault(insight.object_id, {})[insight.kind] = insight
    return found


class AIColumnMixin(AIOptionsBase):
    """The insight column and the severity filter, for people who may see insights."""

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        if self.get_ai_list_filter(request) and self.has_ai_view_permission(request):
            # A new list only when a filter is added: otherwise the admin's own value,
            # untouched (a tuple stays a tuple).
            return [*filters, AISeverityFilter, AIFlagSourceFilter]
        return filters

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        if self.get_ai_list_column(request) and self.has_ai_view_permission(request):
            # Added to the page's columns only (not to get_list_display()): an export of
            # the list's columns gets no HTML badge and no query per row.
            changelist.list_display = [*changelist.list_display, "ai_insight"]
            # The page's rows, fetched now (the template iterates the same cached list),
            # get their newest insights in one query instead of one per row.
            rows = list(changelist.result_list)
            found = latest_insights(rows, COLUMN_KINDS)
            for row in rows:
                setattr(row, ROW_INSIGHTS_ATTR, found.get(str(row.pk), {}))
        return changelist

    @admin.display(description=gettext_lazy("AI insight"))
    def ai_insight(self, obj: models.Model) -> str:
        """A severity badge and the start of the newest summary (escaped)."""
        found = getattr(obj, ROW_INSIGHTS_ATTR, None)
        if found is None:
            found = latest_insights([obj], COLUMN_KINDS).get(str(obj.pk), {})
        summary = found.get(SummarizeAction.kind)
        anomalies = found.get(FlagAnomaliesAction.kind)
        parts = []
        if anomalies is not None:
            parts += self._ai_flag_badges(anomalies)
        if summary is not None:
            parts += self._ai_summary_parts(summary)
        if not parts:
            return self.get_empty_value_display()
        return format_html(" ".join(["{}"] * len(parts)), *parts)

    def _ai_flag_badges(self, anomalies: Insight) -> list[str]:
        """The facts' severity badge, then the model's suggestions' badge apart."""
        severity = anomalies.max_severity or ""
        facts = [f for f in anomalies.flags or [] if f.get("source") != MODEL_SOURCE]
        suggestions = anomalies.model_flags
        label = severity.capitalize() if severity else _("No flags")
        badges: list[str] = [
            format_html(
                '<span class="toolkit-ai-badge toolkit-ai-{}" title="{}">{}</span>',
                SEVERITY_CLASSES.get(severity, "none"),
                ngettext("%(count)d flag", "%(count)d flags", len(facts)) % {"count": len(facts)},
                label,
            )
        ]
        if suggestions:
            badges.append(
                format_html(
                    '<span class="toolkit-ai-badge toolkit-ai-suggestion" title="{}">{}</span>',
                    "; ".join(
                        _("model suggests: %(field)s: %(reason)s")
                        % {"field": f.get("field", ""), "reason": f.get("reason", "")}
                        for f in suggestions
                    ),
                    ngettext(
                        "Model suggests %(count)d", "Model suggests %(count)d", len(suggestions)
                    )
                    % {"count": len(suggestions)},
                )
            )
        return badges

    def _ai_summary_parts(self, summary: Insight) -> list[str]:
        """The verified sentences of a summary, and a badge for the unverified ones."""
        if not summary.is_ok:
            return [format_html('<span class="toolkit-ai-summary">{}</span>', _("Summary failed"))]
        sentences = [s for s in summary.grounding.get("sentences") or [] if isinstance(s, dict)]
        unverified = [s for s in sentences if not s.get("verified")]
        text = summary.text
        if sentences:
            text = " ".join(str(s.get("text", "")) for s in sentences if s.get("verified"))
        parts: list[str] = []
        if unverified:
            parts.append(
                format_html(
                    '<span class="toolkit-ai-badge toolkit-ai-unverified" title="{}">{}</span>',
                    " ".join(str(s.get("text", "")) for s in unverified),
                    ngettext("%(count)d unverified", "%(count)d unverified", len(unverified))
                    % {"count": len(unverified)},
                )
            )
        if text:
            parts.append(
                format_html(
                    '<span class="toolkit-ai-summary">{}</span>',
                    Truncator(text).chars(COLUMN_SUMMARY_CHARS),
                )
            )
        return parts
