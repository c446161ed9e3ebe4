"""Summaries: one or two sentences about each record."""

from __future__ import annotations

from toolkit.ai.actions.base import SUMMARY_MAX_CHARS, AIAction

__all__ = ["SummarizeAction"]


class SummarizeAction(AIAction):
    """One or two sentences about each record."""

    name = "summarize"
    description = "Summarize with AI"
    kind = "summary"
    prompt_template = "summary"
    schema = {
        "type": "object",
        "properties": {"summary": {"type": "string", "maxLength": SUMMARY_MAX_CHARS}},
        "required": ["summary"],
        "additionalProperties": False,
    }
