"""The generator: one product after another, from one random stream, with the stock
movements, reviews and tags that will point to it, and at most one injected anomaly.

The stream is consumed product after product, never batch by batch, so the batch size
cannot change the data. A generated product is a :class:`ProductDraft`: its row, the
rows that will need its primary key, and its :class:`AnomalyLabel` if it has one.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate, permutations
from typing import TypeVar

from ..models import Product, StockMovement
from .vocabulary import (
    AUTHORS,
    DESCRIPTION_CLOSINGS,
    DESCRIPTION_OPENINGS,
    MIXED_SENTENCES,
    MIXED_TITLES,
    NEGATIVE_SENTENCES,
    NEGATIVE_TITLES,
    POSITIVE_SENTENCES,
    POSITIVE_TITLES,
    SubcategorySpec,
)

__all__ = [
    "ANOMALY_KINDS",
    "ANOMALY_RATE",
    "PRODUCT_FIELDS",
    "PRODUCT_SPAN",
    "AnomalyLabel",
    "Leaf",
    "ProductDraft",
    "ProductGenerator",
    "feature_runs",
    "timeline_start",
]

_T = TypeVar("_T")


#: Share of products that receive exactly one injected anomaly.
ANOMALY_RATE = 0.03

#: The anomaly kinds, in the order the labels and the summary list them.
ANOMALY_KINDS = (
    "negative_stock",
    "price_below_cost",
    "price_outlier",
    "missing_description",
    "zero_weight",
    "rating_mismatch",
)

#: Normal prices stay within this factor of the subcategory's typical price.
NORMAL_PRICE_BAND = 3.0

#: Price outliers are at least this factor away from the typical price.
OUTLIER_FACTOR = (20.0, 40.0)

#: A small share of products are fast movers with hundreds of stock movements.
BUSY_PRODUCT_RATE = 0.004

#: Products are created over the ~18 months that end with the seed's day (today by
#: default), more of them recently (a catalog grows), so the admin's "Last 7 days" and
#: "This month" find some; updates, stock movements and reviews follow each product's
#: creation and end before that day begins.
PRODUCT_SPAN = timedelta(days=548)
_PRODUCT_SPAN_SECONDS = int(PRODUCT_SPAN.total_seconds())
_DAY = 86_400
_SECOND = timedelta(seconds=1)

#: The product columns the generator fills, in the order of its rows.
PRODUCT_FIELDS = (
    "sku", "name", "description", "category_id", "supplier_id", "price", "cost", "stock",
    "weight", "status", "is_active", "created", "updated",
)  # fmt: skip

_ProductRow = tuple[
    str, str, str, int, int, Decimal, Decimal, int, Decimal, str, bool, datetime, datetime
]
# quantity, reason, timestamp
_MovementRow = tuple[int, str, datetime]
# rating, title, text, author, created
_ReviewRow = tuple[int, str, str, str, datetime]

# Plain strings: enum members are slower to look up and to adapt, millions of times.
_ACTIVE = Product.Status.ACTIVE.value
_DRAFT = Product.Status.DRAFT.value
_DISCONTINUED = Product.Status.DISCONTINUED.value
_STATUSES = (_ACTIVE, _DRAFT, _DISCONTINUED)
_PURCHASE = StockMovement.Reason.PURCHASE.value
_SALE = StockMovement.Reason.SALE.value
_RETURN = StockMovement.Reason.RETURN.value
_ADJUSTMENT = StockMovement.Reason.ADJUSTMENT.value
_DAMAGE = StockMovement.Reason.DAMAGE.value

# A review's rating picks its sentiment: 1-2 negative, 3 mixed, 4-5 positive.
_RATING_CUM_WEIGHTS = tuple(accumulate((8, 6, 12, 27, 47)))
_TITLES_BY_RATING = (
    (),
    NEGATIVE_TITLES,
    NEGATIVE_TITLES,
    MIXED_TITLES,
    POSITIVE_TITLES,
    POSITIVE_TITLES,
)
_SENTENCES_BY_RATING = (
    (),
    NEGATIVE_SENTENCES,
    NEGATIVE_SENTENCES,
    MIXED_SENTENCES,
    POSITIVE_SENTENCES,
    POSITIVE_SENTENCES,
)

_STATUS_CUM_WEIGHTS = tuple(accumulate((88, 5, 7)))
_REVIEW_COUNT_CUM_WEIGHTS = tuple(accumulate((35, 25, 17, 11, 7, 5)))
_TAG_COUNT_CUM_WEIGHTS = tuple(accumulate((30, 35, 22, 13)))
_MOVEMENT_COUNT_CUM_WEIGHTS = tuple(accumulate((8, 14, 15, 15, 13, 11, 9, 8, 7)))


@dataclass(frozen=True)
class AnomalyLabel:
    """One row of the labels file: what was done to which product."""

    sku: str
    anomaly: str
    field: str
    detail: str


@dataclass(slots=True)
class ProductDraft:
    """A product before insertion, with the rows that will need its primary key."""

    row: _ProductRow
    movements: list[_MovementRow]
    reviews: list[_ReviewRow]
    tag_ids: list[int]
    label: AnomalyLabel | None


@dataclass(frozen=True)
class Leaf:
    """A subcategory joined with its database row and its suppliers."""

    spec: SubcategorySpec
    category_id: int
    sku_prefix: str
    path: str
    supplier_ids: tuple[int, ...]
    price_cents: int
    #: Ready-joined runs of feature sentences, by whether the product has a material
    #: (sentences that mention ``{material}`` read badly without one) and by length.
    feature_runs: dict[tuple[bool, int], tuple[str, ...]]


def timeline_start(today: date) -> datetime:
    """The first instant of a catalog seeded on ``today``: :data:`PRODUCT_SPAN` before
    that day begins (UTC), so no row is dated later than now. Every timestamp is this
    plus a seeded offset: the same seed and day give the same rows."""
    return datetime.combine(today, time.min, tzinfo=UTC) - PRODUCT_SPAN


class ProductGenerator:
    """Products of the catalog's ``leaves`` (subcategories), drawn from ``rng``, with
    timestamps from ``start`` (:func:`timeline_start`) on."""

    def __init__(
        self,
        rng: random.Random,
        leaves: Sequence[Leaf],
        tag_ids: Sequence[int],
        all_supplier_ids: tuple[int, ...],
        *,
        start: datetime,
    ) -> None:
        self.start = start
        self.rng = rng
        self.leaves = list(leaves)
        self.leaf_cum_weights = list(accumulate(leaf.spec.share for leaf in self.leaves))
        self.tag_ids = list(tag_ids)
        self.all_supplier_ids = all_supplier_ids

    def drafts(self, count: int) -> Iterator[ProductDraft]:
        """Products number 1 to ``count``, generated lazily."""
        for index in range(1, count + 1):
            yield self.draft(index)

    def draft(self, index: int) -> ProductDraft:
        """Product number ``index``: its row, ledger, reviews, tags and anomaly."""
        rng = self.rng
        random_ = rng.random
        cum_weights = self.leaf_cum_weights
        leaf = self.leaves[bisect(cum_weights, random_() * cum_weights[-1])]
        spec = leaf.spec
        sku = f"{leaf.sku_prefix}{index:06d}"

        anomaly = _pick(random_, ANOMALY_KINDS) if random_() < ANOMALY_RATE else None
        detail = ""

        brand = _pick(random_, spec.brands)
        adjective = _pick(random_, spec.adjectives)
        material = _pick(random_, spec.materials)
        noun = _pick(random_, spec.nouns)
        variant = _pick(random_, spec.variants)
        if material:
            name = f"{brand} {adjective} {material} {noun}"
        else:
            name = f"{brand} {adjective} {noun}"
        if variant:
            name = f"{name}, {variant}"

        if anomaly == "missing_description":
            description = ""
            detail = "description is empty"
        else:
            opening = _pick(random_, DESCRIPTION_OPENINGS)
            features = _pick(random_, leaf.feature_runs[bool(material), 2 + (random_() < 0.5)])
            closing = _pick(random_, DESCRIPTION_CLOSINGS) if random_() < 0.6 else ""
            description = f"{opening} {features} {closing}".rstrip().format(
                brand=brand, use=spec.use, noun=noun, material=material
            )

        # Lognormal around the subcategory's typical price, clamped to the normal band.
        factor = math.exp(rng.gauss(0.0, spec.sigma))
        factor = min(max(factor, 1 / NORMAL_PRICE_BAND), NORMAL_PRICE_BAND)
        price_cents = _shelf_price(leaf.price_cents * factor)
        if anomaly == "price_outlier":
            low, high = OUTLIER_FACTOR
            off = low + (high - low) * random_()
            if random_() < 0.5:
                price_cents = _shelf_price(leaf.price_cents * off)
            else:
                price_cents = max(5, round(leaf.price_cents / off))
            detail = (
                f"price {_money(price_cents)} is {price_cents / leaf.price_cents:.3g}x the "
                f"typical {_money(leaf.price_cents)} of {leaf.path}"
            )
        if anomaly == "price_below_cost":
            cost_cents = math.ceil(price_cents * (1.1 + 0.5 * random_()))
            detail = f"price {_money(price_cents)} is below cost {_money(cost_cents)}"
        else:
            cost_cents = max(1, int(price_cents * (0.4 + 0.4 * random_())))

        if anomaly == "zero_weight":
            weight_grams = 0
            detail = "weight is 0 kg"
        else:
            low, high = spec.weight
            weight_grams = max(5, round(1000 * (low + (high - low) * random_())))

        roll = random_() * _STATUS_CUM_WEIGHTS[-1]
        status = _STATUSES[bisect(_STATUS_CUM_WEIGHTS, roll)]
        is_active = status == _ACTIVE or (status == _DISCONTINUED and random_() < 0.1)

        # Denser towards the end: the share created in the last days is twice the
        # uniform share, as in a catalog that keeps growing.
        created = int(math.sqrt(random_()) * _PRODUCT_SPAN_SECONDS)
        horizon = min(int((30 + 300 * random_()) * _DAY), _PRODUCT_SPAN_SECONDS - 1 - created)
        updated = created + int(random_() * horizon)

        if status == _DRAFT:
            movements: list[_MovementRow] = []
            stock = 0
        else:
            movements, stock = self.movements(created, horizon)
        if anomaly == "negative_stock":
            stock = -1 - int(40 * random_())
            detail = f"stock is {stock}"

        reviews = self.reviews(created, horizon, at_least_one=anomaly == "rating_mismatch")
        if anomaly == "rating_mismatch":
            position = int(random_() * len(reviews))
            rating, _, _, author, at = reviews[position]
            if rating == 3:
                rating = 1 if random_() < 0.5 else 5
            # The stars stay, the words say the opposite.
            _, title, text, _, _ = self.review(1 if rating >= 4 else 5, at)
            reviews[position] = (rating, title, text, author, at)
            detail = f"review by {author}: {rating} stars but titled {title!r}"

        roll = random_() * _TAG_COUNT_CUM_WEIGHTS[-1]
        tag_count = bisect(_TAG_COUNT_CUM_WEIGHTS, roll)
        tag_ids = rng.sample(self.tag_ids, tag_count) if tag_count else []

        suppliers = leaf.supplier_ids if random_() < 0.85 else self.all_supplier_ids
        row: _ProductRow = (
            sku,
            name,
            description,
            leaf.category_id,
            _pick(random_, suppliers),
            Decimal(price_cents).scaleb(-2),
            Decimal(cost_cents).scaleb(-2),
            stock,
            Decimal(weight_grams).scaleb(-3),
            status,
            is_active,
            self.start + _SECOND * created,
            self.start + _SECOND * updated,
        )
        label = None
        if anomaly is not None:
            label = AnomalyLabel(sku, anomaly, _ANOMALY_FIELDS[anomaly], detail)
        return ProductDraft(row, movements, reviews, tag_ids, label)

    def movements(self, created: int, horizon: int) -> tuple[list[_MovementRow], int]:
        """Return a plausible stock ledger and the stock it leaves, never below zero."""
        random_ = self.rng.random
        if random_() < BUSY_PRODUCT_RATE:
            count = 100 + int(300 * random_())
        else:
            count = bisect(_MOVEMENT_COUNT_CUM_WEIGHTS, random_() * _MOVEMENT_COUNT_CUM_WEIGHTS[-1])
        start = self.start + _SECOND * created
        stock = 0
        movements = []
        # random() arithmetic rather than randint(): this loop runs for every movement.
        for offset in sorted([int(random_() * horizon) for _ in range(count)]):
            roll = random_()
            if stock == 0 or roll < 0.2:
                quantity, reason = 10 + int(190 * random_()), _PURCHASE
            elif roll < 0.82:
                quantity, reason = -1 - int(min(stock, 12) * random_()), _SALE
            elif roll < 0.9:
                quantity, reason = 1 + int(3 * random_()), _RETURN
            elif roll < 0.96:
                quantity, reason = max(-stock, int(7 * random_()) - 3) or 1, _ADJUSTMENT
            else:
                quantity, reason = -1 - int(min(stock, 3) * random_()), _DAMAGE
            stock += quantity
            movements.append((quantity, reason, start + _SECOND * offset))
        return movements, stock

    def reviews(self, created: int, horizon: int, *, at_least_one: bool) -> list[_ReviewRow]:
        rng = self.rng
        random_ = rng.random
        count = bisect(_REVIEW_COUNT_CUM_WEIGHTS, random_() * _REVIEW_COUNT_CUM_WEIGHTS[-1])
        if at_least_one:
            count = max(count, 1)
        reviews = []
        for _ in range(count):
            rating = 1 + bisect(_RATING_CUM_WEIGHTS, random_() * _RATING_CUM_WEIGHTS[-1])
            # From the day after the launch on, unless the product is newer than that.
            delay = min(_DAY, horizon) + int(random_() * max(0, horizon - _DAY))
            at = self.start + _SECOND * (created + delay)
            reviews.append(self.review(rating, at))
        return reviews

    def review(self, rating: int, at: datetime) -> _ReviewRow:
        random_ = self.rng.random
        sentences = _SENTENCES_BY_RATING[rating]
        text = _pick(random_, sentences)
        if random_() < 0.6:
            second = _pick(random_, sentences)
            if second != text:
                text = f"{text} {second}"
        title = _pick(random_, _TITLES_BY_RATING[rating])
        return rating, title, text, _pick(random_, AUTHORS), at


def _pick(random_: Callable[[], float], options: Sequence[_T]) -> _T:
    """``random.choice``, at a third of the cost; it runs a dozen times per product."""
    return options[int(random_() * len(options))]


def feature_runs(features: tuple[str, ...]) -> dict[tuple[bool, int], tuple[str, ...]]:
    """Every run of 2 or 3 feature sentences, joined once for the whole catalog."""
    plain = tuple(f for f in features if "{material}" not in f)
    return {
        (has_material, length): tuple(
            " ".join(run) for run in permutations(features if has_material else plain, length)
        )
        for has_material in (False, True)
        for length in (2, 3)
    }


_ANOMALY_FIELDS = {
    "negative_stock": "stock",
    "price_below_cost": "price",
    "price_outlier": "price",
    "missing_description": "description",
    "zero_weight": "weight",
    "rating_mismatch": "reviews",
}


def _shelf_price(cents: float) -> int:
    """Round a price the way shops do: 24.99 above ten, 4.49 or 4.99 below."""
    if cents >= 1000:
        return max(1, round(cents / 100)) * 100 - 1
    return max(1, round(cents / 50)) * 50 - 1


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"
