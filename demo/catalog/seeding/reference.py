"""The catalog's reference data: the category tree of :data:`~.vocabulary.TAXONOMY`, a
few hundred suppliers and the tags, created before the first product.

Suppliers are drawn from their own random stream, so that a change to the products'
generation never renames a supplier. Each serves one department; a product mostly
comes from a supplier of its own department (:class:`~.products.Leaf`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from django.utils.text import slugify

from ..models import Category, Supplier, Tag
from .products import Leaf, feature_runs
from .storage import CatalogWriter
from .vocabulary import (
    COUNTRIES,
    SUPPLIER_PREFIXES,
    SUPPLIER_SURNAMES,
    SUPPLIER_TRADES,
    TAG_NAMES,
    TAXONOMY,
)

__all__ = ["Reference", "create_reference_data", "supplier_count", "suppliers"]

#: The mailboxes of suppliers' e-mail addresses.
MAILBOXES = ("sales", "orders", "info", "contact", "b2b")


@dataclass(frozen=True)
class Reference:
    """What the products are generated from: the leaf categories, tags and suppliers."""

    leaves: list[Leaf]
    tag_ids: list[int]
    supplier_ids: tuple[int, ...]


def supplier_count(products: int) -> int:
    """A bigger catalog has a few more suppliers, but stays in the hundreds."""
    return 120 + 20 * math.ceil(math.log10(products + 1))


def suppliers(rng: random.Random, count: int) -> Iterator[Supplier]:
    """``count`` suppliers with distinct names, from their country's naming habits."""
    country_weights = list(accumulate(country.weight for country in COUNTRIES))
    seen: set[str] = set()
    while len(seen) < count:
        country = rng.choices(COUNTRIES, cum_weights=country_weights)[0]
        if rng.random() < 0.3:
            if rng.random() < 0.5:
                a, b = rng.sample(SUPPLIER_SURNAMES, 2)
                trade = f"{a} & {b}"
            else:
                trade = f"{rng.choice(SUPPLIER_SURNAMES)} {rng.choice(SUPPLIER_TRADES)}"
        else:
            trade = f"{rng.choice(SUPPLIER_PREFIXES)} {rng.choice(SUPPLIER_TRADES)}"
        name = f"{trade} {rng.choice(country.legal_suffixes)}"
        if name in seen:
            continue
        seen.add(name)
        email = ""
        if rng.random() < 0.75:
            domain = slugify(trade.replace("&", "and"))
            email = f"{rng.choice(MAILBOXES)}@{domain}.{country.domain}"
        phone = ""
        if rng.random() < 0.6:
            digits = "".join(str(rng.randrange(10)) for _ in range(9))
            phone = f"{country.phone_prefix} {digits[:3]} {digits[3:6]} {digits[6:]}"
        yield Supplier(name=name, country=country.code, email=email, phone=phone)


def create_reference_data(rng: random.Random, products: int, writer: CatalogWriter) -> Reference:
    """Insert the suppliers, tags and category tree of a catalog of ``products``
    products, counting them in ``writer.rows``."""
    using = writer.using
    created_suppliers = Supplier.objects.using(using).bulk_create(
        suppliers(rng, supplier_count(products))
    )
    tags = Tag.objects.using(using).bulk_create(Tag(name=name) for name in TAG_NAMES)
    writer.rows["Supplier"] += len(created_suppliers)
    writer.rows["Tag"] += len(tags)
    tag_ids = writer.pks(Tag, tags, "name")

    # Each supplier serves one department.
    supplier_ids = writer.pks(Supplier, created_suppliers, "name")
    by_department: list[list[int]] = [[] for _ in TAXONOMY]
    for supplier_id in supplier_ids:
        by_department[rng.randrange(len(TAXONOMY))].append(supplier_id)

    leaves: list[Leaf] = []
    for department_index, department in enumerate(TAXONOMY):
        parent = Category(name=department.name, slug=slugify(department.name))
        parent.save(using=using)
        children = [
            Category(name=spec.name, slug=f"{parent.slug}-{slugify(spec.name)}", parent=parent)
            for spec in department.subcategories
        ]
        Category.objects.using(using).bulk_create(children)
        child_ids = writer.pks(Category, children, "slug")
        writer.rows["Category"] += 1 + len(children)
        own = by_department[department_index] or supplier_ids
        for spec, child_id in zip(department.subcategories, child_ids, strict=True):
            leaves.append(
                Leaf(
                    spec=spec,
                    category_id=child_id,
                    sku_prefix=f"{department.code}-{spec.code}-",
                    path=f"{department.name} > {spec.name}",
                    supplier_ids=tuple(own),
                    price_cents=round(spec.price * 100),
                    feature_runs=feature_runs(spec.features),
                )
            )
    return Reference(leaves, tag_ids, tuple(supplier_ids))
