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

import csv
import math
import random
import time
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate, islice, permutations
from typing import TextIO, TypeVar

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, reset_queries, transaction
from django.db.models import Model
from django.utils.text import slugify

from .models import Category, Product, Review, StockMovement, Supplier, Tag

_M = TypeVar("_M", bound=Model)
_T = TypeVar("_T")

#: Products inserted per ``bulk_create`` and per transaction.
DEFAULT_BATCH_SIZE = 5000

#: Every generated timestamp is this instant plus a seeded offset, never ``now()``.
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)

#: Share of products that receive exactly one injected anomaly.
ANOMALY_RATE = 0.03

#: The anomaly kinds, in the order the labels and the summary list them.
ANOMALY_KINDS = (
    "negative_stock",
    "price_below_cost",
    "price_outlier",
    "missing_description",
    "zero_weight",
    "rating_mismatch",
)

#: Header of the labels CSV.
LABEL_FIELDS = ("sku", "anomaly", "field", "detail")

#: Normal prices stay within this factor of the subcategory's typical price.
NORMAL_PRICE_BAND = 3.0

#: Price outliers are at least this factor away from the typical price.
OUTLIER_FACTOR = (20.0, 40.0)

#: A small share of products are fast movers with hundreds of stock movements.
BUSY_PRODUCT_RATE = 0.004

PRODUCT_SPAN = timedelta(days=365)
_PRODUCT_SPAN_SECONDS = int(PRODUCT_SPAN.total_seconds())
_DAY = 86_400
_SECOND = timedelta(seconds=1)


# --- Reference data -------------------------------------------------------------------


@dataclass(frozen=True)
class SubcategorySpec:
    """A leaf category: what its products are called, cost and weigh."""

    code: str
    name: str
    #: Typical (median) price in the store's currency.
    price: float
    #: Spread of log(price) around the median.
    sigma: float
    #: Typical weight range in kg.
    weight: tuple[float, float]
    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    materials: tuple[str, ...]
    nouns: tuple[str, ...]
    variants: tuple[str, ...]
    #: What the product is for, completing "... is made for <use>."
    use: str
    #: Sentences about features; ``{noun}`` and ``{material}`` are filled in.
    features: tuple[str, ...]
    #: Relative share of the catalog's products.
    share: float = 1.0


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    subcategories: tuple[SubcategorySpec, ...]


_S = SubcategorySpec

