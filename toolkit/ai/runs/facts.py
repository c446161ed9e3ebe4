"""What a record is sent with besides its data: the rule and statistics findings, and
the hash of all of it that decides whether a stored answer still holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from toolkit.ai.endpoints import EndpointConfig
from toolkit.ai.prompts import hash_json
from toolkit.ai.rules import evaluate_rules
from toolkit.ai.sources import AISource, RecordPayload
from toolkit.ai.statistics import PeerStatistics

if TYPE_CHECKING:
    from toolkit.ai.runs.base import RunAction

__all__ = ["findings", "input_hash", "peer_statistics"]


def findings(
    action: RunAction,
    source: AISource,
    pks: Sequence[Any],
    statistics: PeerStatistics | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Rule and statistics flags of ``pks`` (by ``str(pk)``), computed without the model;
    none for an action that does not use facts."""
    result: dict[str, list[dict[str, Any]]] = {}
    if not action.uses_facts:
        return result
    for pk, flags in evaluate_rules(source.model, source.rules, pks).items():
        result.setdefault(pk, []).extend(flags)
    if statistics is not None:
        for pk, flags in statistics.findings(pks).items():
            result.setdefault(pk, []).extend(flags)
    return result


def peer_statistics(source: AISource) -> PeerStatistics | None:
    """The source's peer statistics, when it declares a peer group and fields."""
    if not source.peer_group or not source.peer_fields:
        return None
    return PeerStatistics(source.model, source.peer_group, list(source.peer_fields))


def input_hash(action: RunAction, endpoint: EndpointConfig, payload: RecordPayload) -> str:
    """The hash of everything an answer depends on: the action and its prompt version,
    the model, the record's data and its facts."""
    return hash_json(
        {
            "action": action.name,
            "version": action.prompt_version,
            "model": endpoint.model,
            "data": payload.data,
            "facts": action.facts_for_prompt(payload.facts),
        }
    )
