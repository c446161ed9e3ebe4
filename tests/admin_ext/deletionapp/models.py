"""A six-level cascade (Region → Country → City → District → Street → House), a PROTECT at
its bottom (a Deed protects its House), a multi-table child (Villa is a House), a generic
relation (Notes on houses, keyed by text) and a self-referencing tree (Node)."""

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Region(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Country(models.Model):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="countries")
    name = models.CharField(max_length=50)

    class Meta:
        verbose_name_plural = "countries"

    def __str__(self):
        return self.name


class City(models.Model):
    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="cities")
    name = models.CharField(max_length=50)

    class Meta:
        verbose_name_plural = "cities"

    def __str__(self):
        return self.name


class District(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="districts")
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Street(models.Model):
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="streets")
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Note(models.Model):
    """Hangs on any row; its object id is text, as generic relations often are."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=40)
    target = GenericForeignKey("content_type", "object_id")
    text = models.CharField(max_length=50)

    def __str__(self):
        return self.text


class House(models.Model):
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="houses")
    name = models.CharField(max_length=50)
    notes = GenericRelation(Note)

    def __str__(self):
        return self.name


class Villa(House):
    pool = models.BooleanField(default=False)


class Deed(models.Model):
    """Protects its house: the house (and everything above it) cannot be deleted."""

    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="deeds")
    number = models.CharField(max_length=20)

    def __str__(self):
        return f"Deed {self.number}"


class Node(models.Model):
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name