# fmt: off
TAXONOMY: tuple[CategorySpec, ...] = (
    CategorySpec("ELC", "Electronics", (
        _S(
            "CBL", "Cables", price=14.0, sigma=0.45, weight=(0.03, 0.25), share=1.6,
            brands=("Voltaro", "Kabelwerk", "Linkstream", "Ampvera", "NordCable"),
            adjectives=("braided", "fast-charging", "right-angle", "slim", "heavy-duty"),
            materials=("nylon-braided", "", "", "TPE"),
            nouns=(
                "USB-C cable", "USB-C to Lightning cable", "HDMI 2.1 cable",
                "Cat 6 Ethernet cable", "DisplayPort cable",
            ),
            variants=("0.5 m", "1 m", "2 m", "3 m", "5 m"),
            use="charging and connecting phones, laptops and displays",
            features=(
                "Gold-plated connectors resist corrosion and keep the signal clean.",
                "The {material} jacket survives more than 10,000 bends in lab tests.",
                "Supports data transfer at up to 10 Gbit/s.",
                "A reusable strap keeps the {noun} tidy in a bag.",
                "Strain relief at both ends protects against fraying.",
            ),
        ),
        _S(
            "PWR", "Chargers & Power", price=32.0, sigma=0.5, weight=(0.08, 0.6),
            brands=("Voltaro", "Ampvera", "ChargeLab", "Powerhaus"),
            adjectives=("compact", "foldable", "multi-port", "travel"),
            materials=("", "", "GaN"),
            nouns=("wall charger", "power bank", "car charger", "charging station"),
            variants=("20 W", "45 W", "65 W", "100 W", "10,000 mAh", "20,000 mAh"),
            use="keeping phones, tablets and laptops topped up",
            features=(
                "Intelligent power sharing splits the output across devices.",
                "Over-current, over-voltage and temperature protection are built in.",
                "Charges a typical phone to 50 % in about 30 minutes.",
                "Foldable prongs make the {noun} easy to pack.",
            ),
        ),
        _S(
            "AUD", "Headphones & Audio", price=79.0, sigma=0.6, weight=(0.05, 0.9), share=1.2,
            brands=("Sonora", "Klangfeld", "Auralis", "Bassline"),
            adjectives=("wireless", "noise-cancelling", "over-ear", "sports", "open-back"),
            materials=("", "", "aluminium"),
            nouns=("headphones", "earbuds", "Bluetooth speaker", "soundbar"),
            variants=("black", "white", "midnight blue", "sand"),
            use="music, calls and podcasts on the go",
            features=(
                "Active noise cancellation blocks out traffic and office chatter.",
                "Battery life reaches 30 hours on a single charge.",
                "Multipoint Bluetooth pairs a phone and a laptop at once.",
                "Memory-foam cushions stay comfortable for hours.",
                "An IPX4 rating shrugs off sweat and light rain.",
            ),
        ),
        _S(
            "CMP", "Computer Accessories", price=39.0, sigma=0.55, weight=(0.08, 1.5), share=1.3,
            brands=("Keyfield", "Pixelwerk", "Logimark", "Deskbyte"),
            adjectives=("ergonomic", "wireless", "mechanical", "low-profile", "backlit"),
            materials=("", "aluminium", "ABS"),
            nouns=("keyboard", "mouse", "USB-C hub", "laptop stand", "webcam"),
            variants=("black", "grey", "white", "UK layout", "US layout"),
            use="a tidy, comfortable desk setup",
            features=(
                "Plug-and-play setup works with Windows, macOS and Linux.",
                "The {material} body keeps the {noun} sturdy and cool.",
                "A rechargeable battery lasts up to three months.",
                "Quiet switches keep shared offices calm.",
            ),
        ),
        _S(
            "SMH", "Smart Home", price=49.0, sigma=0.5, weight=(0.05, 0.8),
            brands=("Homelink", "Nestra", "Brightway", "Sensio"),
            adjectives=("smart", "Wi-Fi", "Zigbee", "energy-monitoring"),
            materials=("", "", ""),
            nouns=("plug", "thermostat", "motion sensor", "doorbell camera", "light bulb"),
            variants=("single", "2-pack", "4-pack", "starter kit"),
            use="automating lights, heating and security",
            features=(
                "Works with the major voice assistants out of the box.",
                "Schedules and scenes run locally even when the internet is down.",
                "Setup takes under five minutes in the companion app.",
                "Energy reports show what each device costs to run.",
            ),
        ),
    )),
    CategorySpec("HOM", "Home & Kitchen", (
        _S(
            "KIT", "Kitchen Tools", price=19.0, sigma=0.5, weight=(0.1, 1.2), share=1.4,
            brands=("Kuchenfreund", "Saltbox", "Maison Verte", "Oakhill"),
            adjectives=("non-slip", "dishwasher-safe", "stackable", "professional"),
            materials=("bamboo", "stainless steel", "silicone", "beech wood"),
            nouns=("cutting board", "mixing bowl set", "colander", "knife block", "measuring cups"),
            variants=("small", "large", "set of 3", "set of 5"),
            use="everyday cooking and baking",
            features=(
                "The {material} surface is gentle on knife edges.",
                "Rubber feet keep the {noun} in place on a wet worktop.",
                "Everything nests together to save cupboard space.",
                "Food-safe and free of BPA and phthalates.",
            ),
        ),
        _S(
            "CKW", "Cookware", price=55.0, sigma=0.5, weight=(0.6, 4.5),
            brands=("Ferromonte", "Copperleaf", "Tefra", "Castellan"),
            adjectives=("non-stick", "induction-ready", "oven-safe", "heavy-gauge"),
            materials=("cast iron", "stainless steel", "carbon steel", "hard-anodised aluminium"),
            nouns=("frying pan", "saucepan", "stockpot", "casserole dish", "wok"),
            variants=("20 cm", "24 cm", "28 cm", "30 cm"),
            use="searing, simmering and slow cooking",
            features=(
                "The {material} base spreads heat evenly with no hot spots.",
                "Oven-safe up to 240 °C, lid included.",
                "Riveted handles stay cool on the hob.",
                "Suitable for gas, electric, ceramic and induction hobs.",
            ),
        ),
        _S(
            "BED", "Bedding", price=45.0, sigma=0.45, weight=(0.4, 2.5),
            brands=("Dreamwell", "Linnea", "Softharbor", "Nordlys"),
            adjectives=("breathable", "hypoallergenic", "all-season", "lightweight"),
            materials=("cotton percale", "linen", "bamboo viscose", "sateen"),
            nouns=("duvet cover set", "fitted sheet", "pillowcase pair", "duvet"),
            variants=("single", "double", "king", "super king"),
            use="a cool, restful night's sleep",
            features=(
                "Woven from long-staple fibres that soften with every wash.",
                "Machine washable at 60 °C.",
                "Deep pockets fit mattresses up to 35 cm.",
                "Certified free of harmful substances.",
            ),
        ),
        _S(
            "LGT", "Lighting", price=39.0, sigma=0.55, weight=(0.2, 3.5),
            brands=("Lumo", "Brightway", "Glimmer & Co", "Arcline"),
            adjectives=("dimmable", "minimalist", "adjustable", "warm-white"),
            materials=("brass", "matte black metal", "opal glass", "rattan"),
            nouns=("desk lamp", "floor lamp", "pendant light", "LED strip", "wall light"),
            variants=("", "E27", "2700 K", "3000 K"),
            use="reading corners, desks and living rooms",
            features=(
                "A flicker-free LED gives soft, even light.",
                "The {material} shade diffuses glare.",
                "Energy class A, rated for 25,000 hours.",
                "The adjustable arm points light exactly where it is needed.",
            ),
        ),
        _S(
            "STO", "Storage & Organisation", price=24.0, sigma=0.5, weight=(0.2, 3.0),
            brands=("Tidyform", "Boxwell", "Hjem", "Ordo"),
            adjectives=("stackable", "collapsible", "airtight", "modular"),
            materials=("polypropylene", "woven seagrass", "felt", "glass"),
            nouns=("storage box", "basket", "drawer organiser", "food container set"),
            variants=("small", "medium", "large", "set of 4"),
            use="keeping cupboards, shelves and wardrobes in order",
            features=(
                "Lids click shut and keep dust out.",
                "Clear fronts show what is inside at a glance.",
                "Folds flat when not in use.",
                "The {material} is sturdy enough to stack three high.",
            ),
        ),
    )),
    CategorySpec("GRD", "Garden & Outdoor", (
        _S(
            "TLS", "Garden Tools", price=29.0, sigma=0.5, weight=(0.3, 3.0),
            brands=("Greenhand", "Spadework", "Rootsman", "Fiskold"),
            adjectives=("ergonomic", "telescopic", "heavy-duty", "lightweight"),
            materials=("carbon steel", "stainless steel", "ash wood", "fibreglass"),
            nouns=("pruning shears", "hand trowel", "garden fork", "hedge trimmer", "rake"),
            variants=("", "compact", "long-handled"),
            use="pruning, digging and tidying beds and borders",
            features=(
                "The {material} head holds a sharp edge season after season.",
                "A cushioned grip reduces hand fatigue.",
                "Backed by a ten-year guarantee.",
                "A hanging hole makes the {noun} easy to store.",
            ),
        ),
        _S(
            "PLT", "Plants & Seeds", price=7.5, sigma=0.45, weight=(0.02, 1.5), share=0.8,
            brands=("Seedling & Co", "Verdant", "Hortus", "Bloomfield"),
            adjectives=("organic", "heirloom", "perennial", "easy-grow"),
            materials=("", "", ""),
            nouns=(
                "tomato seeds", "herb seed collection", "wildflower mix", "tulip bulbs",
                "lavender plant",
            ),
            variants=("single pack", "3-pack", "9 cm pot", "25 bulbs"),
            use="balconies, raised beds and borders",
            features=(
                "Germination tested for reliable results.",
                "Attracts bees and butterflies all summer.",
                "Sowing and care instructions are printed on the pack.",
                "Hardy down to -15 °C once established.",
            ),
        ),
        _S(
            "FRN", "Outdoor Furniture", price=180.0, sigma=0.6, weight=(3.0, 35.0), share=0.7,
            brands=("Terrazza", "Solvik", "Parkhill", "Alfresco Living"),
            adjectives=("weatherproof", "foldable", "stackable", "reclining"),
            materials=("acacia wood", "powder-coated steel", "poly rattan", "teak"),
            nouns=("garden chair", "bistro set", "lounger", "garden table", "parasol"),
            variants=("", "grey", "natural", "anthracite"),
            use="patios, balconies and summer evenings outside",
            features=(
                "The {material} frame resists rust and rot.",
                "Folds flat for winter storage.",
                "UV-resistant fabric keeps its colour.",
                "Adjustable feet level the {noun} on uneven paving.",
            ),
        ),
        _S(
            "GRL", "Barbecues", price=149.0, sigma=0.6, weight=(2.0, 40.0), share=0.7,
            brands=("Emberline", "Smokehaus", "Flamewright", "Coalridge"),
            adjectives=("portable", "kettle", "two-burner", "smoker"),
            materials=("enamelled steel", "stainless steel", "cast iron", ""),
            nouns=("charcoal grill", "gas barbecue", "grill grate", "chimney starter"),
            variants=("", "47 cm", "57 cm", "compact"),
            use="grilling, smoking and cooking outdoors",
            features=(
                "An adjustable vent gives precise temperature control.",
                "The {material} grate is easy to clean and holds heat well.",
                "A built-in thermometer shows the lid temperature.",
                "The ash catcher slides out for quick cleaning.",
            ),
        ),
        _S(
            "WAT", "Watering", price=22.0, sigma=0.5, weight=(0.2, 4.0),
            brands=("Rainway", "Aquaflo", "Greenhand", "Tropfen"),
            adjectives=("expandable", "kink-free", "adjustable", "automatic"),
            materials=("", "brass", "ABS"),
            nouns=("garden hose", "spray nozzle", "watering can", "sprinkler", "drip kit"),
            variants=("", "15 m", "25 m", "10 l"),
            use="keeping lawns and beds watered",
            features=(
                "Quick-connect fittings click on without tools.",
                "Eight spray patterns from mist to jet.",
                "UV-stabilised so it will not crack in the sun.",
                "The {material} couplings do not leak under pressure.",
            ),
        ),
    )),
    CategorySpec("SPT", "Sports & Fitness", (
        _S(
            "FIT", "Fitness Equipment", price=45.0, sigma=0.65, weight=(0.2, 20.0), share=1.1,
            brands=("Ironpeak", "Flexcore", "Kraftwerk", "Motivo"),
            adjectives=("adjustable", "non-slip", "compact", "heavy-duty"),
            materials=("cast iron", "neoprene", "natural rubber", ""),
            nouns=("dumbbell set", "kettlebell", "resistance band set", "pull-up bar", "ab roller"),
            variants=("", "8 kg", "12 kg", "16 kg", "light"),
            use="strength and conditioning at home",
            features=(
                "The {material} finish protects floors and is easy to grip.",
                "Colour-coded weights make switching quick.",
                "Includes a printed exercise guide.",
                "Tested to loads well beyond everyday use.",
            ),
        ),
        _S(
            "CYC", "Cycling", price=35.0, sigma=0.6, weight=(0.1, 2.5),
            brands=("Velomax", "Spokewise", "Ridgeline", "Pedalo"),
            adjectives=("rechargeable", "lightweight", "reflective", "waterproof"),
            materials=("", "aluminium", "carbon"),
            nouns=("bike light set", "helmet", "mini pump", "U-lock", "saddle bag"),
            variants=("", "S/M", "M/L", "black"),
            use="commuting and weekend rides",
            features=(
                "Fits all common handlebar and seat-post sizes.",
                "USB-C charging, up to 12 hours of light.",
                "Reflective details keep you visible at night.",
                "The {material} body weighs next to nothing.",
            ),
        ),
        _S(
            "CAM", "Camping", price=59.0, sigma=0.7, weight=(0.2, 6.0),
            brands=("Trailbound", "Fjellstar", "Basecamp Co", "Northtrek"),
            adjectives=("lightweight", "waterproof", "insulated", "pop-up"),
            materials=("ripstop nylon", "polyester", "aluminium", ""),
            nouns=("tent", "sleeping bag", "camping stove", "head torch", "camping chair"),
            variants=("", "1-person", "2-person", "4-person"),
            use="hiking trips and weekends under canvas",
            features=(
                "The {material} shell keeps rain out and packs down small.",
                "Sets up in minutes with colour-coded poles.",
                "A compression sack is included.",
                "Rated for three-season use.",
            ),
        ),
        _S(
            "RUN", "Running", price=29.0, sigma=0.5, weight=(0.05, 0.8),
            brands=("Stridewell", "Pacemark", "Runa", "Tempo Athletics"),
            adjectives=("breathable", "reflective", "lightweight", "seamless"),
            materials=("merino", "recycled polyester", "mesh", ""),
            nouns=(
                "running socks", "running belt", "sports top", "running cap",
                "armband phone holder",
            ),
            variants=("S", "M", "L", "XL"),
            use="training runs and race day",
            features=(
                "Moisture-wicking fabric keeps you dry.",
                "Flat seams prevent chafing on long runs.",
                "Reflective trims for early-morning runs.",
                "The {material} fabric dries quickly after a wash.",
            ),
        ),
        _S(
            "YOG", "Yoga", price=25.0, sigma=0.5, weight=(0.2, 2.5), share=0.8,
            brands=("Lotusleaf", "Zenform", "Asana Studio", "Mandalo"),
            adjectives=("non-slip", "extra-thick", "eco", "travel"),
            materials=("natural rubber", "cork", "TPE", "cotton"),
            nouns=("yoga mat", "yoga block set", "meditation cushion", "yoga strap"),
            variants=("", "4 mm", "6 mm", "purple", "sage green"),
            use="practice at home or in the studio",
            features=(
                "Grips even in a hot, sweaty class.",
                "The {material} is free of PVC and latex.",
                "Comes with a carrying strap.",
                "Alignment lines help with positioning.",
            ),
        ),
    )),
    CategorySpec("TOY", "Toys & Games", (
        _S(
            "BRD", "Board Games", price=29.0, sigma=0.4, weight=(0.4, 2.5),
            brands=("Meeple House", "Tabletop Lane", "Spielzeit", "Rollwell"),
            adjectives=("cooperative", "strategy", "family", "party"),
            materials=("", "", ""),
            nouns=("board game", "card game", "dice game", "trivia game"),
            variants=("", "2-4 players", "3-6 players", "ages 8+"),
            use="game nights with family and friends",
            features=(
                "A game takes 30 to 60 minutes.",
                "Easy to learn, with depth that keeps it interesting.",
                "Includes illustrated rules and quick-start cards.",
                "High-quality components that survive many game nights.",
            ),
        ),
        _S(
            "BLD", "Building Sets", price=39.0, sigma=0.7, weight=(0.2, 3.0),
            brands=("Brickton", "Konstrukt", "Blocksmith", "Tinkerly"),
            adjectives=("creative", "motorised", "STEM", "classic"),
            materials=("", "", ""),
            nouns=("building set", "construction kit", "marble run", "robot kit"),
            variants=("", "250 pieces", "500 pieces", "1,200 pieces"),
            use="young builders and curious minds",
            features=(
                "Compatible with the major building-brick brands.",
                "Step-by-step instructions are included.",
                "Encourages problem solving and fine motor skills.",
                "Pieces come in numbered bags for easy building.",
            ),
        ),
        _S(
            "PLS", "Plush Toys", price=17.0, sigma=0.45, weight=(0.1, 1.2),
            brands=("Snugglebee", "Cuddlewood", "Fluffin", "Teddyworks"),
            adjectives=("super-soft", "washable", "oversized", "handmade"),
            materials=("", "organic cotton", "recycled polyester"),
            nouns=("teddy bear", "plush bunny", "dinosaur plush", "sloth plush"),
            variants=("25 cm", "35 cm", "50 cm"),
            use="cuddles from birth onwards",
            features=(
                "Safety-tested to EN 71 for all ages.",
                "Embroidered eyes, no small parts.",
                "Machine washable at 30 °C.",
                "The {material} fur stays soft wash after wash.",
            ),
        ),
        _S(
            "PZL", "Puzzles", price=18.0, sigma=0.4, weight=(0.2, 1.5), share=0.8,
            brands=("Piecemeal", "Jigsawly", "Cartographer", "Puzzlehaus"),
            adjectives=("panoramic", "challenging", "family", "glow-in-the-dark"),
            materials=("", "", ""),
            nouns=("jigsaw puzzle", "3D puzzle", "puzzle mat", "brain teaser set"),
            variants=("500 pieces", "1,000 pieces", "1,500 pieces", ""),
            use="quiet afternoons and rainy days",
            features=(
                "Precision-cut pieces fit snugly with no false fits.",
                "Printed on thick board made from recycled fibres.",
                "A reference poster is included.",
                "Finished size fits a standard frame.",
            ),
        ),
        _S(
            "OUT", "Outdoor Toys", price=34.0, sigma=0.6, weight=(0.2, 12.0),
            brands=("Playfield", "Sunhop", "Backyard Co", "Zoomer"),
            adjectives=("inflatable", "foldable", "weather-resistant", "giant"),
            materials=("", "wood", "PVC"),
            nouns=("paddling pool", "swing seat", "kite", "sandpit", "water blaster"),
            variants=("", "small", "large"),
            use="active play in the garden and the park",
            features=(
                "Built to survive rough play and summer sun.",
                "Sets up in minutes without tools.",
                "Tested to EN 71 for children aged 3 and up.",
                "Packs away flat for the winter.",
            ),
        ),
    )),
    CategorySpec("OFF", "Office Supplies", (
        _S(
            "PAP", "Paper & Notebooks", price=9.0, sigma=0.5, weight=(0.1, 2.6), share=1.3,
            brands=("Papierwerk", "Inkwell", "Foliant", "Margins & Co"),
            adjectives=("dotted", "lined", "recycled", "premium"),
            materials=("", "", ""),
            nouns=("notebook", "copy paper ream", "sticky notes", "planner"),
            variants=("A4", "A5", "pack of 5", "500 sheets"),
            use="notes, lists and everyday printing",
            features=(
                "Fountain-pen-friendly paper with no bleed-through.",
                "FSC-certified paper from responsibly managed forests.",
                "Lay-flat binding makes writing comfortable.",
                "Numbered pages and an index at the front.",
            ),
        ),
        _S(
            "WRT", "Writing Instruments", price=8.0, sigma=0.6, weight=(0.01, 0.3),
            brands=("Inkwell", "Scriba", "Penhaus", "Quillon"),
            adjectives=("refillable", "quick-dry", "fine-tip", "gel"),
            materials=("", "brass", "recycled plastic"),
            nouns=("ballpoint pens", "fountain pen", "highlighters", "fineliners"),
            variants=("black", "blue", "assorted colours", "pack of 10"),
            use="writing, sketching and marking up documents",
            features=(
                "Smooth ink flow without smudging.",
                "The {material} barrel is balanced for long writing sessions.",
                "Refills are widely available.",
                "Ink is acid-free and fade-resistant.",
            ),
        ),
        _S(
            "DSK", "Desk Organisation", price=22.0, sigma=0.5, weight=(0.2, 3.0),
            brands=("Deskbyte", "Ordo", "Tidyform", "Worksmith"),
            adjectives=("minimalist", "stackable", "adjustable", "space-saving"),
            materials=("bamboo", "powder-coated steel", "felt", "acrylic"),
            nouns=("desk organiser", "monitor riser", "file holder", "cable tray"),
            variants=("", "black", "white", "oak"),
            use="a clear, clutter-free desk",
            features=(
                "The {material} finish suits home and office.",
                "Non-slip pads protect the desk surface.",
                "Assembles in minutes.",
                "Compartments keep pens, cables and notes apart.",
            ),
        ),
        _S(
            "CHR", "Office Chairs", price=189.0, sigma=0.5, weight=(8.0, 22.0), share=0.6,
            brands=("Posturo", "Sitwell", "Ergoline", "Bureaux"),
            adjectives=("ergonomic", "mesh-back", "adjustable", "executive"),
            materials=("mesh", "bonded leather", "fabric", ""),
            nouns=("office chair", "task chair", "kneeling chair", "stool"),
            variants=("black", "grey", "blue"),
            use="long working days at the desk",
            features=(
                "Adjustable lumbar support follows the spine.",
                "Height, tilt and armrests adjust independently.",
                "Rated for users up to 120 kg.",
                "The {material} upholstery stays cool and breathable.",
            ),
        ),
        _S(
            "INK", "Printer Supplies", price=27.0, sigma=0.55, weight=(0.05, 1.2),
            brands=("Tintex", "Printa", "Tonerline", "Inkwell"),
            adjectives=("high-yield", "compatible", "XL", "eco"),
            materials=("", "", ""),
            nouns=("ink cartridge", "toner cartridge", "photo paper", "label roll"),
            variants=("black", "cyan", "magenta", "yellow", "multipack"),
            use="crisp prints at home and in the office",
            features=(
                "Prints up to 2,000 pages at 5 % coverage.",
                "Chip included for accurate ink-level readings.",
                "Tested to match the original's colour output.",
                "Sealed packaging keeps the {noun} fresh.",
            ),
        ),
    )),
    CategorySpec("BTY", "Beauty & Personal Care", (
        _S(
            "SKN", "Skin Care", price=19.0, sigma=0.55, weight=(0.05, 0.6), share=1.3,
            brands=("Dermalia", "Hautnah", "Pure Petal", "Veridis"),
            adjectives=("hydrating", "fragrance-free", "brightening", "gentle"),
            materials=("", "", ""),
            nouns=("face cream", "serum", "cleanser", "sunscreen SPF 50", "body lotion"),
            variants=("30 ml", "50 ml", "200 ml", "400 ml"),
            use="daily care for all skin types",
            features=(
                "Dermatologically tested and suitable for sensitive skin.",
                "Absorbs quickly without a greasy finish.",
                "Made with hyaluronic acid and niacinamide.",
                "Vegan and never tested on animals.",
            ),
        ),
        _S(
            "HAI", "Hair Care", price=14.0, sigma=0.6, weight=(0.1, 1.2),
            brands=("Lockwell", "Silkroot", "Haarmonie", "Manecraft"),
            adjectives=("sulfate-free", "volumising", "repairing", "professional"),
            materials=("", "", ""),
            nouns=("shampoo", "conditioner", "hair dryer", "hair straightener", "hair mask"),
            variants=("250 ml", "500 ml", "2000 W", "travel size"),
            use="healthy, manageable hair every day",
            features=(
                "Suitable for colour-treated hair.",
                "Ionic technology reduces frizz.",
                "A light scent that does not linger.",
                "Salon results at home in minutes.",
            ),
        ),
        _S(
            "ORL", "Oral Care", price=12.0, sigma=0.7, weight=(0.03, 0.8),
            brands=("Brightsmile", "Dentana", "Orafresh", "Zahnwerk"),
            adjectives=("electric", "sensitive", "whitening", "soft-bristle"),
            materials=("", "", "bamboo"),
            nouns=("toothbrush", "toothpaste", "water flosser", "replacement brush heads"),
            variants=("", "pack of 2", "pack of 4", "75 ml"),
            use="a fresh, clean mouth twice a day",
            features=(
                "Recommended by dental hygienists.",
                "A two-minute timer with 30-second pacing.",
                "Gentle on enamel and gums.",
                "Travel case included.",
            ),
        ),
        _S(
            "FRG", "Fragrance", price=49.0, sigma=0.5, weight=(0.1, 0.6), share=0.7,
            brands=("Maison Aube", "Parfumerie Lys", "Ambrette", "Odeur"),
            adjectives=("floral", "woody", "fresh", "oriental"),
            materials=("", "", ""),
            nouns=("eau de parfum", "eau de toilette", "body mist", "scented candle"),
            variants=("30 ml", "50 ml", "100 ml"),
            use="every day and special occasions",
            features=(
                "Top notes of bergamot give way to a warm base of amber.",
                "Long-lasting, with a soft trail.",
                "Presented in a gift-ready box.",
                "Hand-finished glass bottle.",
            ),
        ),
        _S(
            "SHV", "Shaving & Grooming", price=24.0, sigma=0.65, weight=(0.05, 0.8),
            brands=("Keenedge", "Barberly", "Rasiermeister", "Bladecraft"),
            adjectives=("precision", "cordless", "waterproof", "classic"),
            materials=("", "stainless steel", "chrome"),
            nouns=(
                "safety razor", "electric shaver", "beard trimmer", "shaving cream",
                "razor blades",
            ),
            variants=("", "pack of 10", "100 ml", "travel kit"),
            use="a close, comfortable shave",
            features=(
                "Self-sharpening blades stay keen for years.",
                "The {material} head glides without pulling.",
                "Fully washable under the tap.",
                "A 90-minute runtime from a one-hour charge.",
            ),
        ),
    )),
    CategorySpec("PET", "Pet Supplies", (
        _S(
            "DGF", "Dog Food", price=29.0, sigma=0.55, weight=(0.4, 15.0), share=1.2,
            brands=("Happy Paws", "Wolfsberg", "Barkley's", "Trailhound"),
            adjectives=("grain-free", "high-protein", "senior", "puppy"),
            materials=("", "", ""),
            nouns=("dry dog food", "wet dog food multipack", "dog treats", "dental chews"),
            variants=("400 g", "2 kg", "6 kg", "12 kg"),
            use="balanced nutrition for dogs of every size",
            features=(
                "Fresh chicken is the first ingredient.",
                "No artificial colours, flavours or preservatives.",
                "Added omega-3 for a shiny coat.",
                "Developed with veterinary nutritionists.",
            ),
        ),
        _S(
            "CTF", "Cat Food", price=19.0, sigma=0.55, weight=(0.2, 10.0), share=1.1,
            brands=("Whiskerly", "Katzenglück", "Purrfect Bowl", "Feline Fields"),
            adjectives=("grain-free", "indoor", "sterilised", "kitten"),
            materials=("", "", ""),
            nouns=("dry cat food", "wet cat food pouches", "cat treats", "cat milk"),
            variants=("85 g", "400 g", "2 kg", "12 x 85 g"),
            use="complete, tasty meals for cats",
            features=(
                "Rich in taurine for healthy eyes and heart.",
                "Made with real salmon and no added sugar.",
                "Supports a healthy urinary tract.",
                "A texture even fussy eaters accept.",
            ),
        ),
        _S(
            "PTY", "Pet Toys", price=11.0, sigma=0.5, weight=(0.03, 1.0),
            brands=("Fetchmore", "Chewbox", "Pawplay", "Tailwag"),
            adjectives=("durable", "squeaky", "interactive", "floating"),
            materials=("natural rubber", "rope", "plush", ""),
            nouns=("chew toy", "ball launcher", "puzzle feeder", "cat teaser", "tug rope"),
            variants=("small", "medium", "large"),
            use="play, exercise and enrichment",
            features=(
                "Tough enough for strong chewers.",
                "Made from non-toxic {material}.",
                "Floats, so it is perfect for the beach.",
                "Keeps pets busy and out of mischief.",
            ),
        ),
        _S(
            "PBD", "Pet Beds & Furniture", price=49.0, sigma=0.6, weight=(0.5, 12.0), share=0.8,
            brands=("Snoozepaw", "Hundehütte", "Cosy Den", "Napnest"),
            adjectives=("orthopaedic", "washable", "raised", "self-warming"),
            materials=("memory foam", "faux fur", "sisal", "oak"),
            nouns=("dog bed", "cat tree", "scratching post", "pet crate"),
            variants=("S", "M", "L", "XL"),
            use="restful sleep and a place of their own",
            features=(
                "The removable cover is machine washable.",
                "A non-slip base keeps the {noun} in place.",
                "Raised edges give a sense of security.",
                "The {material} holds its shape for years.",
            ),
        ),
        _S(
            "GRM", "Pet Grooming", price=15.0, sigma=0.5, weight=(0.05, 0.8),
            brands=("Furbish", "Groomwell", "Pfotenpflege", "Shinecoat"),
            adjectives=("gentle", "self-cleaning", "deshedding", "hypoallergenic"),
            materials=("", "stainless steel", "bamboo"),
            nouns=("brush", "pet shampoo", "nail clipper", "grooming glove"),
            variants=("", "small", "large", "250 ml"),
            use="a healthy coat and happy pet",
            features=(
                "Removes up to 90 % of loose hair.",
                "pH-balanced for sensitive pet skin.",
                "Rounded tips protect the skin.",
                "A push button releases collected fur.",
            ),
        ),
    )),
)
# fmt: on

