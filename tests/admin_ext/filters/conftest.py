"""Fixtures of the filter tests: a small shop, and a superuser's client.

The tests run against ``tests.admin_ext.site_filters``: ``/admin/`` with the toolkit's
filters, ``/plain-admin/`` with Django's own (and ``FiltersMixin``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from demo.catalog.models import Category, Product, Supplier


@pytest.fixture
def shop(db):
    """Four products over three categories and three suppliers (one with markup)."""
    now = timezone.now()
    cables = Category.objects.create(name="Cables", slug="cables")
    chargers = Category.objects.create(name="Chargers", slug="chargers")
    usb = Category.objects.create(name="USB", slug="usb", parent=cables)
    acme = Supplier.objects.create(name="Acme", country="DE")
    globex = Supplier.objects.create(name="Globex", country="US")
    evil = Supplier.objects.create(name="<b>x</b>", country="FR")

    def make(sku, price, stock, status, category, supplier, created, description=""):
        return Product.objects.create(
            sku=sku,
            name=f"Product {sku}",
            category=category,
            supplier=supplier,
            price=Decimal(price),
            cost=Decimal("1.00"),
            stock=stock,
            status=status,
            created=created,
            description=description,
        )

    products = {
        "A1": make("A1", "5.00", 10, "active", cables, acme, now),
        "A2": make(
            "A2", "10.00", 0, "draft", usb, globex, now - datetime.timedelta(days=3), "Braided"
        ),
        "B1": make(
            "B1", "25.50", 5, "active", chargers, acme, now - datetime.timedelta(days=20), "Fast"
        ),
        "C1": make(
            "C1", "49.99", 100, "discontinued", chargers, evil, now - datetime.timedelta(days=60)
        ),
    }
    return SimpleNamespace(
        cables=cables,
        chargers=chargers,
        usb=usb,
        acme=acme,
        globex=globex,
        evil=evil,
        products=products,
    )


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client
