"""``manage.py ai_evaluate``: the stored anomaly flags scored against a labels file, per
kind, with a sentence (and line numbers) for every kind of bad file."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from demo.catalog.models import Product
from toolkit.ai.evaluation import flag_kind, score
from toolkit.ai.models import Insight

pytestmark = pytest.mark.django_db


def flag(kind, source="rule", **extra):
    return {"kind": kind, "field": "price", "severity": "warning", "source": source, **extra}


@pytest.fixture
def flagged(catalog):
    """Five products: two flagged rightly, one flagged wrongly, one missed, one clean;
    the first also has an older insight that must not count."""
    products = list(Product.objects.order_by("pk")[:5])
    content_type = ContentType.objects.get_for_model(Product)

    def store(product, flags):
        return Insight.objects.create(
            content_type=content_type,
            object_id=str(product.pk),
            kind="anomalies",
            action="flag_anomalies",
            flags=flags,
        )

    store(products[0], [flag("markup", "content")])
    store(products[0], [flag("price_outlier", "statistics"), flag("negative_stock")])
    store(products[1], [flag("markup", "content")])
    store(products[2], [flag("price_outlier", "statistics")])
    store(products[3], [])
    store(products[4], [])
    return products


def labels_file(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "labels.csv"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("ai_evaluate", "catalog.Product", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def good_labels(products):
    a, b, c, d, e = (p.sku for p in products)
    return f"sku,kinds\n{a},price_outlier;negative_stock\n{b},markup\n{c},\n{d},zero_weight\n{e},\n"


def test_the_table_scores_each_kind_and_the_last_line_sums_up(flagged, tmp_path):
    out, err = run("--labels", labels_file(tmp_path, good_labels(flagged)))
    lines = out.splitlines()
    assert lines[0].startswith("5 labelled records of catalog.Product (3 with kinds, 3 flagged)")
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:6]}
    assert rows == {
        "markup": ["1", "1", "1.000", "1", "1", "1.000"],
        "negative_stock": ["1", "1", "1.000", "1", "1", "1.000"],
        "price_outlier": ["1", "1", "1.000", "2", "1", "0.500"],
        "zero_weight": ["1", "0", "0.000", "0", "0", "1.000"],
    }
    assert f"price_outlier wrongly flagged (1): {flagged[2].sku}" in out
    assert f"zero_weight missed (1): {flagged[3].sku}" in out
    # 3 of the 4 expected (record, kind) pairs found; 3 of the 4 flags right.
    assert lines[-1] == "recall=0.750 precision=0.750"
    assert err == ""


def test_with_any_kind_any_flag_finds_a_labelled_record(flagged, tmp_path):
    a, b, c, d, e = (p.sku for p in flagged)
    text = f"sku,kinds\n{a},cheap_price\n{b},html\n{c},\n{d},\n{e},odd\n"
    out, err = run("--labels", labels_file(tmp_path, text), "--any-kind")
    # a and b found, e missed; c wrongly flagged: records, not kinds.
    assert out.splitlines()[-1] == "recall=0.667 precision=0.667"
    assert "Kinds the toolkit does not flag (scored with --any-kind)" in err
    assert "'cheap_price' on line 2" in err and "'odd' on line 6" in err


def test_json_lists_every_record_missed_or_wrongly_flagged(flagged, tmp_path):
    report = tmp_path / "report.json"
    out, _ = run("--labels", labels_file(tmp_path, good_labels(flagged)), "--json", str(report))
    data = json.loads(report.read_text())
    assert (data["model"], data["key"], data["mode"]) == ("catalog.Product", "sku", "by kind")
    assert (data["recall"], data["precision"]) == (0.75, 0.75)
    kinds = {kind["kind"]: kind for kind in data["kinds"]}
    assert kinds["zero_weight"]["missed"] == [flagged[3].sku]
    assert kinds["price_outlier"]["wrong"] == [flagged[2].sku]
    assert out.splitlines()[-1] == "recall=0.750 precision=0.750"

    out, _ = run("--labels", labels_file(tmp_path, good_labels(flagged)), "--json", "-")
    body, last = out.rstrip("\n").rsplit("\n", 1)
    assert json.loads(body)["recall"] == 0.75 and last == "recall=0.750 precision=0.750"


def test_records_without_stored_flags_are_reported_and_count_as_not_flagged(catalog, tmp_path):
    product = Product.objects.order_by("pk").first()
    out, err = run("--labels", labels_file(tmp_path, f"sku,kinds\n{product.sku},negative_stock\n"))
    assert "1 labelled record has no stored anomaly flags" in err
    assert "ai_summarize catalog.Product --kind anomalies" in err
    assert out.splitlines()[-1] == "recall=0.000 precision=1.000"


def test_the_seeders_labels_file_reads_as_it_is(flagged, tmp_path):
    text = f"sku,anomaly,field,detail\n{flagged[0].sku},negative_stock,stock,stock is -3\n"
    out, _ = run("--labels", labels_file(tmp_path, text))
    assert out.splitlines()[-1] == "recall=1.000 precision=0.500"


def test_a_bom_and_windows_line_ends_are_fine(flagged, tmp_path):
    text = good_labels(flagged).replace("\n", "\r\n")
    out, _ = run("--labels", labels_file(tmp_path, text, encoding="utf-8-sig"))
    assert out.splitlines()[-1] == "recall=0.750 precision=0.750"


# -- bad input: a sentence with line numbers, never a traceback ------------------------------


def error_of(tmp_path, content, *args):
    with pytest.raises(CommandError) as caught:
        run("--labels", labels_file(tmp_path, content), *args)
    return str(caught.value)


def test_unknown_keys_are_listed_with_their_lines(flagged, tmp_path):
    text = f"sku,kinds\n{flagged[0].sku},\nNOPE-1,markup\n{flagged[1].sku},\nNOPE-2,\n"
    message = error_of(tmp_path, text)
    assert "line 3: no catalog.Product has sku 'NOPE-1'." in message
    assert "line 5: no catalog.Product has sku 'NOPE-2'." in message


def test_unknown_kinds_are_an_error_with_their_lines(flagged, tmp_path):
    a, b = flagged[0].sku, flagged[1].sku
    text = f"sku,kinds\n{a},price_outlier;prise_outlier\n{b},prise_outlier\n"
    message = error_of(tmp_path, text)
    assert "kinds the toolkit does not flag for catalog.Product" in message
    assert "'prise_outlier' on lines 2, 3" in message
    assert "It flags: " in message and "price_outlier" in message and "--any-kind" in message


def test_a_file_that_is_not_utf8_names_the_line(flagged, tmp_path):
    text = f"sku,kinds\n{flagged[0].sku},\n{flagged[1].sku},caf\u00e9\n".encode("latin-1")
    message = error_of(tmp_path, text)
    assert "line 3 is not UTF-8 (byte 0xe9 at column" in message and "CSV UTF-8" in message


def test_a_missing_header_is_an_error(flagged, tmp_path):
    message = error_of(tmp_path, f"{flagged[0].sku},markup\n")
    assert "line 1: the header's first column is" in message
    assert "unique field (id, sku), e.g. 'sku,kinds'" in message


def test_a_misnamed_header_suggests_the_field(flagged, tmp_path):
    message = error_of(tmp_path, f"skus,kinds\n{flagged[0].sku},\n")
    assert "'skus', which is not a field of catalog.Product" in message
    assert "Did you mean 'sku'?" in message


def test_a_header_without_the_kinds_column_is_an_error(flagged, tmp_path):
    message = error_of(tmp_path, f"sku\n{flagged[0].sku}\n")
    assert "line 1: the header needs a second column" in message


def test_a_key_column_that_is_not_unique_is_an_error(flagged, tmp_path):
    message = error_of(tmp_path, f"name,kinds\n{flagged[0].name},\n")
    assert "line 1: the key column 'name' is not a unique field of catalog.Product" in message
    assert "name a unique one: id, sku" in message


def test_a_key_twice_is_an_error_naming_both_lines(flagged, tmp_path):
    sku = flagged[0].sku
    message = error_of(tmp_path, f"sku,kinds\n{sku},\n{flagged[1].sku},\n{sku},markup\n")
    assert f"line 4: sku '{sku}' is also on line 2." in message


def test_ids_that_are_not_numbers_are_an_error(flagged, tmp_path):
    message = error_of(tmp_path, f"id,kinds\n{flagged[0].pk},\nabc,\n")
    assert "line 3: 'abc' is not a id:" in message


def test_an_empty_or_missing_file_is_an_error(catalog, tmp_path):
    assert "the file is empty: write a header row first, e.g. 'sku,kinds'" in error_of(
        tmp_path, "\n\n"
    )
    with pytest.raises(CommandError, match="Cannot read the labels file"):
        run("--labels", str(tmp_path / "missing.csv"))


def test_a_file_that_is_not_csv_is_an_error(catalog, tmp_path):
    message = error_of(tmp_path, 'sku,kinds\nA-1,\n"B-2"x,markup\n')
    assert "line 3: this is not CSV that can be read (',' expected after '\"')." in message


# -- scoring --------------------------------------------------------------------------------


def test_scores_count_pairs_by_kind_and_records_with_any_kind():
    expected = {"a": frozenset({"x", "y"}), "b": frozenset(), "c": frozenset({"x"})}
    flagged = {"a": {"x"}, "b": {"z"}, "c": None}
    by_kind = score(expected, flagged)
    assert (by_kind.hits, by_kind.expected, by_kind.correct, by_kind.raised) == (1, 3, 1, 2)
    assert by_kind.not_evaluated == ["c"]
    kinds = {kind.kind: kind for kind in by_kind.kinds}
    assert (kinds["x"].recall, kinds["x"].precision, kinds["x"].missed) == (0.5, 1.0, ["c"])
    assert (kinds["z"].recall, kinds["z"].precision, kinds["z"].wrong) == (1.0, 0.0, ["b"])
    any_kind = score(expected, flagged, any_kind=True)
    assert (any_kind.recall, any_kind.precision) == (0.5, 0.5)
    assert score({}, {}).recall == score({}, {}).precision == 1.0


def test_flags_stored_before_kinds_get_the_kind_they_would_have_now():
    assert flag_kind({"source": "rule", "rule": "negative_stock"}) == "negative_stock"
    assert flag_kind({"source": "statistics", "field": "supplier.rating"}) == (
        "supplier_rating_outlier"
    )
    assert flag_kind({"source": "model", "field": "name"}) == "model"
    assert flag_kind({"kind": "markup", "source": "content"}) == "markup"
