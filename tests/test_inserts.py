"""toolkit.inserts.insert_rows: the rows bulk_create would write, COPYed on PostgreSQL."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Upper
from django.test.utils import isolate_apps
from django.utils import timezone

from demo.catalog.models import Product
from toolkit.ai.models import Insight
from toolkit.inserts import insert_rows

pytestmark = pytest.mark.django_db


def insight(object_id: str, **values) -> Insight:
    values.setdefault("content_type", ContentType.objects.get_for_model(Product))
    return Insight(object_id=object_id, kind="summary", action="summarize", **values)


def stored(obj: Insight) -> dict:
    """What a row holds, whichever way it was written (primary key and timestamps aside)."""
    row = Insight.objects.filter(object_id=obj.object_id).values().get()
    return {k: v for k, v in row.items() if k not in {"id", "created_at", "updated_at"}}


HOSTILE = 'tab\there, newline\nthere, back\\slash, "quotes", \x01 and ünïcödé'


def test_writes_the_same_rows_as_bulk_create():
    values = {
        "text": HOSTILE,
        "data": {"summary": HOSTILE, "nested": [1, 2.5, None, True]},
        "flags": [{"field": "price", "severity": "warning", "reason": HOSTILE}],
        "max_severity": "warning",
        "severity_rank": 2,
        "tokens_in": 12,
        "job_id": None,
    }
    reference = insight("bulk", **values)
    Insight.objects.bulk_create([reference])
    copied = insight("copy", **values)

    assert insert_rows(Insight, [copied]) == 1

    expected = stored(reference) | {"object_id": "copy"}
    assert stored(copied) == expected


def test_defaults_and_auto_now_are_filled_in():
    before = timezone.now()
    obj = insight("1")
    insert_rows(Insight, [obj])
    row = Insight.objects.get(object_id="1")
    assert row.status == "ok" and row.data == {} and row.flags == [] and row.record_count == 1
    assert row.created_at >= before - datetime.timedelta(seconds=1)
    assert row.updated_at >= before - datetime.timedelta(seconds=1)


def test_objects_are_marked_as_saved_but_get_no_primary_key():
    obj = insight("1")
    insert_rows(Insight, [obj])
    assert obj._state.adding is False and obj._state.db == "default"
    assert Insight.objects.filter(object_id="1").count() == 1


def test_many_rows_in_one_call_and_nothing_for_none():
    assert insert_rows(Insight, []) == 0
    assert insert_rows(Insight, [insight(str(i)) for i in range(500)]) == 500
    assert Insight.objects.count() == 500


def test_a_failing_row_leaves_none_of_the_batch_inside_atomic():
    good = insight("good")
    bad = insight("bad", severity_rank=-1)  # breaks the column's CHECK constraint
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Insight, [good, bad])
    assert not Insight.objects.exists()


def test_an_expression_value_is_written_as_bulk_create_writes_it():
    obj = insight("1", text=Upper(Value("computed by the database")))
    insert_rows(Insight, [obj, insight("2", text="plain")])
    texts = dict(Insight.objects.values_list("object_id", "text"))
    assert texts == {"1": "COMPUTED BY THE DATABASE", "2": "plain"}


@isolate_apps("django.contrib.auth")
def test_a_multi_table_inherited_model_is_refused_as_bulk_create_refuses_it():
    class Staff(User):
        class Meta:
            app_label = "auth"

    with pytest.raises(ValueError, match="multi-table"):
        insert_rows(Staff, [Staff(username="x")])


def test_a_primary_key_the_caller_chose_is_kept():
    insert_rows(Insight, [insight("1", pk=424242)])
    assert Insight.objects.get(object_id="1").pk == 424242


@pytest.mark.postgres
def test_on_postgresql_the_rows_go_through_one_logged_copy(django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        insert_rows(Insight, [insight(str(i)) for i in range(3)])
    (query,) = captured.captured_queries
    assert query["sql"].startswith('COPY "toolkit_insight"') and "3 rows" in query["sql"]