_OPENINGS = (
    "Designed by {brand} for {use}.",
    "Made for {use}.",
    "{brand} quality, made for {use}.",
    "The everyday pick for {use}.",
)

_GENERIC_SENTENCES = (
    "Backed by a two-year manufacturer warranty.",
    "Ships in recyclable packaging.",
    "Free returns within 30 days.",
    "Designed in Europe and checked for quality before it leaves the warehouse.",
    "A customer favourite for everyday use.",
    "Replacement parts are available on request.",
)

TAG_NAMES = (
    "bestseller", "new arrival", "eco-friendly", "gift idea", "clearance", "limited edition",
    "bundle", "imported", "handmade", "refurbished", "organic", "waterproof", "wireless",
    "BPA-free", "vegan", "for kids", "outdoor", "premium", "budget", "seasonal",
    "back to school", "holiday", "made in EU", "recycled", "energy-saving", "fragile",
    "oversized", "staff pick", "online exclusive", "award winner",
)  # fmt: skip

# (country code, weight, legal suffixes, top-level domain, phone prefix)
_COUNTRIES = (
    ("DE", 14, ("GmbH", "GmbH & Co. KG", "AG"), "de", "+49"),
    ("US", 12, ("Inc.", "LLC", "Corp."), "com", "+1"),
    ("GB", 10, ("Ltd", "plc"), "co.uk", "+44"),
    ("CN", 12, ("Co., Ltd.",), "cn", "+86"),
    ("FR", 7, ("SAS", "SARL"), "fr", "+33"),
    ("NL", 6, ("B.V.",), "nl", "+31"),
    ("IT", 6, ("S.r.l.", "S.p.A."), "it", "+39"),
    ("ES", 4, ("S.L.",), "es", "+34"),
    ("PL", 5, ("Sp. z o.o.",), "pl", "+48"),
    ("SE", 4, ("AB",), "se", "+46"),
    ("DK", 3, ("ApS", "A/S"), "dk", "+45"),
    ("JP", 4, ("K.K.", "Co., Ltd."), "jp", "+81"),
    ("TW", 4, ("Co., Ltd.",), "tw", "+886"),
    ("CH", 3, ("AG", "GmbH"), "ch", "+41"),
    ("CA", 3, ("Inc.", "Ltd."), "ca", "+1"),
    ("IE", 2, ("Ltd",), "ie", "+353"),
    ("CZ", 2, ("s.r.o.",), "cz", "+420"),
)

