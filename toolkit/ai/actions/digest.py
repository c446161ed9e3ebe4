"""The selection digest: one report across the selected records, by map-reduce."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy

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
    """One report across the selected records: a table the database computes (counts,
    minimum, maximum and average of numeric fields, top values, flags by kind, the most
    severe records; see :func:`~toolkit.ai.runs.table.selection_table`), then at most
    :attr:`max_sentences` sentences of the model over that table and the records, each
    checked against them. Records are read in chunks that fit ``max_input_chars``, the
    chunk reports combined (see :class:`~toolkit.ai.runs.DigestRun`)."""

    name = "summarize_selection"
    description = gettext_lazy("Summarize selection with AI")
    kind = "digest"
    prompt_template = "digest"
    #: Template that combines the reports of several chunks.
    combine_template: ClassVar[str] = "digest_combine"
    run_class: ClassVar[type[Run]] = DigestRun
    #: Sentences of the model's summary kept (after repeats are dropped); ``None`` for all.
    max_sentences: ClassVar[int | None] = 3
    #: Bumped: the prompt now gives the selection's table and asks for a few sentences.
    prompt_version = "2"
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
        self,
        parts: Sequence[dict[str, Any]],
        total: int,
        source: AISource,
        table: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Messages that combine chunk reports (``{"records": n, "answer": {...}}``)
        over the selection's ``table``."""
        context = {
            "action": self,
            "total": total,
            "table_json": dumps_data(table) if table else "",
            "max_sentences": self.max_sentences,
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
        self,
        payloads: Sequence[RecordPayload],
        total: int,
        source: AISource,
        table: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Messages that summarise one chunk of the ``total`` records, with the
        selection's ``table``."""
        context = {
            **self.get_context(payloads, source),
            "total": total,
            "table_json": dumps_data(table) if table else "",
            "max_sentences": self.max_sentences,
        }
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
