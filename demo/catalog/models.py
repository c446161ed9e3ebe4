"""A store's back office: categories, suppliers, products, stock movements, reviews.

Indexes follow what the admin filters, searches and orders by; the changelist of a
million products must not scan the table to sort or filter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Category(models.Model):
    name = models.CharField(max_length=100, db_index=True)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        parent = self.parent
        return f"{parent.name} > {self.name}" if parent is not None else self.name


class Supplier(models.Model):
    name = models.CharField(max_length=200, unique=True)
    country = models.CharField(max_length=2, db_index=True, help_text="ISO 3166-1 alpha-2 code")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        DISCONTINUED = "discontinued", "Discontinued"

    # The admin's "^sku" search (UPPER(sku) LIKE 'PREFIX%') uses an expression index
    # that only PostgreSQL can declare: migration 0005, not Meta.indexes.
    sku = models.CharField("SKU", max_length=32, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True)
    # Indexed by product_category_price_idx (category first): a second index would only
    # slow down writes.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", db_index=False
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(max_digits=10, decimal_places=2, db_index=True)
    cost = models.DecimalField(max_digits=10, decimal_places=2)
    stock = models.IntegerField(default=0, db_index=True)
    weight = models.DecimalField(
        "weight (kg)", max_digits=8, decimal_places=3, default=Decimal("0.000")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    is_active = models.BooleanField(default=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="products")
    created = models.DateTimeField(default=timezone.now, db_index=True)
    updated = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["status", "is_active"], name="product_status_active_idx"),
            models.Index(fields=["category", "price"], name="product_category_price_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.updated = timezone.now()
        super().save(*args, **kwargs)


class StockMovement(models.Model):
    class Reason(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        SALE = "sale", "Sale"
        RETURN = "return", "Customer return"
        ADJUSTMENT = "adjustment", "Inventory adjustment"
        DAMAGE = "damage", "Damaged"

    # Indexed by movement_product_time_idx (product first).
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="movements", db_index=False
    )
    quantity = models.IntegerField(help_text="Positive for stock in, negative for stock out.")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    timestamp = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            # The product page shows the newest movements of one product.
            models.Index(fields=["product", "-timestamp"], name="movement_product_time_idx"),
            # The movements changelist: newest first, and filtered by reason.
            models.Index(fields=["-timestamp", "-id"], name="movement_time_idx"),
            models.Index(fields=["reason", "-timestamp"], name="movement_reason_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity:+d} for product #{self.product_id} ({self.get_reason_display()})"


class Review(models.Model):
    # Indexed by review_product_time_idx (product first).
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    author = models.CharField(max_length=100)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["product", "-created"], name="review_product_time_idx"),
            # The reviews changelist: newest first, and filtered by rating.
            models.Index(fields=["-created", "-id"], name="review_time_idx"),
            models.Index(fields=["rating", "-created"], name="review_rating_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.title or self.text[:40]}"
