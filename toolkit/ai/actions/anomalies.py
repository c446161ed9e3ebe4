"""Anomaly flags: the rules', the peer statistics' and the model's, with a summary."""

from __future__ import annotations

from typing import Any, ClassVar

from toolkit.ai.actions.base import (
    FIELD_MAX_CHARS,
    MAX_FLAGS,
    REASON_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    AIAction,
)
from toolkit.ai.models import SEVERITY_RANK, Insight
from toolkit.ai.sources import RecordPayload

__all__ = ["FlagAnomaliesAction"]


class FlagAnomaliesAction(AIAction):
    """Flags from the rules, the peer statistics and the model, with a summary.

    Rules and statistics are computed first, without the model, and sent to it as facts
    to explain. They are stored whatever the model does: when it fails, the insight is
    ``failed`` (so a re-run sends the record again) but keeps those flags and their
    severity, so they show and filter as usual.
    """

    name = "flag_anomalies"
    description = "Flag anomalies"
    kind = "anomalies"
    prompt_template = "anomalies"
    uses_facts = True
    #: The most a model's own flag may weigh: the model reads record text, which anyone
    #: who can write a review controls, so its flags never outrank the rules'.
    model_flag_max_severity: ClassVar[str] = "warning"
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": SUMMARY_MAX_CHARS},
            "flags": {
                "type": "array",
                "maxItems": MAX_FLAGS,
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "maxLength": FIELD_MAX_CHARS},
                        "severity": {"type": "string", "enum": ["info", "warning", "critical"]},
                        "reason": {"type": "string", "maxLength": REASON_MAX_CHARS},
                    },
                    "required": ["field", "severity", "reason"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["summary", "flags"],
        "additionalProperties": False,
    }

    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None:
        super().handle_answer(insight, answer, payload)
        facts = list(payload.facts) if payload is not None else []
        cap = SEVERITY_RANK[self.model_flag_max_severity]
        model_flags = []
        shown = {key.split(".")[0] for key in payload.data} if payload is not None else None
        for flag in (answer.get("flags") or [])[:MAX_FLAGS]:
            field = str(flag.get("field", ""))
            if shown is not None and field.split(".")[0] not in shown:
                # Small models invent fields ("severity", "color"); a flag must point
                # at data the model was actually shown.
                continue
            severity = flag.get("severity", "info")
            if SEVERITY_RANK.get(severity, 0) > cap:
                severity = self.model_flag_max_severity
            model_flags.append(
                {
                    "field": field[:FIELD_MAX_CHARS],
                    "severity": severity,
                    "reason": str(flag.get("reason", ""))[:REASON_MAX_CHARS],
                    "source": "model",
                }
            )
        insight.set_flags(facts + model_flags)

    def handle_failure(self, insight: Insight, payload: RecordPayload | None = None) -> None:
        insight.set_flags(list(payload.facts) if payload is not None else [])
