from django.db import migrations

INDEX = "product_sku_upper_prefix_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # ProductAdmin searches "^sku": UPPER(sku::text) LIKE UPPER('elc-cbl%'). A B-tree on
    # the same expression with text_pattern_ops serves that prefix in any collation.
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "catalog_product" '
        '(UPPER("sku"::text) text_pattern_ops)'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    """PostgreSQL: an index for the product search's case-insensitive SKU prefix
    (``search_fields = ["^sku", ...]``). SQLite's LIKE is case-insensitive already and
    its catalog is small; nothing to do there."""

    dependencies = [("catalog", "0004_product_search_document")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
