"""Ask the changelist: a question in words becomes a search the person could have typed.

"cheap cables from Acme low on stock" becomes ``category:cables supplier:acme price<20
stock<10``. The model picks from this admin's qualifiers only (names, operators and
choices are enums of the JSON schema it answers) and gives raw values; the toolkit
converts and validates every value with the search's own code, grounds names against
the database and resolves relative dates itself. What it cannot use is "not
understood", never guessed. It never produces SQL or ORM lookups.

==============  ===================================================================
``fields``      the admin's qualifiers as typed fields; ``AskSchema`` and its JSON schema
``dates``       relative-date tokens ("this_month") resolved to days
``grounding``   names checked against the database and the related admin's search
``answer``      the model's answer as search terms, each validated like a typed one
``prompt``      the short prompt, with examples from the admin's own fields
``questions``   ``ask_question``: checks, cache, limits, the request
==============  ===================================================================

The admin side is :class:`toolkit.ai.admin.ask.AskMixin` (part of ``AIActionsMixin``,
off until ``ask_enabled = True``).
"""

from __future__ import annotations

from .answer import AskAnswer, compose, quoted
from .dates import RELATIVE_DATES, date_terms
from .fields import WORDS, AskField, AskSchema, ask_fields
from .grounding import ground_name
from .questions import ASK_MAX_CHARS, AskOutcome, ask_question, cache_key

__all__ = [
    "ASK_MAX_CHARS",
    "RELATIVE_DATES",
    "WORDS",
    "AskAnswer",
    "AskField",
    "AskOutcome",
    "AskSchema",
    "ask_fields",
    "ask_question",
    "cache_key",
    "compose",
    "date_terms",
    "ground_name",
    "quoted",
]
