from django.db import migrations

from toolkit.admin_ext import AddSearchVectorIndex


class Migration(migrations.Migration):
    """Full-text index for the product search on PostgreSQL (a no-op elsewhere)."""

    dependencies = [("catalog", "0002_admin_indexes")]

    operations = [
        AddSearchVectorIndex("product", ["name", "description"], name="product_search_idx"),
    ]
