"""Summaries: one or two sentences about each record."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from toolkit.ai.actions.base import SUMMARY_MAX_CHARS, AIAction

__all__ = ["SummarizeAction"]


class SummarizeAction(AIAction):
    """One or two sentences about each record."""

    name = "summarize"
    description = gettext_lazy("Summarize with AI")
    kind = "summary"
    prompt_template = "summary"
    schema = {
        "type": "object",
        "properties": {"summary": {"type": "string", "maxLength": SUMMARY_MAX_CHARS}},
        "required": ["summary"],
        "additionalProperties": False,
    }
