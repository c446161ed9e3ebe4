"""Anomaly flags: the rules', the peer statistics' and the model's, with a summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy

from toolkit.ai.actions.base import (
    FIELD_MAX_CHARS,
    MAX_FLAGS,
    REASON_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    AIAction,
)
from toolkit.ai.detectors import DEFAULT_TEXT_CHECKS, SuspiciousText, TextCheck
from toolkit.ai.grounding import MODEL_SOURCE, ground_flags
from toolkit.ai.models import SEVERITY_RANK, Insight
from toolkit.ai.rules import Rule
from toolkit.ai.runs.grounding import payload_values
from toolkit.ai.sources import AISource, RecordPayload
from toolkit.ai.statistics import PeerStatistics
from toolkit.exceptions import ToolkitConfigurationError

__all__ = ["MODEL_KIND", "FlagAnomaliesAction"]

#: The ``kind`` of the flags the model adds.
MODEL_KIND = "model"
#: Why a model flag stored without its record's payload was discarded.
NOT_CHECKED = "no record was sent with it to check it against"

_UNSET: Any = object()


class FlagAnomaliesAction(AIAction):
    """Flags from the rules, the peer statistics and the model, with a summary.

    Rules and statistics are computed first, without the model, and sent to it as facts
    to explain. They are stored whatever the model does: when it fails, the insight is
    ``failed`` (so a re-run sends the record again) but keeps those flags and their
    severity, so they show and filter as usual.

    Besides the ModelAdmin's ``ai_rules`` and ``ai_peer_fields``, the action has options
    of its own, as class attributes or keyword arguments of an instance listed in
    ``ai_actions``::

        ai_actions = [
            SummarizeAction,
            FlagAnomaliesAction(
                peer_fields=["weight"],
                text_fields=["name", "description", "reviews.text"],
                rules=[Compare("negative_margin", "cost", "<=", "price")],
            ),
        ]

    It checks ``text_fields`` for suspicious content
    (:class:`~toolkit.ai.detectors.SuspiciousText`: markup, spreadsheet formulas, text
    addressed to a model, control characters), and compares numbers on the scale their
    peers call for (:mod:`toolkit.ai.statistics`). Every flag has a ``kind``:
    :meth:`flag_kinds` lists those it can produce.
    """

    name = "flag_anomalies"
    description = gettext_lazy("Flag anomalies")
    kind = "anomalies"
    prompt_template = "anomalies"
    #: 2: a flag's reason quotes the flagged field's value (a flag that does not is
    #: discarded, see :meth:`handle_answer`).
    prompt_version = "2"
    uses_facts = True
    #: The most a model's own flag may weigh: the model reads record text, which anyone
    #: who can write a review controls, so its flags never outrank the rules'.
    model_flag_max_severity: ClassVar[str] = "warning"
    #: More rules, evaluated after the ModelAdmin's ``ai_rules``.
    rules: Sequence[Rule] = ()
    #: More numeric fields compared with their peers' (in ``ai_peer_group``), after
    #: ``ai_peer_fields``.
    peer_fields: Sequence[str] = ()
    #: The scale of peer fields by name: "log", "linear" or "auto" (the default:
    #: logarithmic for positive numbers, see :mod:`toolkit.ai.statistics`).
    peer_scales: Mapping[str, str] | None = None
    #: Text fields (dotted paths, ``reviews.text`` too) checked for suspicious content;
    #: none by default.
    text_fields: Sequence[str] = ()
    #: What they are checked for (:mod:`toolkit.ai.detectors`).
    text_checks: Sequence[TextCheck] = DEFAULT_TEXT_CHECKS
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

    def __init__(
        self,
        *,
        rules: Iterable[Rule] = _UNSET,
        peer_fields: Iterable[str] = _UNSET,
        peer_scales: Mapping[str, str] | None = _UNSET,
        text_fields: Iterable[str] = _UNSET,
        text_checks: Iterable[TextCheck] = _UNSET,
    ) -> None:
        if rules is not _UNSET:
            self.rules = tuple(rules)
        if peer_fields is not _UNSET:
            self.peer_fields = tuple(peer_fields)
        if peer_scales is not _UNSET:
            self.peer_scales = dict(peer_scales or {})
        if text_fields is not _UNSET:
            self.text_fields = tuple(text_fields)
        if text_checks is not _UNSET:
            self.text_checks = tuple(text_checks)

    # -- what is found before the model is asked ----------------------------------------

    def get_source(self, source: AISource) -> AISource:
        """``source`` with :meth:`get_rules` and :meth:`get_peer_fields` (itself when
        they add nothing)."""
        rules = self.get_rules(source)
        peer_fields = self.get_peer_fields(source)
        if rules == source.rules and peer_fields == source.peer_fields:
            return source
        return dataclasses.replace(source, rules=rules, peer_fields=peer_fields)

    def get_rules(self, source: AISource) -> list[Rule]:
        """The rules of a run: the source's (``ai_rules``), :attr:`rules`, then a
        :class:`~toolkit.ai.detectors.SuspiciousText` over :meth:`get_text_fields`."""
        rules = [*source.rules, *(rule for rule in self.rules if rule not in source.rules)]
        text_fields = self.get_text_fields(source)
        if text_fields and self.text_checks:
            rules.append(SuspiciousText(text_fields, checks=self.text_checks))
        return rules

    def get_text_fields(self, source: AISource) -> list[str]:
        """The fields checked for suspicious content (:attr:`text_fields`), less those a
        ``SuspiciousText`` among the rules already checks."""
        covered = {
            path
            for rule in (*source.rules, *self.rules)
            if isinstance(rule, SuspiciousText)
            for path in rule.fields
        }
        for path in self.text_fields:
            _check_path(source.model, path, "text_fields")
        return [path for path in dict.fromkeys(self.text_fields) if path not in covered]

    def get_peer_fields(self, source: AISource) -> list[str]:
        """The fields compared with their peers': ``ai_peer_fields``, then
        :attr:`peer_fields` (which need an ``ai_peer_group``)."""
        if not source.peer_group:
            return list(source.peer_fields)
        for path in self.peer_fields:
            _check_path(source.model, path, "peer_fields", numeric=True)
        return list(dict.fromkeys([*source.peer_fields, *self.peer_fields]))

    def get_statistics(self, source: AISource) -> PeerStatistics | None:
        """The peer statistics of a run over ``source``, or ``None``."""
        if not source.peer_group or not source.peer_fields:
            return None
        return PeerStatistics(
            source.model,
            source.peer_group,
            list(source.peer_fields),
            scales=dict(self.peer_scales or {}),
        )

    def flag_kinds(self, source: AISource) -> list[str]:
        """Every ``kind`` a flag of a run over ``source`` may have: the rules', the
        statistics' (``price_outlier``) and the model's (:data:`MODEL_KIND`)."""
        source = self.get_source(source)
        kinds = [kind for rule in source.rules for kind in rule.kinds]
        statistics = self.get_statistics(source)
        if statistics is not None:
            kinds += statistics.kinds
        return list(dict.fromkeys([*kinds, MODEL_KIND]))

    # -- what becomes of the answer ----------------------------------------------------

    def handle_answer(
        self, insight: Insight, answer: dict[str, Any], payload: RecordPayload | None = None
    ) -> None:
        """Store the facts and the model's flags that point at the record.

        Each model flag is capped at :attr:`model_flag_max_severity`, then checked
        against what the record sent (:func:`~toolkit.ai.grounding.ground_flags`: it
        must name a field sent and cite its value, and invent no number). The kept ones
        join the facts in ``insight.flags``; the others go to
        ``insight.data["discarded_flags"]``, each with ``"discarded"``: why. This is the
        only place model flags are checked; the run checks the summary's sentences.
        """
        super().handle_answer(insight, answer, payload)
        facts = list(payload.facts) if payload is not None else []
        model_flags = [
            self.model_flag(flag)
            for flag in (answer.get("flags") or [])[:MAX_FLAGS]
            if isinstance(flag, dict)
        ]
        kept, discarded = self.ground_model_flags(insight, model_flags, payload)
        if discarded:
            insight.data = {**insight.data, "discarded_flags": discarded}
        insight.set_flags(facts + kept)

    def model_flag(self, flag: dict[str, Any]) -> dict[str, Any]:
        """A flag of the answer as stored: bounded, its severity capped."""
        severity = flag.get("severity", "info")
        if severity not in SEVERITY_RANK:
            severity = "info"
        if SEVERITY_RANK[severity] > SEVERITY_RANK[self.model_flag_max_severity]:
            severity = self.model_flag_max_severity
        return {
            "kind": MODEL_KIND,
            "field": str(flag.get("field", ""))[:FIELD_MAX_CHARS],
            "severity": severity,
            "reason": str(flag.get("reason", ""))[:REASON_MAX_CHARS],
            "source": MODEL_SOURCE,
        }

    def ground_model_flags(
        self, insight: Insight, flags: list[dict[str, Any]], payload: RecordPayload | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``flags`` split into those that point at the record and those discarded (with
        the reason). Without the record's payload none can be checked, so none is kept."""
        if payload is None:
            return [], [{**flag, "discarded": NOT_CHECKED} for flag in flags]
        model = (
            ContentType.objects.get_for_id(insight.content_type_id).model_class()
            if insight.content_type_id is not None
            else None
        )
        return ground_flags(flags, payload_values(model, payload))

    def handle_failure(self, insight: Insight, payload: RecordPayload | None = None) -> None:
        insight.set_flags(list(payload.facts) if payload is not None else [])


def _check_path(model: type[models.Model], path: str, option: str, numeric: bool = False) -> None:
    """Raise unless ``path`` (dotted, across any relation) ends at a field of its own
    (a number, with ``numeric``)."""
    current: Any = model
    field: Any = None
    for part in path.split("."):
        try:
            field = current._meta.get_field(part)
        except (AttributeError, FieldDoesNotExist):
            field = None
            break
        current = field.related_model
    wanted = _NUMBERS if numeric else models.Field
    if field is None or field.is_relation or not isinstance(field, wanted):
        kind = "a number field" if numeric else "a field"
        raise ToolkitConfigurationError(
            f"FlagAnomaliesAction {option} of {model._meta.label}: {path!r} is not {kind} "
            "(dotted paths may cross relations: 'reviews.text')."
        )


_NUMBERS = (models.IntegerField, models.DecimalField, models.FloatField)