_SUPPLIER_PREFIXES = (
    "Nordic", "Pacific", "Alpine", "Summit", "Harbor", "Evergreen", "Blue River",
    "Northstar", "Silverline", "Redwood", "Atlas", "Pioneer", "Keystone", "Meridian",
    "Orion", "Crescent", "Sterling", "Lakeside", "Ironbridge", "Westbrook", "Oakridge",
    "Bright Horizon", "Continental", "Baltic", "Rhine Valley", "Golden Field", "Eastgate",
    "Highland", "Riverside", "Unity", "Apex", "Cornerstone", "Lighthouse", "Greenway",
    "Falcon", "Trident", "Granite", "Sunrise", "Cobalt", "Hanseatic",
)  # fmt: skip
_SUPPLIER_SURNAMES = (
    "Müller", "Schneider", "Fischer", "Becker", "Hoffmann", "Johnson", "Miller", "Walker",
    "Harrison", "Dubois", "Moreau", "Rossi", "Bianchi", "García", "Kowalski", "Nowak",
    "Lindqvist", "Jensen", "Tanaka", "Chen", "Wang", "Lin", "de Vries", "Janssen",
    "O'Brien", "Novák", "Keller", "Brunner", "Fraser", "Bennett",
)  # fmt: skip
_SUPPLIER_TRADES = (
    "Trading", "Supply", "Distribution", "Wholesale", "Components", "Goods", "Imports",
    "Industries", "Logistics", "Sourcing", "Merchants", "Brands", "Manufacturing",
    "Partners", "Products", "Handelsgesellschaft", "International", "Group",
)  # fmt: skip

