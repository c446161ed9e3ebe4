"""Detectors of the anomaly action beyond the database rules and the peer statistics.

:class:`SuspiciousText` is a :class:`~toolkit.ai.rules.RecordRule`: put it in
``ai_rules``, or let :class:`~toolkit.ai.actions.FlagAnomaliesAction` add it for the text
fields it sends (its ``text_fields`` option). It runs each of its :class:`TextCheck`
objects on each field, and a check that finds something is a flag of the check's
``kind``:

==================  ================================================================
markup              HTML tags, comments, ``javascript:`` links, Markdown links and
                    images, BBCode, template tags
formula             what a spreadsheet would run: ``=``, ``@``, ``+``/``-`` before a
                    formula, a tab or carriage return at the start of a cell
prompt_injection    text addressed to a model: "ignore previous instructions",
                    "you are an AI", "system prompt", role markers; in English,
                    German, French, Spanish, Italian, Portuguese and Dutch
control_characters  control characters, zero-width and bidirectional marks, Unicode
                    tag characters
==================  ================================================================

Add a check by subclassing :class:`TextCheck` (a ``kind``, a ``severity`` and
:meth:`TextCheck.find`) and listing it in ``checks``.
"""

from __future__ import annotations

from toolkit.ai.detectors.text import (
    DEFAULT_TEXT_CHECKS,
    ControlCharacters,
    Markup,
    PromptInjection,
    SpreadsheetFormula,
    SuspiciousText,
    TextCheck,
)

__all__ = [
    "DEFAULT_TEXT_CHECKS",
    "ControlCharacters",
    "Markup",
    "PromptInjection",
    "SpreadsheetFormula",
    "SuspiciousText",
    "TextCheck",
]
