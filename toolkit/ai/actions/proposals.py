"""Proposals: a new value for one field, which a person reviews before it is applied.

A proposal not worth a person's time is rejected as it is stored, with the reason
(:meth:`ProposeFieldAction.rejection`): empty, the current value again (or part of it),
the record's own name (``__str__``) or one of its unique short values (a SKU), shorter
than :attr:`~ProposeFieldAction.min_length`, or saying a sentence or a phrase twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from toolkit.ai.actions.base import (
    REASON_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    VALUE_MAX_CHARS,
    AIAction,
)
from toolkit.ai.grounding import normalize, repeated_phrase
from toolkit.ai.models import Insight, ReviewStatus
from toolkit.ai.sources import RecordPayload

if TYPE_CHECKING:
    from django.contrib import admin

__all__ = ["ProposeFieldAction"]

#: A unique field whose values are at most this long is an identifier (a SKU, a slug),
#: which a proposal must not merely repeat.
SHORT_UNIQUE_CHARS = 64
_UNSET: Any = object()


class ProposeFieldAction(AIAction):
    """Base of actions that propose a new value for ``proposal_field``.

    The answer is stored as a proposal (``review_status = "proposed"``, ``data`` holds
    the field, the current and the proposed value, and the model's reason); nothing is
    written to the record until a person applies it. A proposal not worth reviewing is
    stored ``rejected`` with ``data["rejected"]``, the reason.
    """

    result = "proposal"
    prompt_template = "propose"
    kind = "proposal"
    #: A proposal shorter than this (in characters, spaces trimmed) is rejected.
    min_length: int = 3
    schema = {
        "type": "object",
        "properties": {
            "value": {"type": "string", "maxLength": VALUE_MAX_CHARS},
            "reason": {"type": "string", "maxLength": REASON_MAX_CHARS},
        },
        "required": ["value", "reason"],
        "additionalProperties": False,
    }

    def __init__(self, *, min_length: int = _UNSET) -> None:
        if min_length is not _UNSET:
            self.min_length = min_length

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
        value = str(answer.get("value", ""))[:VALUE_MAX_CHARS]
        insight.data = {
            "field": self.proposal_field,
            "value": value,
            "reason": str(answer.get("reason", ""))[:REASON_MAX_CHARS],
            "current": current,
        }
        # The text of a proposal is what it proposes; the model's reason stays in data.
        insight.text = value[:SUMMARY_MAX_CHARS]
        insight.review_status = ReviewStatus.PROPOSED
        rejected = self.rejection(value, current, self.reference_values(insight, payload))
        if rejected:
            insight.data["rejected"] = rejected
            insight.review_status = ReviewStatus.REJECTED

    def reference_values(self, insight: Insight, payload: RecordPayload | None) -> dict[str, str]:
        """What a proposal must not merely repeat, by what it is: the record's name
        (its ``__str__``) and its unique short values (a SKU). One query per record;
        none when the record is unknown (an unsaved insight in a test)."""
        if payload is None or insight.content_type_id is None:
            return {}
        model = insight.content_type.model_class()
        if model is None:
            return {}
        obj = model._default_manager.filter(pk=payload.pk).first()
        if obj is None:
            return {}
        found = {"its name": str(obj)}
        for field in model._meta.concrete_fields:
            if field.primary_key or not field.unique or field.name == self.proposal_field:
                continue
            if (
                isinstance(field, models.CharField | models.SlugField)
                and (field.max_length or 0) <= SHORT_UNIQUE_CHARS
            ):
                value = getattr(obj, field.attname)
                if value:
                    found[f"its {field.verbose_name}"] = str(value)
        return found

    def rejection(self, value: str, current: Any, references: dict[str, str]) -> str:
        """Why a proposed ``value`` is not worth a review, or "" when it is. Override to
        add checks of your own (call ``super()`` first)."""
        proposed = normalize(value)
        if not proposed:
            return "The proposal is empty."
        if current not in (None, ""):
            held = normalize(str(current))
            if proposed == held:
                return "The proposal is the current value."
            if proposed in held:
                return "The proposal is part of the current value: it adds nothing."
        for what, reference in references.items():
            if proposed and proposed in normalize(reference):
                return f"The proposal only repeats {what} (“{reference}”)."
        if len(value.strip()) < self.min_length:
            return (
                f"The proposal is {len(value.strip())} characters long, shorter than the "
                f"{self.min_length} asked for."
            )
        repeated = repeated_phrase(value)
        if repeated:
            return f"The proposal repeats itself (“{repeated}”)."
        return ""
