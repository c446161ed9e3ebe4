"""Proposed field changes (:class:`~toolkit.ai.actions.ProposeFieldAction`), reviewed per
record: the current and proposed values side by side, then Apply or Reject.

The proposed value is in a text box: the person may edit it before applying it. Applying
validates the text with the ModelAdmin's own form for that field (the model field's
validation and the form field's ``clean``), saves through ``save_model`` and writes a
LogEntry; it needs the change permission. A value the form refuses is shown on the page
with the error, the edited text kept, and nothing is written. An edited value is recorded
on the proposal (``data["edited_value"]``, with who edited it and when). Nothing is
written to a record before a person applies a proposal.

Rejected proposals, by a person or as they were stored (not worth a review), are listed
on the same page on request (``?rejected=1``) with the value and the reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.admin.utils import construct_change_message, quote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from toolkit.admin_ext.parts import ChangeListPart, ChangeListParts
from toolkit.ai.actions import get_action
from toolkit.ai.admin.base import AIOptionsBase, parent_template
from toolkit.ai.models import Insight, InsightStatus, ReviewStatus
from toolkit.exceptions import ToolkitError

__all__ = ["PROPOSALS_PER_PAGE", "AIProposalsLink", "AIProposalsMixin"]

#: Proposals shown on one review page (the newest; the rest after these are reviewed).
PROPOSALS_PER_PAGE = 100


class AIProposalsLink(ChangeListPart):
    """The link above the list to the review of pending proposals, where the person may
    run an action that proposes changes; the page is rendered with the AI's changelist
    template on top of the one it had."""

    def update_page(self, response: TemplateResponse, context: dict[str, Any]) -> None:
        model_admin, request = self.model_admin, self.request
        if not (
            model_admin.has_ai_permission(request)
            and any(a.result == "proposal" for a in model_admin.get_ai_actions(request))
            and model_admin.get_ai_proposals_url()
        ):
            return
        context.update(
            {
                "toolkit_ai_parent_template": parent_template(response.template_name),
                "toolkit_ai_proposals_url": model_admin.get_ai_proposals_url(),
                "toolkit_ai_proposals_pending": model_admin.pending_proposals(request).count(),
            }
        )
        response.template_name = "toolkit/ai/change_list.html"


class AIProposalsMixin(AIOptionsBase):
    """The review of proposed changes: a link above the list, a page, Apply and Reject."""

    changelist_parts: ClassVar[ChangeListParts] = (AIProposalsLink,)

    def pending_proposals(self, request: HttpRequest) -> QuerySet[Insight]:
        """Proposals about this model that wait for a review, newest first."""
        return (
            Insight.objects.for_model(self.model)
            .filter(review_status=ReviewStatus.PROPOSED, status=InsightStatus.OK)
            .exclude(object_id="")
            .order_by("-created_at", "-pk")
        )

    def proposal_field(self, insight: Insight) -> str | None:
        """The field an insight proposes a value for (its action's ``proposal_field``)."""
        try:
            action = get_action(insight.action)
        except (KeyError, LookupError, ToolkitError):
            action = None
        field = getattr(action, "proposal_field", None) or (insight.data or {}).get("field")
        return str(field) if field else None

    def proposed_value(self, insight: Insight) -> str:
        """The proposed value: the answer's ``value`` (or the insight's text)."""
        data = insight.data or {}
        for key in ("value", "proposal", "proposed"):
            if isinstance(data.get(key), str):
                return str(data[key])
        return insight.text

    def rejected_proposals(self, request: HttpRequest) -> QuerySet[Insight]:
        """Proposals about this model that were rejected, by a person or as they were
        stored (``data["rejected"]`` says why), newest first."""
        return (
            Insight.objects.for_model(self.model)
            .filter(review_status=ReviewStatus.REJECTED, status=InsightStatus.OK)
            .exclude(object_id="")
            .order_by("-created_at", "-pk")
        )

    def rejection_reason(self, insight: Insight) -> str:
        """Why a proposal was rejected: the check's sentence, or who rejected it."""
        data = insight.data or {}
        if data.get("rejected"):
            return str(data["rejected"])
        if data.get("rejected_by_name"):
            return _("Rejected by %s.") % data["rejected_by_name"]
        return _("Rejected by a person.")

    def ai_proposals_view(
        self, request: HttpRequest, *, edited: dict[int, dict[str, str]] | None = None
    ) -> HttpResponse:
        """Pending proposals side by side with the current values, each in a text box
        to edit before applying it, and on request (``?rejected=1``) the rejected ones.

        ``edited``: by proposal id, the text a person tried to apply and why it was
        refused (``{"value": ..., "error": ...}``), shown again in its box."""
        if not self.has_ai_permission(request):
            raise PermissionDenied
        edited = edited or {}
        waiting = self.pending_proposals(request)
        total = waiting.count()
        pending = list(waiting[:PROPOSALS_PER_PAGE])
        rows = []
        for insight, obj, field, label in self._proposal_rows(request, pending):
            proposed = self.proposed_value(insight)
            attempt = edited.get(insight.pk, {})
            rows.append(
                {
                    "insight": insight,
                    "object": obj,
                    "field": field,
                    "label": label,
                    "current": str(getattr(obj, field, "") or ""),
                    "proposed": proposed,
                    "value": attempt.get("value", proposed),
                    "error": attempt.get("error", ""),
                    "reason": str((insight.data or {}).get("reason") or ""),
                    "review_url": self._ai_url("review", insight.pk),
                    "change_url": self._change_url(obj),
                    "can_apply": self.has_change_permission(request, obj),
                }
            )
        rejected_total = self.rejected_proposals(request).count()
        show_rejected = request.GET.get("rejected") == "1"
        rejected = []
        if show_rejected:
            latest = list(self.rejected_proposals(request)[:PROPOSALS_PER_PAGE])
            for insight, obj, _field, label in self._proposal_rows(request, latest):
                rejected.append(
                    {
                        "insight": insight,
                        "object": obj,
                        "label": label,
                        "proposed": self.proposed_value(insight),
                        "why": self.rejection_reason(insight),
                        "change_url": self._change_url(obj),
                    }
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review AI proposals for %s") % self.model._meta.verbose_name_plural,
            "subtitle": None,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "rows": rows,
            "total": total,
            "more": max(0, total - len(pending)),
            "rejected": rejected,
            "rejected_total": rejected_total,
            "show_rejected": show_rejected,
            "proposals_url": self.get_ai_proposals_url(),
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "toolkit/ai/proposals.html", context)

    def _proposal_rows(
        self, request: HttpRequest, insights: list[Insight]
    ) -> list[tuple[Insight, models.Model, str, str]]:
        """Each proposal with its record (one query; records this person may not see
        are left out), its field and the field's label."""
        pks = [i.object_id for i in insights]
        queryset = self.get_queryset(request)
        objects = {str(o.pk): o for o in queryset.filter(pk__in=pks)} if pks else {}
        rows = []
        for insight in insights:
            obj = objects.get(insight.object_id)
            field = self.proposal_field(insight)
            if obj is None or field is None:
                continue
            try:
                label = capfirst(str(self.model._meta.get_field(field).verbose_name))
            except FieldDoesNotExist:
                continue
            rows.append((insight, obj, field, label))
        return rows

    def _change_url(self, obj: models.Model) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(str(obj.pk))],
        )

    def ai_review_view(self, request: HttpRequest, insight_id: int) -> HttpResponse:
        """Apply or reject one proposal (POST). Applying validates the value with the
        ModelAdmin's form for that field, saves through ``save_model`` and logs."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_ai_permission(request):
            raise PermissionDenied
        back = self.get_ai_proposals_url()
        insight = self.pending_proposals(request).filter(pk=insight_id).first()
        if insight is None:
            self.message_user(
                request,
                _("That proposal was already reviewed or no longer exists; nothing changed."),
                messages.WARNING,
            )
            return HttpResponseRedirect(back)
        obj = self.get_object(request, insight.object_id)
        field = self.proposal_field(insight)
        if obj is None or field is None:
            self.message_user(
                request, _("The record of that proposal is gone; nothing changed."), messages.ERROR
            )
            return HttpResponseRedirect(back)
        decision = request.POST.get("decision")
        if decision == "reject":
            user = request.user
            Insight.objects.filter(pk=insight.pk, review_status=ReviewStatus.PROPOSED).update(
                review_status=ReviewStatus.REJECTED,
                data={
                    **(insight.data or {}),
                    "rejected_by": user.pk,
                    "rejected_by_name": user.get_username(),
                },
            )
            self.message_user(request, _("Proposal for “%s” rejected.") % obj, messages.SUCCESS)
            return HttpResponseRedirect(back)
        if decision != "apply":
            self.message_user(request, _("Choose Apply or Reject."), messages.ERROR)
            return HttpResponseRedirect(back)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        # The text box's value, as edited; without one (a client that posts only the
        # decision), the value as proposed. Browsers send a text box's line breaks as
        # CRLF: stored as the proposal's own line breaks.
        value = request.POST.get("value")
        value = self.proposed_value(insight) if value is None else value.replace("\r\n", "\n")
        error = self.apply_proposal(request, obj, field, value, insight)
        if error:
            self.message_user(
                request,
                _("“%(obj)s” was left unchanged: %(error)s") % {"obj": obj, "error": error},
                messages.ERROR,
            )
            # The page again, with the text as the person left it and the error by it.
            return self.ai_proposals_view(
                request, edited={insight.pk: {"value": value, "error": error}}
            )
        self.message_user(request, _("The proposal was applied to “%s”.") % obj, messages.SUCCESS)
        return HttpResponseRedirect(back)

    def apply_proposal(
        self, request: HttpRequest, obj: models.Model, field: str, value: str, insight: Insight
    ) -> str:
        """Validate ``value`` for ``field`` with the ModelAdmin's form and save it with a
        LogEntry; returns the validation errors as a sentence ("" when applied).

        A ``value`` other than the one proposed (the person edited it) is recorded on
        the proposal: ``data["edited_value"]``, ``"edited_by"`` (the user's id),
        ``"edited_by_name"`` and ``"edited_at"``."""
        if field not in _form_fields(self, request, obj):
            return _("the form of this page does not offer “%s”.") % field
        form_class = self.get_form(request, obj, change=True, fields=[field])
        form = form_class(data={field: value}, instance=obj)
        if not form.is_valid():
            return " ".join(
                f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in form.errors.items()
            )
        changes: dict[str, Any] = {"review_status": ReviewStatus.APPLIED}
        if value.strip() != self.proposed_value(insight).strip():
            changes["data"] = {
                **(insight.data or {}),
                "edited_value": value,
                "edited_by": request.user.pk,
                "edited_by_name": request.user.get_username(),
                "edited_at": timezone.now().isoformat(),
            }
        with transaction.atomic(using=router.db_for_write(self.model)):
            claimed = Insight.objects.filter(
                pk=insight.pk, review_status=ReviewStatus.PROPOSED
            ).update(**changes)
            if not claimed:
                return _("someone reviewed it meanwhile.")
            new_object = self.save_form(request, form, change=True)
            self.save_model(request, new_object, form, change=True)
            message = construct_change_message(form, [], False)  # type: ignore[arg-type,unused-ignore]
            self.log_change(request, new_object, message)
        return ""


def _form_fields(modeladmin: Any, request: HttpRequest, obj: Any) -> set[str]:
    """Fields the ModelAdmin's change form lets this person edit."""
    readonly = set(modeladmin.get_readonly_fields(request, obj))
    fields = set(modeladmin.get_fields(request, obj))
    return fields - readonly
