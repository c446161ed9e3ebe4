"""Running an AI action over records, as an object: plan -> cache -> send -> store.

An action makes its run (:meth:`AIAction.new_run <toolkit.ai.actions.AIAction.new_run>`):
a :class:`RecordRun` (one answer per record) or a :class:`DigestRun` (one answer for the
whole selection). The functions of :mod:`toolkit.ai.runner` (``run_action``,
``run_digest``, ``estimate``) are thin wrappers over these::

    run = action.new_run(source, queryset, RunOptions(user=request.user))
    report = run.execute()          # RunReport: sent, cached, failed, tokens
"""

from __future__ import annotations

from toolkit.ai.runs.base import Records, Run, RunAction, RunOptions
from toolkit.ai.runs.digest import DigestRun
from toolkit.ai.runs.facts import findings, input_hash, peer_statistics
from toolkit.ai.runs.records import RecordRun
from toolkit.ai.runs.report import CHARS_PER_TOKEN, DryRun, RunReport

__all__ = [
    "CHARS_PER_TOKEN",
    "DigestRun",
    "DryRun",
    "RecordRun",
    "Records",
    "Run",
    "RunAction",
    "RunOptions",
    "RunReport",
    "findings",
    "input_hash",
    "peer_statistics",
]
