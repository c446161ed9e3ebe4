"""A large, realistic, reproducible catalog with a labelled set of anomalies.

``CatalogSeeder(products=N, seed=S).run()`` fills the catalog: a category tree, a few
hundred suppliers, tags, then N products with their stock movements, reviews and tags.
Everything derives from ``random.Random`` streams seeded with S and from the fixed
:data:`BASE_TIME`, so the same N and S give the same rows, timestamps included.

Products are generated lazily and inserted one batch at a time, each batch in its own
transaction: memory holds two batches (the one being stored and the one a worker thread
generates meanwhile), never the catalog, and throughput does not fall as the tables
grow. On PostgreSQL the rows go in with binary ``COPY``; elsewhere with ``bulk_create``.
Either way the rows, ids included, are the same.

The words the catalog is made of (categories, brands, sentences, supplier names) are
data, in ``demo/catalog/data/*.json`` (:mod:`.vocabulary`); the modules hold the
logic: :mod:`.reference` (categories, suppliers, tags), :mod:`.products` (the
generator and its anomalies), :mod:`.storage` (inserting, counting, flushing) and
:mod:`.seeder` (the run).

About :data:`ANOMALY_RATE` of the products carry exactly one injected anomaly (see
:data:`ANOMALY_KINDS`). Which products, and what was done to them, is written only to
the labels CSV (:data:`LABEL_FIELDS`); the database holds no trace of it. Normal products
are generated so that they never meet an anomaly's condition, which makes the labels an
exact ground truth for the detectors that will look for them:

===================  =============================================================
negative_stock       ``stock < 0``; normal products have ``stock >= 0``.
price_below_cost     ``price < cost``; normal cost is 40-80 % of the price.
price_outlier        price 20-40x above or below the subcategory's typical price;
                     normal prices stay within 1/3x-3x of it.
missing_description  empty description; normal descriptions have 3-5 sentences.
zero_weight          ``weight == 0``; normal weights are at least 5 g.
rating_mismatch      one review's rating contradicts its title and text (a 4-5 star
                     review that reads as a complaint, or a 1-2 star rave); normal
                     reviews agree with their rating.
===================  =============================================================
"""

from __future__ import annotations

from .products import (
    ANOMALY_KINDS,
    ANOMALY_RATE,
    PRODUCT_FIELDS,
    PRODUCT_SPAN,
    AnomalyLabel,
    ProductGenerator,
    timeline_start,
)
from .seeder import (
    DEFAULT_BATCH_SIZE,
    LABEL_FIELDS,
    ROW_KINDS,
    CatalogSeeder,
    SeedProgress,
    SeedReport,
)
from .storage import CATALOG_MODELS, catalog_counts, flush_catalog
from .vocabulary import (
    MIXED_TITLES,
    NEGATIVE_TITLES,
    POSITIVE_TITLES,
    TAG_NAMES,
    TAXONOMY,
    CategorySpec,
    SubcategorySpec,
)

__all__ = [
    "ANOMALY_KINDS",
    "ANOMALY_RATE",
    "CATALOG_MODELS",
    "DEFAULT_BATCH_SIZE",
    "LABEL_FIELDS",
    "MIXED_TITLES",
    "NEGATIVE_TITLES",
    "POSITIVE_TITLES",
    "PRODUCT_FIELDS",
    "PRODUCT_SPAN",
    "ROW_KINDS",
    "TAG_NAMES",
    "TAXONOMY",
    "AnomalyLabel",
    "CatalogSeeder",
    "CategorySpec",
    "ProductGenerator",
    "SeedProgress",
    "SeedReport",
    "SubcategorySpec",
    "catalog_counts",
    "flush_catalog",
    "timeline_start",
]
