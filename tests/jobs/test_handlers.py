"""A kind of job is a registered JobHandler: its declaration is checked when registered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from demo.catalog.models import Product
from toolkit.exceptions import ToolkitConfigurationError
from toolkit.jobs import (
    ChunkResult,
    JobHandler,
    JobTargetTooLarge,
    UnknownJobKind,
    get_handler,
    register,
    registered_handlers,
)
from toolkit.jobs.handlers import unregister
from toolkit.jobs.models import Job

from .handlers import BumpStock


def test_public_names_are_importable_from_the_package():
    import toolkit.jobs

    for name in toolkit.jobs.__all__:
        assert getattr(toolkit.jobs, name) is not None
    assert toolkit.jobs.Job is Job


def test_registered_handlers_are_found_by_name():
    assert registered_handlers()["tests.bump_stock"] is BumpStock
    assert isinstance(get_handler("tests.bump_stock"), BumpStock)


def test_unknown_kind_names_the_kind_and_where_handlers_come_from():
    with pytest.raises(UnknownJobKind, match=r"'nope'.*INSTALLED_APPS.*`jobs` module"):
        get_handler("nope")


def test_handler_without_a_name_is_refused():
    with pytest.raises(ToolkitConfigurationError, match="needs a `name`"):

        @register
        class Nameless(JobHandler):
            def process_chunk(self, job, objects):
                return None


def test_handler_without_process_chunk_is_refused_with_its_name():
    with pytest.raises(ToolkitConfigurationError, match=r"Lazy must define process_chunk"):

        @register
        class Lazy(JobHandler):
            name = "tests.lazy"


def test_base_process_chunk_raises_not_implemented_naming_the_class():
    class Forgetful(JobHandler):
        name = "tests.forgetful"

    with pytest.raises(NotImplementedError, match="Forgetful must define process_chunk"):
        Forgetful().process_chunk(Job(), [])


@pytest.mark.parametrize("size", [0, -5, "100", 2.5])
def test_bad_chunk_size_is_refused(size):
    with pytest.raises(ToolkitConfigurationError, match="chunk_size must be a positive integer"):

        @register
        class Odd(JobHandler):
            name = "tests.odd"
            chunk_size = size

            def process_chunk(self, job, objects):
                return None


def test_two_classes_cannot_share_a_name():
    with pytest.raises(ToolkitConfigurationError, match="Two job handlers are named"):

        @register
        class Impostor(JobHandler):
            name = "tests.bump_stock"

            def process_chunk(self, job, objects):
                return None

    assert registered_handlers()["tests.bump_stock"] is BumpStock


def test_registering_the_same_class_again_is_harmless():
    assert register(BumpStock) is BumpStock


def test_unregister_forgets_a_handler():
    @register
    class Temporary(JobHandler):
        name = "tests.temporary"

        def process_chunk(self, job, objects):
            return None

    unregister("tests.temporary")
    assert "tests.temporary" not in registered_handlers()


def test_chunk_size_falls_back_to_the_toolkit_setting(settings):
    class Plain(JobHandler):
        name = "tests.plain"

    settings.TOOLKIT_CHUNK_SIZE = 7
    assert Plain().get_chunk_size(Job()) == 7
    assert BumpStock().get_chunk_size(Job()) == 25


def test_capabilities_have_safe_defaults():
    handler = JobHandler()
    assert handler.produces_file is False
    assert handler.cancellable is True
    assert handler.get_stale_after(Job()) == timedelta(minutes=5)
    assert handler.get_queue_name(Job()) is None
    assert ChunkResult() == ChunkResult(done=0, failed=0, output=b"")


def test_small_queryset_is_stored_as_its_primary_keys(catalog):
    products = Product.objects.order_by("pk")[:5]
    pks = list(products.values_list("pk", flat=True))
    target = BumpStock().get_target(Product.objects.filter(pk__in=pks))
    assert sorted(target["pks"]) == pks


def test_queryset_above_max_target_pks_asks_for_a_target_spec(catalog):
    class Small(BumpStock):
        max_target_pks = 10

    with pytest.raises(JobTargetTooLarge, match="at most 10 primary keys"):
        Small().get_target(Product.objects.all())


def test_default_queryset_understands_pks_filter_and_whole_table(catalog, django_user_model):
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Product)
    some = list(Product.objects.order_by("pk").values_list("pk", flat=True)[:3])
    handler = BumpStock()

    by_pks = Job(kind=handler.name, target_type=ct, target={"pks": some})
    assert sorted(handler.get_queryset(by_pks).values_list("pk", flat=True)) == some

    by_filter = Job(kind=handler.name, target_type=ct, target={"filter": {"status": "active"}})
    expected = Product.objects.filter(status="active").count()
    assert handler.get_queryset(by_filter).count() == expected

    everything = Job(kind=handler.name, target_type=ct, target={})
    assert handler.get_queryset(everything).count() == Product.objects.count()


def test_job_without_target_model_needs_its_own_queryset():
    with pytest.raises(NotImplementedError, match="must override get_queryset"):
        BumpStock().get_queryset(Job(kind="tests.bump_stock"))
