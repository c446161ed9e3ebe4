"""Moving the AI models from ``toolkit`` to ``toolkit_ai`` keeps every row, id and grant.

A database is taken back to the schema of before the move (``toolkit`` 0002, no
``toolkit_ai``), filled through the historical models as a site's would be, and
migrated forward again.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from toolkit.ai.models import AIReservation, AIUsage, Insight

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = [("toolkit", "0002_ai_usage"), ("toolkit_ai", None)]


def migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    return executor


@pytest.fixture
def old_database():
    """The database at the schema of before the move; migrated forward again after."""
    executor = migrate(BEFORE_THE_MOVE)
    try:
        yield executor.loader.project_state(("toolkit", "0002_ai_usage")).apps
    finally:
        migrate()


def fill(old):
    """What a site had before the move: insights, the daily ledger, granted permissions."""
    ContentType_ = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    Group = old.get_model("auth", "Group")
    User = old.get_model("auth", "User")
    insight_type, _ = ContentType_.objects.get_or_create(app_label="toolkit", model="insight")
    run_ai, _ = Permission.objects.get_or_create(
        content_type=insight_type, codename="run_ai", defaults={"name": "Can run AI actions"}
    )
    view_insight, _ = Permission.objects.get_or_create(
        content_type=insight_type, codename="view_insight", defaults={"name": "Can view AI insight"}
    )
    analyst = User.objects.create(username="analyst", is_staff=True, is_active=True)
    analyst.user_permissions.add(run_ai)
    readers = Group.objects.create(name="readers")
    readers.permissions.add(view_insight)
    reader = User.objects.create(username="reader", is_staff=True, is_active=True)
    reader.groups.add(readers)

    target = ContentType_.objects.get(app_label="auth", model="user")
    Insight_ = old.get_model("toolkit", "Insight")
    for pk in (7, 42):
        Insight_.objects.create(
            pk=pk,
            content_type=target,
            object_id=str(analyst.pk),
            kind="summary",
            action="summarize",
            text=f"insight {pk}",
            requested_by=analyst,
        )
    usage = old.get_model("toolkit", "AIUsage").objects.create(
        pk=3, user=analyst, day=datetime.date(2026, 12, 1), records=12
    )
    old.get_model("toolkit", "AIReservation").objects.create(
        pk=5, usage=usage, job_id=99, records=4
    )
    return {"insight_type": insight_type.pk, "target": target.pk, "analyst": analyst.pk}


def test_rows_ids_and_granted_permissions_survive_the_move(old_database):
    before = fill(old_database)

    migrate()

    insights = Insight.objects.order_by("pk")
    assert [(i.pk, i.text, i.content_type_id) for i in insights] == [
        (7, "insight 7", before["target"]),
        (42, "insight 42", before["target"]),
    ]
    assert insights[0].requested_by_id == before["analyst"]
    usage = AIUsage.objects.get()
    assert (usage.pk, usage.records, usage.user_id) == (3, 12, before["analyst"])
    reservation = AIReservation.objects.get()
    assert (reservation.pk, reservation.usage_id, reservation.job_id) == (5, 3, 99)

    # The content type moved (same row), so the permissions on it did too.
    moved = ContentType.objects.get_for_model(Insight)
    assert (moved.pk, moved.app_label) == (before["insight_type"], "toolkit_ai")
    assert not ContentType.objects.filter(app_label="toolkit", model="insight").exists()
    users = get_user_model().objects
    analyst, reader = users.get(username="analyst"), users.get(username="reader")
    assert analyst.has_perm("toolkit_ai.run_ai") and not analyst.has_perm("toolkit.run_ai")
    assert reader.has_perm("toolkit_ai.view_insight") and not reader.has_perm("toolkit_ai.run_ai")


def test_migrating_back_returns_the_content_types_to_the_core_app(old_database):
    assert ContentType.objects.filter(app_label="toolkit", model="insight").exists()
    assert not ContentType.objects.filter(app_label="toolkit_ai").exists()


def test_a_content_type_already_in_the_ai_app_is_left_alone(old_database):
    fill(old_database)
    ContentType.objects.create(app_label="toolkit_ai", model="insight")

    migrate()

    assert ContentType.objects.filter(app_label="toolkit", model="insight").exists()
    assert ContentType.objects.filter(app_label="toolkit_ai", model="insight").count() == 1
