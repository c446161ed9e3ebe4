"""How well the stored anomaly flags match what a person labelled: precision and recall
per kind of flag, and the records missed or wrongly flagged.

A team labels records (a CSV file: a unique field of the model, then the kinds of flag
each record should get, ``;``-separated, empty for a clean record), runs the anomaly
action on them, and scores what was stored::

    labels = read_labels(text, model)            # LabelFileError, with line numbers
    flagged = stored_kinds(model, labels)        # the newest anomaly insight of each
    evaluation = score(labels.expected, flagged, any_kind=False)
    evaluation.recall, evaluation.precision, evaluation.kinds

``manage.py ai_evaluate`` does the reading and the printing around these.
"""

from __future__ import annotations

from toolkit.ai.evaluation.labels import Label, LabelFileError, Labels, key_fields, read_labels
from toolkit.ai.evaluation.scores import (
    Evaluation,
    KindScore,
    flag_kind,
    score,
    stored_kinds,
)

__all__ = [
    "Evaluation",
    "KindScore",
    "Label",
    "LabelFileError",
    "Labels",
    "flag_kind",
    "key_fields",
    "read_labels",
    "score",
    "stored_kinds",
]
