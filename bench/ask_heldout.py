"""A held-out set of plain-English questions for the product changelist's "Ask".

``heldout_questions()`` returns 40 ``(question, Q)`` pairs: the question as shop staff
would type it, and the ``Q`` over ``demo.catalog.models.Product`` whose rows a careful
person expects. It was written without looking at how questions are parsed, with
wordings unlike those of the main set, and only over the changelist's declared search
qualifiers (sku, supplier, category, tag, price, cost, stock, status, active, created,
rating).

Names come from the database at call time (the categories, suppliers and tags with the
most products), dates from ``timezone.localdate()``: call it with Django set up and a
seeded catalog (``seed_catalog --products 300 --seed 1``).

Conventions: a supplier or category matches ``name__icontains`` of the full name in the
question, a tag ``name__iexact``; a rating is ``Q(reviews__rating=N)``; "in stock" is
``stock > 0`` and "out of stock" ``stock <= 0``; "the last N days" starts at the local
day start of today - (N - 1); "this year" on January 1st, "last month" runs from the 1st
of last month to the 1st of this month.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone


def _day_start(day: date) -> datetime:
    """The aware datetime at which ``day`` starts in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _top_names(model: Any, count: int = 3) -> list[str]:
    """Names of the ``count`` rows of ``model`` with the most products."""
    rows = model.objects.annotate(n=Count("products")).order_by("-n", "pk")[:count]
    return [row.name for row in rows]


def heldout_questions() -> list[tuple[str, Any]]:
    from demo.catalog.models import Category, Product, Supplier, Tag

    cat1, cat2, cat3 = _top_names(Category)
    sup1, sup2, sup3 = _top_names(Supplier)
    tag1, tag2, tag3 = _top_names(Tag)

    # The category with the most draft products, the supplier with the most
    # discontinued products still in stock: so the combined questions have rows.
    draft_cat = (
        Category.objects.filter(products__status=Product.Status.DRAFT)
        .annotate(n=Count("products"))
        .order_by("-n", "pk")
        .values_list("name", flat=True)
        .first()
        or cat1
    )
    disc_sup = (
        Supplier.objects.filter(products__status=Product.Status.DISCONTINUED, products__stock__gt=0)
        .annotate(n=Count("products"))
        .order_by("-n", "pk")
        .values_list("name", flat=True)
        .first()
        or sup1
    )
    sku = Product.objects.order_by("pk").values_list("sku", flat=True).first() or "X"

    today = timezone.localdate()
    month_start = today.replace(day=1)
    last_month_start = (month_start - timedelta(days=1)).replace(day=1)
    year_start = today.replace(month=1, day=1)

    d = Decimal
    draft = Product.Status.DRAFT
    active = Product.Status.ACTIVE
    discontinued = Product.Status.DISCONTINUED

    return [
        # Single numeric conditions, varied operator words.
        ("items costing at most 15", Q(price__lte=d("15"))),
        ("anything above 1,000 €", Q(price__gt=d("1000"))),
        ("show me stuff that sells for no more than 8 euros", Q(price__lte=d("8"))),
        ("products whose cost is over 100", Q(cost__gt=d("100"))),
        ("stock of at least 300", Q(stock__gte=300)),
        ("which items have fewer than 20 units left?", Q(stock__lt=20)),
        ("products we buy in for less than 5", Q(cost__lt=d("5"))),
        ("Prices exceeding 250", Q(price__gt=d("250"))),
        ("list products with a maximum price of 12", Q(price__lte=d("12"))),
        ("out of stock items", Q(stock__lte=0)),
        # Names.
        (f"show me everything {sup1} sells", Q(supplier__name__icontains=sup1)),
        (f"what do we carry in {cat1.lower()}?", Q(category__name__icontains=cat1)),
        (f"{tag3.upper()} products", Q(tags__name__iexact=tag3)),
        (f"anything in the {cat2} category", Q(category__name__icontains=cat2)),
        (f"list the items supplied by {sup2}", Q(supplier__name__icontains=sup2)),
        (f"all products with the {tag2} tag", Q(tags__name__iexact=tag2)),
        (f"{cat3.upper()} items", Q(category__name__icontains=cat3)),
        (f"what does {sup3.lower()} supply us with", Q(supplier__name__icontains=sup3)),
        (f"find sku {sku.lower()}", Q(sku__iexact=sku)),
        # Status and the "is active" flag.
        ("which products are still drafts?", Q(status=draft)),
        ("show me discontinued items", Q(status=discontinued)),
        ("everything whose status is active", Q(status=active)),
        ("products with is active unchecked", Q(is_active=False)),
        ("items that have the is active box ticked", Q(is_active=True)),
        # Dates.
        ("what did we add in the last 7 days", Q(created__gte=_day_start(today - timedelta(6)))),
        ("products created since the start of the year", Q(created__gte=_day_start(year_start))),
        (
            "new items from last month",
            Q(created__gte=_day_start(last_month_start), created__lt=_day_start(month_start)),
        ),
        ("products created before this year", Q(created__lt=_day_start(year_start))),
        ("items added in the last 30 days", Q(created__gte=_day_start(today - timedelta(29)))),
        # Review ratings.
        ("1-star reviewed products", Q(reviews__rating=1)),
        ("items that got a 2 star review", Q(reviews__rating=2)),
        ("anything a customer gave 3 stars", Q(reviews__rating=3)),
        # Combinations of two or three conditions.
        (
            f"discontinued stuff from {disc_sup} still in stock",
            Q(supplier__name__icontains=disc_sup, status=discontinued, stock__gt=0),
        ),
        (
            f"show me everything {sup1} sells for less than 30 euros",
            Q(supplier__name__icontains=sup1, price__lt=d("30")),
        ),
        (
            f"{cat1} items up to 20, with at least 100 in stock",
            Q(category__name__icontains=cat1, price__lte=d("20"), stock__gte=100),
        ),
        (
            f"{draft_cat} products that are still drafts",
            Q(category__name__icontains=draft_cat, status=draft),
        ),
        (
            f"{tag1} items created this year and costing more than 40",
            Q(tags__name__iexact=tag1, created__gte=_day_start(year_start), price__gt=d("40")),
        ),
        (
            "products with a 5-star review priced above 100",
            Q(reviews__rating=5, price__gt=d("100")),
        ),
        ("inactive products that still have stock", Q(is_active=False, stock__gt=0)),
        (
            "items priced from 100 to 200 with fewer than 50 in stock",
            Q(price__gte=d("100"), price__lte=d("200"), stock__lt=50),
        ),
    ]