_FIRST_NAMES = (
    "Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hannah", "Isaac", "Julia",
    "Karim", "Laura", "Marco", "Nina", "Oliver", "Priya", "Quentin", "Rosa", "Sam", "Tara",
    "Umar", "Vera", "Wei", "Xenia", "Yusuf", "Zoe", "Lukas", "Sofia", "Mateo", "Amelie",
    "Noah", "Mia", "Jonas", "Leonie", "Aiko", "Lars", "Ingrid", "Pedro", "Fatima", "Tom",
)  # fmt: skip
_AUTHORS = tuple(
    f"{first} {initial}." for first in _FIRST_NAMES for initial in "ABCDEFGHKLMNPRSTVW"
)

#: Review titles by sentiment; a review's title always agrees with its text.
POSITIVE_TITLES = (
    "Love it", "Excellent quality", "Great value for money", "Exactly as described",
    "Would buy again", "Five stars", "Better than expected", "Highly recommended",
)  # fmt: skip
MIXED_TITLES = (
    "Okay for the price", "Decent, not perfect", "Does the job", "Mixed feelings",
    "Average", "Good but not great",
)  # fmt: skip
NEGATIVE_TITLES = (
    "Disappointed", "Broke after a week", "Would not buy again", "Poor quality",
    "Not as described", "Waste of money", "Returned it",
)  # fmt: skip

_POSITIVE_SENTENCES = (
    "I have been using it every day and it works perfectly.",
    "The build quality is excellent and it feels like it will last for years.",
    "Arrived quickly and was very well packaged.",
    "Much better than the cheaper one I had before.",
    "Really happy with this purchase.",
    "Looks great and does exactly what it promises.",
    "Bought a second one as a gift.",
    "Setup was easy and everything worked straight away.",
)
_MIXED_SENTENCES = (
    "It does what it should, but the finish could be better.",
    "Works fine, although the instructions were confusing.",
    "Good value, but it is smaller than it looks in the pictures.",
    "Delivery took longer than expected.",
    "It is okay for occasional use.",
    "Not bad, but I expected a little more at this price.",
)
_NEGATIVE_SENTENCES = (
    "It stopped working after a few days.",
    "Cheap materials and poor finish.",
    "It arrived damaged and the replacement was no better.",
    "Nothing like the description, very disappointing.",
    "Customer service never answered my emails.",
    "I returned it and would not recommend it.",
    "It broke the second time I used it.",
)

# A review's rating picks its sentiment: 1-2 negative, 3 mixed, 4-5 positive.
_RATING_CUM_WEIGHTS = tuple(accumulate((8, 6, 12, 27, 47)))
_TITLES_BY_RATING = (
    (),
    NEGATIVE_TITLES,
    NEGATIVE_TITLES,
    MIXED_TITLES,
    POSITIVE_TITLES,
    POSITIVE_TITLES,
)
_SENTENCES_BY_RATING = (
    (),
    _NEGATIVE_SENTENCES,
    _NEGATIVE_SENTENCES,
    _MIXED_SENTENCES,
    _POSITIVE_SENTENCES,
    _POSITIVE_SENTENCES,
)

