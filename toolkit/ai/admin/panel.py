"""The change form's AI panel: the record's newest insights, their flags with evidence,
their provenance, a "Run again" button and a link to every insight about the record."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import quote, unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from toolkit.admin_ext.links import reverse_if_routed
from toolkit.admin_ext.selection import Selection
from toolkit.ai.admin.base import parent_template
from toolkit.ai.admin.column import FLAG_SOURCE_LABELS, SEVERITY_CLASSES, latest_insights
from toolkit.ai.admin.runs import AIRunsMixin
from toolkit.ai.models import MODEL_SOURCE, Insight, ReviewStatus

__all__ = ["AIPanelMixin", "flag_view", "insight_view"]


class AIPanelMixin(AIRunsMixin):
    """The AI panel above the change form, and its re-run button's view."""

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if (
            obj is not None
            and isinstance(response, TemplateResponse)
            and response.context_data is not None
            and self.has_ai_view_permission(request, obj)
        ):
            response.context_data.update(self.ai_panel_context(request, obj))
            response.context_data["toolkit_ai_parent_template"] = parent_template(
                response.template_name
            )
            response.template_name = "toolkit/ai/change_form.html"
        return response

    def ai_panel_context(self, request: HttpRequest, obj: models.Model) -> dict[str, Any]:
        """What the change form's AI panel shows: the newest insight of each kind with
        its flags and provenance, and the actions the person may re-run."""
        found = latest_insights([obj]).get(str(obj.pk), {})
        order = {a.kind: i for i, a in enumerate(self.get_ai_actions(request))}
        insights = sorted(found.values(), key=lambda i: (order.get(i.kind, 99), i.kind))
        rerun_url = self._ai_url("rerun", obj.pk)
        rerun = [
            a
            for a in self.get_ai_actions(request)
            if rerun_url and a.per_record and self.has_ai_permission(request, a, obj)
        ]
        pending = [i for i in insights if i.review_status == ReviewStatus.PROPOSED]
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        opts = Insight._meta
        history_url = reverse_if_routed(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if history_url:
            history_url += (
                f"?content_type__id__exact={content_type.pk}&object_id={quote(str(obj.pk))}"
            )
        return {
            "toolkit_ai_panel": {
                "insights": [insight_view(i) for i in insights],
                "rerun_actions": [(a.name, a.get_description()) for a in rerun],
                "rerun_url": rerun_url,
                "proposals_url": self.get_ai_proposals_url() if pending else "",
                "history_url": history_url,
            }
        }

    def ai_rerun_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change form's re-run button: POST, CSRF-checked, the action's permission."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("No such record."))
        action = self.find_ai_action(request, request.POST.get("action", ""))
        if action is None or not action.per_record:
            raise PermissionDenied
        if not self.has_ai_permission(request, action, obj):
            raise PermissionDenied
        opts = self.model._meta
        change_url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(str(obj.pk))],
        )
        queryset = self.get_queryset(request).filter(pk=obj.pk)
        selection = Selection.for_objects(self, [obj])
        response = self.run_ai_action(request, queryset, action, force=True, selection=selection)
        return response or HttpResponseRedirect(change_url)


def flag_view(flag: dict[str, Any]) -> dict[str, Any]:
    """A flag for the templates: a safe severity class, and whether it is a fact (a
    rule's or the peer statistics') or the model's suggestion."""
    severity = str(flag.get("severity") or "")
    is_model = flag.get("source") == MODEL_SOURCE
    return {
        "field": flag.get("field", ""),
        "severity": severity,
        "severity_class": "suggestion" if is_model else SEVERITY_CLASSES.get(severity, "none"),
        "reason": flag.get("reason", ""),
        "source": flag.get("source", ""),
        "source_label": FLAG_SOURCE_LABELS.get(str(flag.get("source") or ""), flag.get("source")),
        "is_model": is_model,
        "value": flag.get("value", ""),
        "median": flag.get("median"),
        "score": flag.get("score"),
        "discarded": flag.get("discarded", ""),
    }


def insight_view(insight: Insight) -> dict[str, Any]:
    """An insight for the templates: its facts and the model's suggestions apart, the
    sentences of its text each verified or not, and for a proposal the proposed value,
    the model's reason and why it was rejected."""
    flags = [flag_view(flag) for flag in insight.flags or [] if isinstance(flag, dict)]
    data = insight.data if isinstance(insight.data, dict) else {}
    discarded = [flag_view(f) for f in data.get("discarded_flags") or [] if isinstance(f, dict)]
    grounding = insight.grounding
    sentences = [s for s in grounding.get("sentences") or [] if isinstance(s, dict)]
    proposal = None
    if insight.review_status:
        proposal = {
            "field": data.get("field") or "",
            "value": data.get("value", insight.text),
            "current": data.get("current"),
            "reason": data.get("reason") or "",
            "rejected": data.get("rejected") or "",
        }
    return {
        "insight": insight,
        "flags": flags,
        "facts": [flag for flag in flags if not flag["is_model"]],
        "suggestions": [flag for flag in flags if flag["is_model"]],
        "discarded": discarded,
        "sentences": sentences,
        "unverified": sum(not s.get("verified") for s in sentences),
        "dropped": [d for d in grounding.get("dropped") or [] if isinstance(d, dict)],
        "proposal": proposal,
        "severity_class": SEVERITY_CLASSES.get(insight.max_severity or "", "none"),
    }
