"""Proposals: a new value for one field, which a person reviews before it is applied."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.ai.actions.base import (
    REASON_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    VALUE_MAX_CHARS,
    AIAction,
)
from toolkit.ai.models import Insight, ReviewStatus
from toolkit.ai.sources import RecordPayload

if TYPE_CHECKING:
    from django.contrib import admin

__all__ = ["ProposeFieldAction"]


class ProposeFieldAction(AIAction):
    """Base of actions that propose a new value for ``proposal_field``.

    The answer is stored as a proposal (``review_status = "proposed"``, ``data`` holds
    the field, the current and the proposed value); nothing is written to the record
    until a person applies it.
    """

    result = "proposal"
    prompt_template = "propose"
    kind = "proposal"
    schema = {
        "type": "object",
        "properties": {
            "value": {"type": "string", "maxLength": VALUE_MAX_CHARS},
            "reason": {"type": "string", "maxLength": REASON_MAX_CHARS},
        },
        "required": ["value", "reason"],
        "additionalProperties": False,
    }

    def get_review_url(self, model_admin: admin.ModelAdmin[Any]) -> str | None:
        """The ModelAdmin's page of proposals waiting for a review (only
        ``AIActionsMixin`` serves one)."""
        url_of = getattr(model_admin, "get_ai_proposals_url", None)
        url = url_of() if callable(url_of) else None
        return str(url) if url else None

    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None:
        current = None
        if payload is not None and self.proposal_field:
            current = payload.data.get(self.proposal_field)
        insight.data = {
            "field": self.proposal_field,
            "value": str(answer.get("value", ""))[:VALUE_MAX_CHARS],
            "reason": str(answer.get("reason", ""))[:REASON_MAX_CHARS],
            "current": current,
        }
        insight.text = str(answer.get("reason", ""))[:SUMMARY_MAX_CHARS]
        insight.review_status = ReviewStatus.PROPOSED
