"""The words :mod:`.reader` knows: what names a field, what makes a comparison, what a
period is, and what carries no condition. English, as the questions staff type in the
demo; an admin adds its own words with ``ask_synonyms``.
"""

from __future__ import annotations

import re

__all__ = [
    "CUES",
    "DETACHED",
    "FILLER",
    "MAX_NAMES",
    "NO_AFTER",
    "OPERATORS",
    "PERIODS",
    "PHRASES",
]

#: Most names read from the database per name field; a field with more is only matched
#: after its cue ("supplier acme").
MAX_NAMES = 5000

#: English words that point at common catalog fields, by the qualifier's name.
CUES: dict[str, tuple[str, ...]] = {
    # "that cost more than": the verb is the price; "a cost under 5" is the cost field.
    "price": (
        "priced", "price", "prices", "cheaper", "cheap", "expensive", "costing", "euros",
        "that cost", "which cost", "that costs", "costs",
    ),
    "created": ("added", "created", "new"),
    "rating": ("rated", "rating", "star", "stars"),
    "stock": (
        "stock", "in stock", "stocked", "units", "units left", "on hand", "inventory",
        "quantity", "pieces",
    ),
    "supplier": ("from", "by", "supplied by", "supplier", "made by"),
    "tag": ("tagged", "tag", "tags"),
    "category": ("category", "categories"),
}  # fmt: skip

#: Operator words before a number, longest first.
OPERATORS: tuple[tuple[str, str], ...] = (
    ("more expensive than", ">"),
    ("greater than", ">"),
    ("higher than", ">"),
    ("more than", ">"),
    ("over", ">"),
    ("above", ">"),
    ("exceeding", ">"),
    ("cheaper than", "<"),
    ("less than", "<"),
    ("fewer than", "<"),
    ("lower than", "<"),
    ("under", "<"),
    ("below", "<"),
    ("no more than", "<="),
    ("not more than", "<="),
    ("no less than", ">="),
    ("not less than", ">="),
    ("no fewer than", ">="),
    ("at least", ">="),
    ("at most", "<="),
    ("up to", "<="),
    ("maximum of", "<="),
    ("minimum of", ">="),
    ("maximum", "<="),
    ("minimum", ">="),
    ("beyond", ">"),
    (">=", ">="),
    ("<=", "<="),
    (">", ">"),
    ("<", "<"),
)
#: Operator words a field's name may stand between ("a maximum price of 12").
DETACHED = re.compile(
    r"(?<!\w)(maximum|max|minimum|min|at most|at least|up to|no more than|no less than)"
    r"(?: [^\W\d]+){1,2}(?: of| is| =)? $"
)
#: Words after a yes/no field's name that mean no ("is active unchecked").
NO_AFTER = re.compile(r"^ (?:box )?(?:unchecked|unticked|not ticked|not checked|off|false|no)\b")
#: What a few words about a number field mean without a number, by the qualifier's name.
PHRASES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "stock": (
        ("out of stock", "<=", "0"),
        ("sold out", "<=", "0"),
        ("in stock", ">", "0"),
        ("have stock", ">", "0"),
        ("has stock", ">", "0"),
    ),
}
#: Relative periods, as a person writes them, to the tokens of :mod:`.dates`.
PERIODS: tuple[tuple[str, str], ...] = (
    (r"(?:in the |within the )?(?:last|past) (7|30|90|365) days", "last_{0}_days"),
    (r"(?:in the |within the )?(?:last|past) week", "last_week"),
    (r"(?:in the |within the )?(?:last|past) month", "last_month"),
    (r"(?:in the |within the )?(?:last|past) year", "last_year"),
    (r"(?:the )?(?:start|beginning) of (?:the |this )?year", "this_year"),
    (r"(?:the )?(?:start|beginning) of (?:the |this )?month", "this_month"),
    (r"this week", "this_week"),
    (r"this month", "this_month"),
    (r"this year", "this_year"),
    (r"today", "today"),
    (r"yesterday", "yesterday"),
)
#: Words that carry no condition ("products with a price under ..."): never leftover.
FILLER = frozenset((
    "a", "an", "the", "and", "or", "of", "with", "without", "in", "on", "at", "to", "for",
    "that", "which", "who", "are", "is", "be", "been", "any", "all", "some", "me", "show",
    "find", "list", "give", "get", "want", "see", "those", "these", "them", "their", "its",
    "it", "there", "have", "has", "having", "please", "i", "we", "our", "my", "item",
    "items", "record", "records", "row", "rows", "one", "ones", "what", "whose", "where",
    "than", "then", "also", "only", "just", "everything", "anything", "stuff", "things",
    "thing", "do", "does", "did", "us", "you", "can", "could", "would", "how", "got",
    "carry", "sell", "sells", "sold", "still", "currently", "now", "by",
))  # fmt: skip
