"""django-import-export resources of the demo catalog.

Products travel between shops and spreadsheets by natural keys: a row names its category
by slug, its supplier by name and its tags by name, and is identified by its SKU, so a
file exported here imports into another database unchanged.
"""

from __future__ import annotations

from import_export import fields, resources, widgets

from .models import Category, Product, Supplier, Tag


class ProductResource(resources.ModelResource):  # type: ignore[misc]
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=widgets.ForeignKeyWidget(Category, field="slug"),
    )
    supplier = fields.Field(
        attribute="supplier",
        column_name="supplier",
        widget=widgets.ForeignKeyWidget(Supplier, field="name"),
    )
    tags = fields.Field(
        attribute="tags",
        column_name="tags",
        widget=widgets.ManyToManyWidget(Tag, separator=",", field="name"),
    )

    class Meta:
        model = Product
        import_id_fields = ["sku"]
        fields = [
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
            "is_active",
            "tags",
        ]
        export_order = fields
        skip_unchanged = True
        use_bulk = True
        batch_size = 1000
