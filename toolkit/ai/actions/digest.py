"""The selection digest: one report across the selected records, by map-reduce."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from toolkit.ai.actions.base import (
    DIGEST_MAX_CHARS,
    MAX_HIGHLIGHTS,
    REASON_MAX_CHARS,
    AIAction,
)
from toolkit.ai.models import Insight
from toolkit.ai.runs.base import Run
from toolkit.ai.runs.digest import DigestRun
from toolkit.ai.sources import AISource, RecordPayload, dumps_data

__all__ = ["SummarizeSelectionAction"]


class SummarizeSelectionAction(AIAction):
    """One report across the selected records, written by map-reduce: records are
    summarised in chunks that fit ``max_input_chars``, then the chunk reports combined
    (see :class:`~toolkit.ai.runs.DigestRun`)."""

    name = "summarize_selection"
    description = "Summarize selection with AI"
    kind = "digest"
    prompt_template = "digest"
    #: Template that combines the reports of several chunks.
    combine_template: ClassVar[str] = "digest_combine"
    run_class: ClassVar[type[Run]] = DigestRun
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": DIGEST_MAX_CHARS},
            "highlights": {
                "type": "array",
                "maxItems": MAX_HIGHLIGHTS,
                "items": {"type": "string", "maxLength": REASON_MAX_CHARS},
            },
        },
        "required": ["summary", "highlights"],
        "additionalProperties": False,
    }

    def get_combine_messages(
        self, parts: Sequence[dict[str, Any]], total: int, source: AISource
    ) -> list[dict[str, Any]]:
        """Messages that combine chunk reports (``{"records": n, "answer": {...}}``)."""
        context = {
            "action": self,
            "total": total,
            "parts": [
                {"records": part["records"], "json": dumps_data(part["answer"])} for part in parts
            ],
        }
        return [
            {"role": "system", "content": self.get_system_prompt(source)},
            {
                "role": "user",
                "content": self.render_template(self.combine_template, source, context),
            },
        ]

    def get_chunk_messages(
        self, payloads: Sequence[RecordPayload], total: int, source: AISource
    ) -> list[dict[str, Any]]:
        """Messages that summarise one chunk of the ``total`` records."""
        context = {**self.get_context(payloads, source), "total": total}
        return [
            {"role": "system", "content": self.get_system_prompt(source)},
            {
                "role": "user",
                "content": self.render_template(self.prompt_template, source, context),
            },
        ]

    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None:
        highlights = [
            str(item)[:REASON_MAX_CHARS]
            for item in (answer.get("highlights") or [])[:MAX_HIGHLIGHTS]
        ]
        insight.data = {**answer, "highlights": highlights}
        insight.text = str(answer.get("summary", ""))[:DIGEST_MAX_CHARS] + "".join(
            f"\n- {item}" for item in highlights
        )
