"""The engine of ``manage.py ai_summarize``: an AI action over a whole table.

The command reads its options and hands a :class:`BatchPlan` to :func:`batch_for`; the
batch does the rest: it reserves the records (``--user``), runs the action's own run
with a progress bar (:class:`Progress`) and Ctrl-C handling (:class:`Interrupt`), and
reports the totals with the exit status (:func:`report_totals`).
"""

from __future__ import annotations

from toolkit.ai.batch.interrupt import INTERRUPTED_STATUS, Interrupt
from toolkit.ai.batch.progress import Progress
from toolkit.ai.batch.records import filter_value, first_records, selected_records
from toolkit.ai.batch.report import FAILED_STATUS, Console, Totals, report_totals
from toolkit.ai.batch.runs import (
    BATCH_CLASSES,
    Batch,
    BatchPlan,
    DigestBatch,
    RecordBatch,
    batch_for,
)

__all__ = [
    "BATCH_CLASSES",
    "FAILED_STATUS",
    "INTERRUPTED_STATUS",
    "Batch",
    "BatchPlan",
    "Console",
    "DigestBatch",
    "Interrupt",
    "Progress",
    "RecordBatch",
    "Totals",
    "batch_for",
    "filter_value",
    "first_records",
    "report_totals",
    "selected_records",
]
