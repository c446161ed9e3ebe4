"""The words the catalog is made of, read from the data files in ``demo/catalog/data/``.

``taxonomy.json`` holds the category tree: departments and their subcategories, each
with what its products are called, cost and weigh (:class:`SubcategorySpec`).
``words.json`` holds everything else the generator picks from: tags, description
sentences, supplier names by country, reviewers and review texts by sentiment.

The files are data only; what is done with them (and the random streams that pick
from them) is the generator's (:mod:`.products`). Their order matters: the same seed
picks the same entries by position, so an entry is added at the end of its list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

__all__ = [
    "AUTHORS",
    "COUNTRIES",
    "DESCRIPTION_CLOSINGS",
    "DESCRIPTION_OPENINGS",
    "MIXED_SENTENCES",
    "MIXED_TITLES",
    "NEGATIVE_SENTENCES",
    "NEGATIVE_TITLES",
    "POSITIVE_SENTENCES",
    "POSITIVE_TITLES",
    "SUPPLIER_PREFIXES",
    "SUPPLIER_SURNAMES",
    "SUPPLIER_TRADES",
    "TAG_NAMES",
    "TAXONOMY",
    "CategorySpec",
    "Country",
    "SubcategorySpec",
    "load",
]


@dataclass(frozen=True)
class SubcategorySpec:
    """A leaf category: what its products are called, cost and weigh."""

    code: str
    name: str
    #: Typical (median) price in the store's currency.
    price: float
    #: Spread of log(price) around the median.
    sigma: float
    #: Typical weight range in kg.
    weight: tuple[float, float]
    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    materials: tuple[str, ...]
    nouns: tuple[str, ...]
    variants: tuple[str, ...]
    #: What the product is for, completing "... is made for <use>."
    use: str
    #: Sentences about features; ``{noun}`` and ``{material}`` are filled in.
    features: tuple[str, ...]
    #: Relative share of the catalog's products.
    share: float = 1.0

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SubcategorySpec:
        """A subcategory of ``taxonomy.json``."""
        low, high = data["weight"]
        return cls(
            code=data["code"],
            name=data["name"],
            price=data["price"],
            sigma=data["sigma"],
            weight=(low, high),
            brands=tuple(data["brands"]),
            adjectives=tuple(data["adjectives"]),
            materials=tuple(data["materials"]),
            nouns=tuple(data["nouns"]),
            variants=tuple(data["variants"]),
            use=data["use"],
            features=tuple(data["features"]),
            share=data.get("share", 1.0),
        )


@dataclass(frozen=True)
class CategorySpec:
    """A department: a top-level category and its subcategories."""

    code: str
    name: str
    subcategories: tuple[SubcategorySpec, ...]


@dataclass(frozen=True)
class Country:
    """Where a supplier is: how often, its company suffixes, web domain, phone prefix."""

    code: str
    weight: int
    legal_suffixes: tuple[str, ...]
    domain: str
    phone_prefix: str


def load(name: str) -> Any:
    """The parsed JSON data file ``name`` of ``demo/catalog/data/``."""
    return json.loads((files("demo.catalog") / "data" / name).read_text(encoding="utf-8"))


TAXONOMY: tuple[CategorySpec, ...] = tuple(
    CategorySpec(
        department["code"],
        department["name"],
        tuple(SubcategorySpec.from_data(sub) for sub in department["subcategories"]),
    )
    for department in load("taxonomy.json")
)

_WORDS = load("words.json")

TAG_NAMES: tuple[str, ...] = tuple(_WORDS["tags"])
#: A description opens with one of these (``{brand}`` and ``{use}`` filled in) ...
DESCRIPTION_OPENINGS: tuple[str, ...] = tuple(_WORDS["description_openings"])
#: ... and often closes with one of these.
DESCRIPTION_CLOSINGS: tuple[str, ...] = tuple(_WORDS["description_closings"])

COUNTRIES: tuple[Country, ...] = tuple(
    Country(c["code"], c["weight"], tuple(c["legal_suffixes"]), c["domain"], c["phone_prefix"])
    for c in _WORDS["countries"]
)
SUPPLIER_PREFIXES: tuple[str, ...] = tuple(_WORDS["supplier_prefixes"])
SUPPLIER_SURNAMES: tuple[str, ...] = tuple(_WORDS["supplier_surnames"])
SUPPLIER_TRADES: tuple[str, ...] = tuple(_WORDS["supplier_trades"])

#: Reviewers: a first name and an initial ("Anna B.").
AUTHORS: tuple[str, ...] = tuple(
    f"{first} {initial}."
    for first in _WORDS["reviewer_first_names"]
    for initial in _WORDS["reviewer_initials"]
)

#: Review titles and sentences by sentiment; a review's title always agrees with its text.
POSITIVE_TITLES: tuple[str, ...] = tuple(_WORDS["review_titles"]["positive"])
MIXED_TITLES: tuple[str, ...] = tuple(_WORDS["review_titles"]["mixed"])
NEGATIVE_TITLES: tuple[str, ...] = tuple(_WORDS["review_titles"]["negative"])
POSITIVE_SENTENCES: tuple[str, ...] = tuple(_WORDS["review_sentences"]["positive"])
MIXED_SENTENCES: tuple[str, ...] = tuple(_WORDS["review_sentences"]["mixed"])
NEGATIVE_SENTENCES: tuple[str, ...] = tuple(_WORDS["review_sentences"]["negative"])
