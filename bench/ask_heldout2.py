"""A second held-out set of plain-English product searches, written blind to the first.

``heldout_questions_2()`` returns 40 ``(question, Q)`` pairs over
``demo.catalog.models.Product``: the question as shop staff would type it into the
changelist's search box, and the rows a careful human would expect. Names are read
from the database at call time (ranks 4-8 by product count, not the top 3) and dates
are relative to ``timezone.localdate()``, so the set fits any seeded catalog.

Conventions: supplier and category match ``name__icontains`` of the name in the
question, tags ``name__iexact``; a rating is any review with that rating; "in stock"
is ``stock > 0``, "out of stock" ``stock <= 0``; "this week" starts on Monday, "this
month" on the 1st, "last N days" at the local start of today - (N - 1), "this year"
on 1 January and "last year" is the previous calendar year. Price ranges given as
"between A and B" include both ends.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

# Legal-form endings staff leave off when they type a supplier's name.
_LEGAL_SUFFIX = re.compile(
    r",?\s+(Co\., Ltd\.|GmbH & Co\. KG|Sp\. z o\.o\.|S\.L\.|S\.r\.l\.|S\.p\.A\.|B\.V\.|"
    r"K\.K\.|SARL|SAS|GmbH|plc|Ltd\.?|AG|A/S|ApS|AB|Inc\.|Corp\.|LLC)$"
)


def _short_supplier(name: str) -> str:
    """``"Redwood Components AB"`` -> ``"Redwood Components"``."""
    short = _LEGAL_SUFFIX.sub("", name).strip()
    return short or name


def _day_start(day: datetime.date) -> datetime.datetime:
    """The aware start of a local day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _month_start(day: datetime.date, months_back: int) -> datetime.date:
    """The 1st of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + (day.month - 1) - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def heldout_questions_2() -> list[tuple[str, Any]]:
    from demo.catalog.models import Category, Product, Supplier, Tag

    categories = list(
        Category.objects.annotate(n=Count("products"))
        .order_by("-n", "pk")
        .values_list("name", flat=True)[:10]
    )
    # Short names ("Granite Goods") that match one supplier only, so none is ambiguous.
    all_suppliers = list(Supplier.objects.values_list("name", flat=True))
    suppliers = [
        name
        for name in Supplier.objects.annotate(n=Count("products"))
        .order_by("-n", "pk")
        .values_list("name", flat=True)[:20]
        if sum(_short_supplier(name).lower() in other.lower() for other in all_suppliers) == 1
    ]
    tags = list(
        Tag.objects.annotate(n=Count("products"))
        .order_by("-n", "pk")
        .values_list("name", flat=True)[:10]
    )
    cat4, cat5, cat6, cat7, cat8 = categories[3:8]
    sup4, sup5 = (_short_supplier(name) for name in suppliers[3:5])
    tag4, tag5, tag6, tag7, tag8 = tags[3:8]
    # The 5th product by primary key, typed in lower case.
    sku = Product.objects.order_by("pk").values_list("sku", flat=True)[4]
    # The supplier with the most products in cat4, so the combination finds rows.
    cat4_supplier = _short_supplier(
        Supplier.objects.filter(products__category__name__icontains=cat4)
        .annotate(n=Count("products"))
        .order_by("-n", "pk")
        .values_list("name", flat=True)[0]
    )

    today = timezone.localdate()
    month_start = _day_start(today.replace(day=1))
    last_30_days = _day_start(today - datetime.timedelta(days=29))
    week_start = _day_start(today - datetime.timedelta(days=today.weekday()))
    year_start = _day_start(datetime.date(today.year, 1, 1))
    last_year_start = _day_start(datetime.date(today.year - 1, 1, 1))
    since_day = _month_start(today, 3)
    before_month = _month_start(today, 9)
    since_tag_day = _month_start(today, 6)

    def day_text(day: datetime.date) -> str:
        return f"{day.day} {day:%B %Y}"

    def sup(name: str) -> Q:
        return Q(supplier__name__icontains=name)

    def cat(name: str) -> Q:
        return Q(category__name__icontains=name)

    def tag(name: str) -> Q:
        return Q(tags__name__iexact=name)

    return [
        # Single numeric conditions.
        ("products over €100", Q(price__gt=Decimal("100"))),
        ("price >= 250", Q(price__gte=Decimal("250"))),
        ("anything under 19.99", Q(price__lt=Decimal("19.99"))),
        ("items priced between 20 and 50 euros", Q(price__gte=20, price__lte=50)),
        ("price at most €9.99", Q(price__lte=Decimal("9.99"))),
        ("products whose cost is below 5", Q(cost__lt=Decimal("5"))),
        ("show me everything with a cost of more than 300", Q(cost__gt=Decimal("300"))),
        ("out of stock", Q(stock__lte=0)),
        ("stock over 1,000 units", Q(stock__gt=1000)),
        ("which products have fewer than 10 in stock?", Q(stock__lt=10)),
        # Names: category, supplier, tag, SKU.
        (f"everything in {cat4.lower()}", cat(cat4)),
        (f"category {cat5}", cat(cat5)),
        (f"items from {sup4}", sup(sup4)),
        (f"what do we buy from {sup5.lower()}?", sup(sup5)),
        (f"tagged {tag4}", tag(tag4)),
        (f"{tag5.upper()} products", tag(tag5)),
        (f"products with the tag '{tag6}'", tag(tag6)),
        (f"sku {sku.lower()}", Q(sku__iexact=sku)),
        # Status and the is_active flag.
        ("discontinued items", Q(status="discontinued")),
        ("show drafts", Q(status="draft")),
        ("inactive products", Q(is_active=False)),
        ("products with status active", Q(status="active")),
        ("status draft or discontinued", Q(status__in=["draft", "discontinued"])),
        ("discontinued products that are still active", Q(status="discontinued", is_active=True)),
        # Dates.
        ("added this month", Q(created__gte=month_start)),
        ("new in the last 30 days", Q(created__gte=last_30_days)),
        (f"created since {day_text(since_day)}", Q(created__gte=_day_start(since_day))),
        (
            f"products created before {before_month:%B %Y}",
            Q(created__lt=_day_start(before_month)),
        ),
        ("everything we added last year", Q(created__gte=last_year_start, created__lt=year_start)),
        ("created this week", Q(created__gte=week_start)),
        # Ratings.
        ("products with a 1-star review", Q(reviews__rating=1)),
        ("anything that got a 2 star review", Q(reviews__rating=2)),
        ("items with reviews of 4 stars or more", Q(reviews__rating__gte=4)),
        # Combinations of two or three conditions.
        (f"active {cat6.lower()} < 30", Q(status="active") & cat(cat6) & Q(price__lt=30)),
        (
            f"could you show me the {cat4.lower()} we got from {cat4_supplier} priced under 80?",
            cat(cat4) & sup(cat4_supplier) & Q(price__lt=80),
        ),
        (
            f"in stock, tagged {tag7} and price over 40",
            Q(stock__gt=0) & tag(tag7) & Q(price__gt=40),
        ),
        (f"{cat7} with a 5-star review", cat(cat7) & Q(reviews__rating=5)),
        ("inactive products with stock > 100", Q(is_active=False) & Q(stock__gt=100)),
        (
            f"{tag8} items added since {since_tag_day:%B %Y}",
            tag(tag8) & Q(created__gte=_day_start(since_tag_day)),
        ),
        (
            f"{cat8}, added this year, with at least 50 in stock",
            cat(cat8) & Q(created__gte=year_start) & Q(stock__gte=50),
        ),
    ]