_STATUS_CUM_WEIGHTS = tuple(accumulate((88, 5, 7)))
_REVIEW_COUNT_CUM_WEIGHTS = tuple(accumulate((35, 25, 17, 11, 7, 5)))
_TAG_COUNT_CUM_WEIGHTS = tuple(accumulate((30, 35, 22, 13)))
_MOVEMENT_COUNT_CUM_WEIGHTS = tuple(accumulate((8, 14, 15, 15, 13, 11, 9, 8, 7)))


# --- Results --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnomalyLabel:
    """One row of the labels file: what was done to which product."""

    sku: str
    anomaly: str
    field: str
    detail: str


@dataclass(frozen=True)
class SeedProgress:
    """Reported after every committed batch."""

    products_done: int
    products_total: int
    elapsed: float

    @property
    def products_per_second(self) -> float:
        return self.products_done / self.elapsed if self.elapsed else 0.0


#: The kinds of rows a seed creates, as :attr:`SeedReport.rows` counts them.
ROW_KINDS = ("Category", "Supplier", "Tag", "Product", "Product.tags", "StockMovement", "Review")


@dataclass
class SeedReport:
    """What a run inserted, by kind of row and of anomaly, and how long it took."""

    rows: Counter[str] = field(default_factory=Counter)
    anomalies: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.elapsed if self.elapsed else 0.0

    @property
    def products_per_second(self) -> float:
        return self.rows["Product"] / self.elapsed if self.elapsed else 0.0


# --- The catalog as a whole -----------------------------------------------------------

#: Catalog models in an order where every model comes after the ones it references.
CATALOG_MODELS = (Category, Supplier, Tag, Product, StockMovement, Review)


def catalog_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Return the number of rows of each catalog model, keyed by model name."""
    return {model.__name__: model._default_manager.using(using).count() for model in CATALOG_MODELS}


def flush_catalog(using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete every catalog row, and rows elsewhere that point to them; restart the ids.

    Uses the backend's flush SQL, as ``manage.py flush`` does (``TRUNCATE ... RESTART
    IDENTITY CASCADE`` on PostgreSQL, ``DELETE`` plus a sequence reset on SQLite), so a
    million products go in well under a second instead of being loaded and deleted
    one by one. Restarting the ids makes a re-seed produce the same ids as well.
    """
    connection = connections[using]
    tables = [model._meta.db_table for model in CATALOG_MODELS]
    tables.append(Product.tags.through._meta.db_table)
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            # Rows inserted earlier in an enclosing transaction (a test's, say) still
            # have deferred foreign-key checks pending, and TRUNCATE refuses to run
            # until they have.
            connection.check_constraints()
        connection.ops.execute_sql_flush(statements)


# --- The generator --------------------------------------------------------------------

#: The product columns the generator fills, in the order of its rows.
PRODUCT_FIELDS = (
    "sku", "name", "description", "category_id", "supplier_id", "price", "cost", "stock",
    "weight", "status", "is_active", "created", "updated",
)  # fmt: skip
MOVEMENT_FIELDS = ("product_id", "quantity", "reason", "timestamp")
REVIEW_FIELDS = ("product_id", "rating", "title", "text", "author", "created")
TAG_LINK_FIELDS = ("product_id", "tag_id")

_ProductRow = tuple[
    str, str, str, int, int, Decimal, Decimal, int, Decimal, str, bool, datetime, datetime
]
# quantity, reason, timestamp
_MovementRow = tuple[int, str, datetime]
# rating, title, text, author, created
_ReviewRow = tuple[int, str, str, str, datetime]

# Plain strings: enum members are slower to look up and to adapt, millions of times.
_ACTIVE = Product.Status.ACTIVE.value
_DRAFT = Product.Status.DRAFT.value
_DISCONTINUED = Product.Status.DISCONTINUED.value
_STATUSES = (_ACTIVE, _DRAFT, _DISCONTINUED)
_PURCHASE = StockMovement.Reason.PURCHASE.value
_SALE = StockMovement.Reason.SALE.value
_RETURN = StockMovement.Reason.RETURN.value
_ADJUSTMENT = StockMovement.Reason.ADJUSTMENT.value
_DAMAGE = StockMovement.Reason.DAMAGE.value


@dataclass(slots=True)
class _ProductDraft:
    """A product before insertion, with the rows that will need its primary key."""

    row: _ProductRow
    movements: list[_MovementRow]
    reviews: list[_ReviewRow]
    tag_ids: list[int]
    label: AnomalyLabel | None


@dataclass(frozen=True)
class _Leaf:
    """A subcategory joined with its database row and its suppliers."""

    spec: SubcategorySpec
    category_id: int
    sku_prefix: str
    path: str
    supplier_ids: tuple[int, ...]
    price_cents: int
    #: Ready-joined runs of feature sentences, by whether the product has a material
    #: (sentences that mention ``{material}`` read badly without one) and by length.
    feature_runs: dict[tuple[bool, int], tuple[str, ...]]


