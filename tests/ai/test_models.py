"""The AI models: their app and tables, generic target, severity, the latest insight per
record in one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from demo.catalog.models import Product
from toolkit.ai.models import (
    RUN_AI_PERMISSION,
    VIEW_INSIGHT_PERMISSION,
    AIReservation,
    AIUsage,
    Insight,
    max_severity,
    permission_name,
)

pytestmark = pytest.mark.django_db


def insight(product, kind="summary", *, minutes=0, **fields):
    ct = ContentType.objects.get_for_model(Product)
    return Insight.objects.create(
        content_type=ct,
        object_id=str(product.pk),
        kind=kind,
        action=kind,
        created_at=timezone.now() - timedelta(minutes=minutes),
        **fields,
    )


def test_the_ai_permissions_belong_to_the_ai_app():
    permission = Permission.objects.get(codename="run_ai")
    assert permission.content_type.app_label == "toolkit_ai"
    assert permission.name == "Can run AI actions"
    assert RUN_AI_PERMISSION == "toolkit_ai.run_ai"
    assert VIEW_INSIGHT_PERMISSION == "toolkit_ai.view_insight"
    assert Permission.objects.filter(
        content_type__app_label="toolkit_ai", codename="view_insight"
    ).exists()


def test_the_models_keep_the_tables_they_had_in_the_core_app():
    assert (Insight._meta.app_label, Insight._meta.db_table) == ("toolkit_ai", "toolkit_insight")
    assert AIUsage._meta.db_table == "toolkit_aiusage"
    assert AIReservation._meta.db_table == "toolkit_aireservation"


@pytest.mark.parametrize(
    "old, new",
    [
        ("toolkit.run_ai", "toolkit_ai.run_ai"),
        ("toolkit.view_insight", "toolkit_ai.view_insight"),
        ("toolkit.change_aiusage", "toolkit_ai.change_aiusage"),
        ("toolkit_ai.run_ai", "toolkit_ai.run_ai"),
        ("catalog.view_product", "catalog.view_product"),
        ("toolkit.view_savedview", "toolkit.view_savedview"),
    ],
)
def test_permission_names_from_before_the_ai_app_are_read_under_its_label(old, new):
    assert permission_name(old) == new


def test_importing_the_models_without_the_app_installed_names_the_fix(settings):
    import importlib
    import sys

    from toolkit.exceptions import ToolkitConfigurationError

    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "toolkit.ai"]
    saved = sys.modules.pop("toolkit.ai.models")
    try:
        with pytest.raises(ToolkitConfigurationError, match=r"'toolkit\.ai' in INSTALLED_APPS"):
            importlib.import_module("toolkit.ai.models")
    finally:
        sys.modules["toolkit.ai.models"] = saved


def test_latest_for_a_page_of_objects_is_one_query(catalog, django_assert_num_queries):
    products = list(Product.objects.order_by("pk")[:20])
    for product in products:
        insight(product, minutes=10, text="old")
        insight(product, minutes=1, text="new")
        insight(product, "anomalies", minutes=0, text="flags")
    ContentType.objects.get_for_model(Product)  # cached, as on any warm server
    with django_assert_num_queries(1):
        latest = Insight.objects.latest_for(products, kind="summary")
    assert {i.text for i in latest.values()} == {"new"}
    assert set(latest) == {str(p.pk) for p in products}
    with django_assert_num_queries(1):
        any_kind = Insight.objects.latest_for(products)
    assert {i.text for i in any_kind.values()} == {"flags"}


def test_latest_for_a_queryset_stays_one_query(catalog, django_assert_num_queries):
    products = list(Product.objects.order_by("pk")[:5])
    for product in products[:3]:
        insight(product, text=f"p{product.pk}")
    queryset = Product.objects.filter(pk__in=[p.pk for p in products])
    ContentType.objects.get_for_model(Product)
    with django_assert_num_queries(1):
        latest = Insight.objects.latest_for(queryset, kind="summary")
    assert set(latest) == {str(p.pk) for p in products[:3]}


def test_latest_for_nothing_is_empty_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Insight.objects.latest_for([]) == {}


def test_for_object_is_newest_first_and_target_resolves(catalog):
    product = Product.objects.first()
    old = insight(product, minutes=5)
    new = insight(product, minutes=0)
    assert list(Insight.objects.for_object(product)) == [new, old]
    assert new.target == product


def test_set_flags_keeps_the_highest_severity_and_its_rank():
    item = Insight()
    item.set_flags([{"severity": "info"}, {"severity": "critical"}, {"severity": "warning"}])
    assert (item.max_severity, item.severity_rank) == ("critical", 3)
    item.set_flags([])
    assert (item.max_severity, item.severity_rank) == ("", 0)
    assert max_severity([{"severity": "bogus"}, {"severity": "info"}]) == "info"


def test_daily_count_covers_todays_insights_of_one_person(catalog, superuser, viewer):
    product = Product.objects.first()
    insight(product, requested_by=superuser)
    insight(product, requested_by=superuser, status="failed")
    insight(product, requested_by=viewer)
    insight(product, requested_by=superuser, minutes=60 * 30)
    assert Insight.objects.created_by_on(superuser).count() == 2
    insight(product, "digest", requested_by=superuser, record_count=40)
    assert Insight.objects.records_sent_by_on(superuser) == 42
