"""What the demo's products tell the AI actions, and the demo's own action.

``ProductAdmin`` (``demo/catalog/admin.py``) lists these on ``AIActionsMixin``: the fields
the model may read, the newest reviews, the rules that flag the seeder's anomalies
without any model (negative stock, price below cost, zero weight, missing description),
price compared with the category's peers, and "Suggest a better description", a
:class:`~toolkit.ai.actions.ProposeFieldAction` whose proposals a staff member reviews
side by side before anything is written.
"""

from __future__ import annotations

from django.db.models import F, Q

from toolkit.ai.actions import (
    FlagAnomaliesAction,
    ProposeFieldAction,
    SummarizeAction,
    SummarizeSelectionAction,
    register,
)
from toolkit.ai.rules import Rule
from toolkit.ai.sources import Related

__all__ = [
    "PRODUCT_AI_ACTIONS",
    "PRODUCT_AI_FIELDS",
    "PRODUCT_AI_RELATED",
    "PRODUCT_AI_RULES",
    "SuggestDescription",
]


@register
class SuggestDescription(ProposeFieldAction):
    """A better product description, proposed for review (never written unasked)."""

    name = "suggest_description"
    description = "Suggest a better description"
    kind = "description"
    proposal_field = "description"


#: What the model reads of a product; nothing else leaves the database. The category and
#: supplier are sent as their names.
PRODUCT_AI_FIELDS = [
    "sku",
    "name",
    "description",
    "category",
    "supplier",
    "price",
    "cost",
    "stock",
    "weight",
    "status",
]

#: The newest reviews, short: a small CPU model reads every token it is given.
PRODUCT_AI_RELATED = {
    "reviews": Related(
        "reviews", fields=["rating", "title", "text"], limit=5, order_by="-created", max_chars=200
    ),
}

#: The seeder's anomalies a rule can see (price outliers are left to peer statistics).
PRODUCT_AI_RULES = [
    Rule(
        "negative_stock",
        Q(stock__lt=0),
        field="stock",
        severity="critical",
        reason="Stock is negative: more was sold or written off than was ever received.",
    ),
    Rule(
        "price_below_cost",
        Q(price__lt=F("cost")),
        field="price",
        severity="critical",
        reason="The price is below the cost: every sale loses money.",
    ),
    Rule(
        "zero_weight",
        Q(weight=0),
        field="weight",
        severity="warning",
        reason="The weight is 0 kg, so shipping cannot be priced.",
    ),
    Rule(
        "missing_description",
        Q(description=""),
        field="description",
        severity="info",
        reason="The product has no description.",
    ),
]

#: The actions of the product list, the demo's own last.
PRODUCT_AI_ACTIONS = [
    SummarizeAction,
    FlagAnomaliesAction,
    SummarizeSelectionAction,
    SuggestDescription,
]
