"""Facts apart from guesses: a model's answer checked against the values it was sent.

A small model writes numbers, units, names and fields it was never given, in sentences
that read like facts. Every answer a run stores is checked here, sentence by sentence,
against what the run sent for the record (or, for a digest, the selection's table):

- :func:`ground_text`: each sentence verified or unverified (with the reasons);
  repeated sentences and one cut off at the end dropped;
- :func:`ground_flags`: a model flag kept only when it names a field sent and cites its
  value, otherwise discarded with the reason;
- :func:`repeated_phrase`, :func:`near_duplicate`: text that says the same twice.

The checks read plain values (``{"price": "349.00", "name": "Tent 2P", ...}``), so they
serve any model a site registers. Nothing here queries the database.
"""

from __future__ import annotations

from toolkit.ai.grounding.check import GroundedSentence, Grounding, ground_sentence, ground_text
from toolkit.ai.grounding.flags import MODEL_SOURCE, cites_value, ground_flags, is_model_flag
from toolkit.ai.grounding.text import (
    is_complete,
    near_duplicate,
    normalize,
    repeated_phrase,
    split_sentences,
)
from toolkit.ai.grounding.values import Number, SentValues, numbers_in

__all__ = [
    "MODEL_SOURCE",
    "GroundedSentence",
    "Grounding",
    "Number",
    "SentValues",
    "cites_value",
    "ground_flags",
    "ground_sentence",
    "ground_text",
    "is_complete",
    "is_model_flag",
    "near_duplicate",
    "normalize",
    "numbers_in",
    "repeated_phrase",
    "split_sentences",
]
