"""The flags on a labelled catalog unlike the seeder's (bench/labeled_catalog.py: other
kinds, rates and shapes), with an endpoint that suggests nothing: recall >= 0.95 and
precision >= 0.90, per (record, kind) and per record. The bench script measures the
same on 2,000 products."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from bench.labeled_catalog import build, flag_catalog
from demo.catalog.models import Product

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r"recall=([\d.]+) precision=([\d.]+)")


@pytest.fixture
def labelled(tmp_path):
    """500 products in 10 categories, flagged by the product admin's anomaly action."""
    catalog = build(500, seed=1, leaves=10)
    report = flag_catalog(Product.objects.all())
    assert (report.ok, report.failed) == (500, 0)
    path = tmp_path / "labels.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        catalog.write_labels(out)
    assert 60 <= catalog.anomalous <= 120
    return str(path)


def evaluate(labels, *args):
    out = io.StringIO()
    call_command("ai_evaluate", "catalog.Product", "--labels", labels, *args, stdout=out)
    recall, precision = map(float, SUMMARY.fullmatch(out.getvalue().splitlines()[-1]).groups())
    return out.getvalue(), recall, precision


def test_the_flags_find_the_anomalies_of_a_labelled_catalog(labelled):
    table, recall, precision = evaluate(labelled)
    assert recall >= 0.95 and precision >= 0.90, table
    for kind in ("markup", "formula", "prompt_injection", "control_characters"):
        assert re.search(rf"^{kind} .* 1\.000 .* 1\.000$", table, re.MULTILINE), table
    _, recall, precision = evaluate(labelled, "--any-kind")
    assert recall >= 0.95 and precision >= 0.90
