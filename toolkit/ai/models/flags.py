"""The vocabulary of flags: severities, where a flag came from, and how grounded an
insight's text is (stored on :class:`~toolkit.ai.models.Insight`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    NONE = "", _("none")
    INFO = "info", _("info")
    WARNING = "warning", _("warning")
    CRITICAL = "critical", _("critical")


#: Order of severities, stored as ``Insight.severity_rank`` for sorting and filtering.
SEVERITY_RANK: dict[str, int] = {"": 0, "info": 1, "warning": 2, "critical": 3}


#: The ``source`` of a flag the model wrote: a suggestion, never a fact.
MODEL_SOURCE = "model"


def max_severity(flags: Iterable[dict[str, Any]]) -> str:
    """The highest severity among ``flags`` ("" for none)."""
    best = ""
    for flag in flags:
        severity = flag.get("severity", "")
        if SEVERITY_RANK.get(severity, 0) > SEVERITY_RANK[best]:
            best = severity
    return best


class FlagOrigin(models.TextChoices):
    """Who raised an insight's flags: the rules and peer statistics (facts computed
    from the database), the model (suggestions), or both."""

    NONE = "", _("no flags")
    FACTS = "facts", _("rules or statistics")
    MODEL = "model", _("model suggestions")
    BOTH = "both", _("both")


def flag_origin(flags: Iterable[dict[str, Any]]) -> str:
    """The :class:`FlagOrigin` of ``flags``."""
    sources = {flag.get("source") == MODEL_SOURCE for flag in flags if isinstance(flag, dict)}
    if sources == {True, False}:
        return FlagOrigin.BOTH
    if sources == {True}:
        return FlagOrigin.MODEL
    return FlagOrigin.FACTS if sources else FlagOrigin.NONE


class GroundingStatus(models.TextChoices):
    """How much of an answer's text the values sent bear out (:mod:`toolkit.ai.grounding`)."""

    NONE = "", _("not checked")
    VERIFIED = "verified", _("verified")
    PARTLY = "partly", _("partly unverified")
    UNVERIFIED = "unverified", _("unverified")