class CatalogSeeder:
    """Fill an empty catalog with ``products`` products and everything around them.

    ``seed`` selects the data. ``batch_size`` and ``use_copy`` only choose how it is
    inserted, never what: the rows, ids included, are the same either way.
    ``use_copy`` streams the rows with PostgreSQL's ``COPY``, several times faster
    than ``bulk_create``, which spends most of its time building model instances;
    ``None`` uses it wherever the database is PostgreSQL through psycopg 3.

    Call :meth:`run` once, on an empty catalog (see :func:`flush_catalog`).
    """

    def __init__(
        self,
        products: int,
        *,
        seed: int = 0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        use_copy: bool | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        if products < 0:
            raise ValueError(f"products must be >= 0, not {products}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, not {batch_size}")
        copy_supported = _supports_copy(using)
        if use_copy and not copy_supported:
            raise ValueError("use_copy needs PostgreSQL with psycopg 3")
        self.products = products
        self.seed = seed
        self.batch_size = batch_size
        self.use_copy = copy_supported if use_copy is None else use_copy
        self.using = using
        # Separate streams, so that the reference data and the products do not shift
        # each other when one of them changes.
        self._reference_rng = random.Random(f"catalog:{seed}:reference")
        self._rng = random.Random(f"catalog:{seed}:products")
        self._leaves: list[_Leaf] = []
        self._leaf_cum_weights: list[float] = []
        self._tag_ids: list[int] = []
        self._all_supplier_ids: tuple[int, ...] = ()
        self.report = SeedReport()

    # Public API

    def run(
        self,
        *,
        labels: TextIO | None = None,
        progress: Callable[[SeedProgress], None] | None = None,
    ) -> SeedReport:
        """Insert the catalog; write anomaly labels to ``labels`` as CSV if given.

        ``progress`` is called after each committed batch. Returns the report, which is
        also left on ``self.report``.
        """
        started = time.perf_counter()
        writer = csv.writer(labels, lineterminator="\n") if labels is not None else None
        if writer is not None:
            writer.writerow(LABEL_FIELDS)
        with transaction.atomic(using=self.using):
            self._create_reference_data()
        drafts = self._drafts()
        done = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-catalog") as worker:
            # Generate the next batch while the database stores this one: both take
            # about as long, and the database server runs on another core. The worker
            # only runs Python; it never touches the database connection.
            next_batch = worker.submit(_take, drafts, self.batch_size)
            while batch := next_batch.result():
                next_batch = worker.submit(_take, drafts, self.batch_size)
                with transaction.atomic(using=self.using):
                    self._insert(batch)
                done += len(batch)
                for draft in batch:
                    if (label := draft.label) is not None:
                        self.report.anomalies[label.anomaly] += 1
                        if writer is not None:
                            writer.writerow((label.sku, label.anomaly, label.field, label.detail))
                # With DEBUG on, Django keeps the SQL of recent queries, and here each
                # holds a whole batch; forget them so that memory stays flat.
                reset_queries()
                if progress is not None:
                    progress(SeedProgress(done, self.products, time.perf_counter() - started))
        self.report.elapsed = time.perf_counter() - started
        return self.report

    # Reference data

    def _create_reference_data(self) -> None:
        rng = self._reference_rng
        suppliers = Supplier.objects.using(self.using).bulk_create(self._suppliers())
        tags = Tag.objects.using(self.using).bulk_create(Tag(name=name) for name in TAG_NAMES)
        self.report.rows["Supplier"] += len(suppliers)
        self.report.rows["Tag"] += len(tags)
        self._tag_ids = self._pks(Tag, tags, "name")

        # Each supplier serves one department.
        supplier_ids = self._pks(Supplier, suppliers, "name")
        by_department: list[list[int]] = [[] for _ in TAXONOMY]
        for supplier_id in supplier_ids:
            by_department[rng.randrange(len(TAXONOMY))].append(supplier_id)

        for department_index, department in enumerate(TAXONOMY):
            parent = Category(name=department.name, slug=slugify(department.name))
            parent.save(using=self.using)
            children = [
                Category(name=spec.name, slug=f"{parent.slug}-{slugify(spec.name)}", parent=parent)
                for spec in department.subcategories
            ]
            Category.objects.using(self.using).bulk_create(children)
            child_ids = self._pks(Category, children, "slug")
            self.report.rows["Category"] += 1 + len(children)
            own = by_department[department_index] or supplier_ids
            for spec, child_id in zip(department.subcategories, child_ids, strict=True):
                self._leaves.append(
                    _Leaf(
                        spec=spec,
                        category_id=child_id,
                        sku_prefix=f"{department.code}-{spec.code}-",
                        path=f"{department.name} > {spec.name}",
                        supplier_ids=tuple(own),
                        price_cents=round(spec.price * 100),
                        feature_runs=_feature_runs(spec.features),
                    )
                )
        self._all_supplier_ids = tuple(supplier_ids)
        self._leaf_cum_weights = list(accumulate(leaf.spec.share for leaf in self._leaves))

    def _supplier_count(self) -> int:
        # A bigger catalog has a few more suppliers, but stays in the hundreds.
        return 120 + 20 * math.ceil(math.log10(self.products + 1))

    def _suppliers(self) -> Iterator[Supplier]:
        rng = self._reference_rng
        country_weights = list(accumulate(country[1] for country in _COUNTRIES))
        seen: set[str] = set()
        while len(seen) < self._supplier_count():
            code, _, suffixes, tld, phone_prefix = rng.choices(
                _COUNTRIES, cum_weights=country_weights
            )[0]
            if rng.random() < 0.3:
                if rng.random() < 0.5:
                    a, b = rng.sample(_SUPPLIER_SURNAMES, 2)
                    trade = f"{a} & {b}"
                else:
                    trade = f"{rng.choice(_SUPPLIER_SURNAMES)} {rng.choice(_SUPPLIER_TRADES)}"
            else:
                trade = f"{rng.choice(_SUPPLIER_PREFIXES)} {rng.choice(_SUPPLIER_TRADES)}"
            name = f"{trade} {rng.choice(suffixes)}"
            if name in seen:
                continue
            seen.add(name)
            email = ""
            if rng.random() < 0.75:
                domain = slugify(trade.replace("&", "and"))
                mailbox = rng.choice(("sales", "orders", "info", "contact", "b2b"))
                email = f"{mailbox}@{domain}.{tld}"
            phone = ""
            if rng.random() < 0.6:
                digits = "".join(str(rng.randrange(10)) for _ in range(9))
                phone = f"{phone_prefix} {digits[:3]} {digits[3:6]} {digits[6:]}"
            yield Supplier(name=name, country=code, email=email, phone=phone)

    # Products: one random stream, consumed product after product, so the batch size
    # cannot change the data.

    def _drafts(self) -> Iterator[_ProductDraft]:
        for index in range(1, self.products + 1):
            yield self._draft(index)

    def _draft(self, index: int) -> _ProductDraft:
        rng = self._rng
        random_ = rng.random
        cum_weights = self._leaf_cum_weights
        leaf = self._leaves[bisect(cum_weights, random_() * cum_weights[-1])]
        spec = leaf.spec
        sku = f"{leaf.sku_prefix}{index:06d}"

        anomaly = _pick(random_, ANOMALY_KINDS) if random_() < ANOMALY_RATE else None
        detail = ""

        brand = _pick(random_, spec.brands)
        adjective = _pick(random_, spec.adjectives)
        material = _pick(random_, spec.materials)
        noun = _pick(random_, spec.nouns)
        variant = _pick(random_, spec.variants)
        if material:
            name = f"{brand} {adjective} {material} {noun}"
        else:
            name = f"{brand} {adjective} {noun}"
        if variant:
            name = f"{name}, {variant}"

        if anomaly == "missing_description":
            description = ""
            detail = "description is empty"
        else:
            opening = _pick(random_, _OPENINGS)
            features = _pick(random_, leaf.feature_runs[bool(material), 2 + (random_() < 0.5)])
            closing = _pick(random_, _GENERIC_SENTENCES) if random_() < 0.6 else ""
            description = f"{opening} {features} {closing}".rstrip().format(
                brand=brand, use=spec.use, noun=noun, material=material
            )

        # Lognormal around the subcategory's typical price, clamped to the normal band.
        factor = math.exp(rng.gauss(0.0, spec.sigma))
        factor = min(max(factor, 1 / NORMAL_PRICE_BAND), NORMAL_PRICE_BAND)
        price_cents = _shelf_price(leaf.price_cents * factor)
        if anomaly == "price_outlier":
            low, high = OUTLIER_FACTOR
            off = low + (high - low) * random_()
            if random_() < 0.5:
                price_cents = _shelf_price(leaf.price_cents * off)
            else:
                price_cents = max(5, round(leaf.price_cents / off))
            detail = (
                f"price {_money(price_cents)} is {price_cents / leaf.price_cents:.3g}x the "
                f"typical {_money(leaf.price_cents)} of {leaf.path}"
            )
        if anomaly == "price_below_cost":
            cost_cents = math.ceil(price_cents * (1.1 + 0.5 * random_()))
            detail = f"price {_money(price_cents)} is below cost {_money(cost_cents)}"
        else:
            cost_cents = max(1, int(price_cents * (0.4 + 0.4 * random_())))

        if anomaly == "zero_weight":
            weight_grams = 0
            detail = "weight is 0 kg"
        else:
            low, high = spec.weight
            weight_grams = max(5, round(1000 * (low + (high - low) * random_())))

        roll = random_() * _STATUS_CUM_WEIGHTS[-1]
        status = _STATUSES[bisect(_STATUS_CUM_WEIGHTS, roll)]
        is_active = status == _ACTIVE or (status == _DISCONTINUED and random_() < 0.1)

        created = int(random_() * _PRODUCT_SPAN_SECONDS)
        horizon = int((30 + 300 * random_()) * _DAY)
        updated = created + int(random_() * horizon)

        if status == _DRAFT:
            movements: list[_MovementRow] = []
            stock = 0
        else:
            movements, stock = self._movements(created, horizon)
        if anomaly == "negative_stock":
            stock = -1 - int(40 * random_())
            detail = f"stock is {stock}"

        reviews = self._reviews(created, horizon, at_least_one=anomaly == "rating_mismatch")
        if anomaly == "rating_mismatch":
            position = int(random_() * len(reviews))
            rating, _, _, author, at = reviews[position]
            if rating == 3:
                rating = 1 if random_() < 0.5 else 5
            # The stars stay, the words say the opposite.
            _, title, text, _, _ = self._review(1 if rating >= 4 else 5, at)
            reviews[position] = (rating, title, text, author, at)
            detail = f"review by {author}: {rating} stars but titled {title!r}"

        roll = random_() * _TAG_COUNT_CUM_WEIGHTS[-1]
        tag_count = bisect(_TAG_COUNT_CUM_WEIGHTS, roll)
        tag_ids = rng.sample(self._tag_ids, tag_count) if tag_count else []

        suppliers = leaf.supplier_ids if random_() < 0.85 else self._all_supplier_ids
        row: _ProductRow = (
            sku,
            name,
            description,
            leaf.category_id,
            _pick(random_, suppliers),
            Decimal(price_cents).scaleb(-2),
            Decimal(cost_cents).scaleb(-2),
            stock,
            Decimal(weight_grams).scaleb(-3),
            status,
            is_active,
            BASE_TIME + _SECOND * created,
            BASE_TIME + _SECOND * updated,
        )
        label = None
        if anomaly is not None:
            label = AnomalyLabel(sku, anomaly, _ANOMALY_FIELDS[anomaly], detail)
        return _ProductDraft(row, movements, reviews, tag_ids, label)

    def _movements(self, created: int, horizon: int) -> tuple[list[_MovementRow], int]:
        """Return a plausible stock ledger and the stock it leaves, never below zero."""
        random_ = self._rng.random
        if random_() < BUSY_PRODUCT_RATE:
            count = 100 + int(300 * random_())
        else:
            count = bisect(_MOVEMENT_COUNT_CUM_WEIGHTS, random_() * _MOVEMENT_COUNT_CUM_WEIGHTS[-1])
        start = BASE_TIME + _SECOND * created
        stock = 0
        movements = []
        # random() arithmetic rather than randint(): this loop runs for every movement.
        for offset in sorted([int(random_() * horizon) for _ in range(count)]):
            roll = random_()
            if stock == 0 or roll < 0.2:
                quantity, reason = 10 + int(190 * random_()), _PURCHASE
            elif roll < 0.82:
                quantity, reason = -1 - int(min(stock, 12) * random_()), _SALE
            elif roll < 0.9:
                quantity, reason = 1 + int(3 * random_()), _RETURN
            elif roll < 0.96:
                quantity, reason = max(-stock, int(7 * random_()) - 3) or 1, _ADJUSTMENT
            else:
                quantity, reason = -1 - int(min(stock, 3) * random_()), _DAMAGE
            stock += quantity
            movements.append((quantity, reason, start + _SECOND * offset))
        return movements, stock

    def _reviews(self, created: int, horizon: int, *, at_least_one: bool) -> list[_ReviewRow]:
        rng = self._rng
        random_ = rng.random
        count = bisect(_REVIEW_COUNT_CUM_WEIGHTS, random_() * _REVIEW_COUNT_CUM_WEIGHTS[-1])
        if at_least_one:
            count = max(count, 1)
        reviews = []
        for _ in range(count):
            rating = 1 + bisect(_RATING_CUM_WEIGHTS, random_() * _RATING_CUM_WEIGHTS[-1])
            at = BASE_TIME + _SECOND * (created + _DAY + int(random_() * horizon))
            reviews.append(self._review(rating, at))
        return reviews

    def _review(self, rating: int, at: datetime) -> _ReviewRow:
        random_ = self._rng.random
        sentences = _SENTENCES_BY_RATING[rating]
        text = _pick(random_, sentences)
        if random_() < 0.6:
            second = _pick(random_, sentences)
            if second != text:
                text = f"{text} {second}"
        title = _pick(random_, _TITLES_BY_RATING[rating])
        return rating, title, text, _pick(random_, _AUTHORS), at

    # Insertion

    def _insert(self, batch: list[_ProductDraft]) -> None:
        if self.use_copy:
            with connections[self.using].cursor() as cursor:
                # A crash loses at most the last batches, never consistency; the
                # flush to disk after every batch no longer holds up the next.
                cursor.execute("SET LOCAL synchronous_commit = off")
            product_ids = self._reserve_product_ids(len(batch))
            self._copy(Product, ("id", *PRODUCT_FIELDS), _with_ids(product_ids, batch))
        else:
            product_ids = self._bulk_create_products(batch)
        movements = [
            (product_id, *movement)
            for product_id, draft in zip(product_ids, batch, strict=True)
            for movement in draft.movements
        ]
        reviews = [
            (product_id, *review)
            for product_id, draft in zip(product_ids, batch, strict=True)
            for review in draft.reviews
        ]
        links = [
            (product_id, tag_id)
            for product_id, draft in zip(product_ids, batch, strict=True)
            for tag_id in draft.tag_ids
        ]
        Link = Product.tags.through
        for model, fields, rows in (
            (StockMovement, MOVEMENT_FIELDS, movements),
            (Review, REVIEW_FIELDS, reviews),
            (Link, TAG_LINK_FIELDS, links),
        ):
            if self.use_copy:
                self._copy(model, fields, rows)
            else:
                self._bulk_create(model, fields, rows)
        report_rows = self.report.rows
        report_rows["Product"] += len(batch)
        report_rows["StockMovement"] += len(movements)
        report_rows["Review"] += len(reviews)
        report_rows["Product.tags"] += len(links)

    def _bulk_create_products(self, batch: list[_ProductDraft]) -> list[int]:
        products = [Product(**dict(zip(PRODUCT_FIELDS, d.row, strict=True))) for d in batch]
        Product.objects.using(self.using).bulk_create(products)
        return self._pks(Product, products, "sku")

    def _bulk_create(
        self, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        model._default_manager.using(self.using).bulk_create(
            [model(**dict(zip(fields, values, strict=True))) for values in rows]
        )

    def _reserve_product_ids(self, count: int) -> list[int]:
        """Take ``count`` ids from the product id sequence (PostgreSQL)."""
        opts = Product._meta
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())

    def _copy(
        self, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        """Stream ``rows`` (values of ``fields``) into ``model``'s table with COPY.

        Binary COPY: psycopg encodes datetimes several times faster in binary than as
        text, and the server has no text to parse.
        """
        connection = connections[self.using]
        quote = connection.ops.quote_name
        opts = model._meta
        by_name = {f.attname: f for f in opts.concrete_fields}
        columns: list[str] = []
        types: list[str] = []
        for name in fields:
            field = by_name[name]
            db_type = field.db_type(connection)
            if field.column is None or db_type is None:
                raise TypeError(f"{opts.label}.{name} has no database column")
            columns.append(quote(field.column))
            # The binary format needs the bare type: "varchar", not "varchar(32)".
            types.append(db_type.split("(")[0])
        statement = f"COPY {quote(opts.db_table)} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            copy.set_types(types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def _pks(self, model: type[_M], objs: list[_M], key: str) -> list[int]:
        """Return the primary keys of just-inserted ``objs``, by ``key`` if need be.

        bulk_create sets them on PostgreSQL, and on SQLite 3.35+ and MariaDB 10.5+;
        elsewhere, look them up by a unique field.
        """
        if all(obj.pk is not None for obj in objs):
            return [obj.pk for obj in objs]
        ids = dict(
            model._default_manager.using(self.using)
            .filter(**{f"{key}__in": [getattr(obj, key) for obj in objs]})
            .values_list(key, "pk")
        )
        for obj in objs:
            obj.pk = ids[getattr(obj, key)]
        return [obj.pk for obj in objs]


def _pick(random_: Callable[[], float], options: Sequence[_T]) -> _T:
    """``random.choice``, at a third of the cost; it runs a dozen times per product."""
    return options[int(random_() * len(options))]


def _feature_runs(features: tuple[str, ...]) -> dict[tuple[bool, int], tuple[str, ...]]:
    plain = tuple(f for f in features if "{material}" not in f)
    return {
        (has_material, length): tuple(
            " ".join(run) for run in permutations(features if has_material else plain, length)
        )
        for has_material in (False, True)
        for length in (2, 3)
    }


def _take(drafts: Iterator[_ProductDraft], count: int) -> list[_ProductDraft]:
    return list(islice(drafts, count))


def _supports_copy(using: str) -> bool:
    if connections[using].vendor != "postgresql":
        return False
    # Imported here: sites on other databases need not have psycopg installed.
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def _with_ids(product_ids: list[int], batch: list[_ProductDraft]) -> Iterator[tuple[object, ...]]:
    for product_id, draft in zip(product_ids, batch, strict=True):
        yield (product_id, *draft.row)


_ANOMALY_FIELDS = {
    "negative_stock": "stock",
    "price_below_cost": "price",
    "price_outlier": "price",
    "missing_description": "description",
    "zero_weight": "weight",
    "rating_mismatch": "reviews",
}


def _shelf_price(cents: float) -> int:
    """Round a price the way shops do: 24.99 above ten, 4.49 or 4.99 below."""
    if cents >= 1000:
        return max(1, round(cents / 100)) * 100 - 1
    return max(1, round(cents / 50)) * 50 - 1


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"
