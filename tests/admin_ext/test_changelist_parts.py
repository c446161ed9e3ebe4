"""One changelist entry point: ``changelist_view`` and ``get_changelist`` are defined once,
in ``ToolkitAdminMixin``, and build the page and its ChangeList class from the parts the
mixins declare; an admin's own overrides of those hooks keep working."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse

from demo.catalog.models import Product, Review
from tests.admin_ext import site_own_hooks
from toolkit.admin_ext import ChangeListPart, ToolkitAdminMixin
from toolkit.admin_ext.changelist import PerformanceChangeListMixin
from toolkit.admin_ext.filters.validation import FilterValidationMixin
from toolkit.admin_ext.parts import compose_changelist
from toolkit.admin_ext.selection import ResultlessChangeListMixin

TOOLKIT = Path(__file__).resolve().parents[2] / "toolkit"
PRODUCTS = "/admin/catalog/product/"
REVIEWS = "/admin/catalog/review/"

own_hooks = pytest.mark.urls("tests.admin_ext.site_own_hooks")


def definitions(name):
    """``(module path, class)`` of every method ``name`` defined in ``toolkit/``."""
    found = set()
    for path in TOOLKIT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == name:
                        found.add((str(path.relative_to(TOOLKIT.parent)), node.name))
    return found


def request_for(rf, user, method="get", data=None):
    request = getattr(rf, method)(PRODUCTS, data or {})
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


# --- defined once ---------------------------------------------------------------------


def test_changelist_view_is_defined_once_for_every_mixin():
    """The jobs' own admin only adds its title; it knows no mixin (jobs imports no
    admin_ext)."""
    assert definitions("changelist_view") == {
        ("toolkit/admin_ext/base.py", "ToolkitAdminMixin"),
        ("toolkit/jobs/admin.py", "JobAdmin"),
    }


def test_get_changelist_is_defined_once():
    assert definitions("get_changelist") == {("toolkit/admin_ext/base.py", "ToolkitAdminMixin")}


# --- an admin's own overrides, beside the mixins ----------------------------------------


@own_hooks
def test_an_admin_overriding_changelist_view_and_get_changelist_keeps_the_toolkits_page(
    admin_client, catalog
):
    response = admin_client.get(PRODUCTS, {"price__gte": "abc"})

    assert response.status_code == 200  # not Django's redirect to ?e=1
    # The admin's own changelist_view added its context...
    assert response.context["project_note"] == "Products of the project"
    # ...its get_changelist was asked and returned the composed class...
    cl = response.context["cl"]
    assert type(cl) is response.wsgi_request.project_changelist_class
    # ...built on the project's ChangeList, with the toolkit's parts in front.
    assert isinstance(cl, site_own_hooks.ProjectChangeList)
    assert isinstance(cl, FilterValidationMixin) and isinstance(cl, PerformanceChangeListMixin)
    assert cl.project_ordering  # the project's own method ran
    html = response.content.decode()
    assert "toolkit-keyset-paginator" in html and "<tfoot" in html
    warnings = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("price" in text for text in warnings)


@own_hooks
def test_a_changelist_of_the_projects_own_that_skips_super_lists_every_row(admin_client, catalog):
    """Its get_queryset() builds no filters: the filters' parts must not need them."""
    response = admin_client.get(REVIEWS, {"rating": "5"})

    assert response.status_code == 200
    cl = response.context["cl"]
    assert isinstance(cl, site_own_hooks.QuietChangeList)
    assert isinstance(cl, FilterValidationMixin)
    assert cl.result_count == Review.objects.count()


# --- the ChangeList class ---------------------------------------------------------------


@own_hooks
def test_the_changelist_class_is_composed_once_per_class_and_parts(rf, superuser):
    model_admin = site_own_hooks.site.get_model_admin(Product)
    listed = model_admin.get_changelist(request_for(rf, superuser))

    assert model_admin.get_changelist(request_for(rf, superuser)) is listed
    another = site_own_hooks.ProductAdmin(Product, site_own_hooks.site)
    assert another.get_changelist(request_for(rf, superuser)) is listed
    assert listed.__bases__ == (
        FilterValidationMixin,
        PerformanceChangeListMixin,
        site_own_hooks.ProjectChangeList,
    )
    assert listed.__name__ == "ProjectChangeList"  # its repr() stays the project's

    action = {"action": "duplicate_selected", ACTION_CHECKBOX_NAME: ["1"], "index": "0"}
    posted = model_admin.get_changelist(request_for(rf, superuser, "post", action))
    assert posted is not listed
    assert issubclass(posted, ResultlessChangeListMixin)
    assert model_admin.get_changelist(request_for(rf, superuser, "post", action)) is posted


def test_composing_leaves_out_a_mixin_the_class_already_has():
    class Own(PerformanceChangeListMixin, ChangeList):
        pass

    assert compose_changelist(Own, [PerformanceChangeListMixin]) is Own
    composed = compose_changelist(Own, [FilterValidationMixin, PerformanceChangeListMixin])
    assert composed.__bases__ == (FilterValidationMixin, Own)
    assert compose_changelist(Own, [FilterValidationMixin]) is composed
    assert compose_changelist(ChangeList, []) is ChangeList


# --- parts: order, each once, an answer ends the view -----------------------------------


class Recording(ChangeListPart):
    def prepare(self):
        self.request.steps.append(f"prepare {type(self).__name__}")

    def answer(self):
        self.request.steps.append(f"answer {type(self).__name__}")
        return None

    def update_page(self, response, context):
        self.request.steps.append(f"page {type(self).__name__}")


class Outer(Recording):
    pass


class Shared(Recording):
    pass


class Inner(Recording):
    pass


class Stop(ChangeListPart):
    def answer(self):
        return HttpResponse("stopped") if getattr(self.request, "stop", False) else None


class OuterMixin(ToolkitAdminMixin):
    changelist_parts = (Outer, Shared)


class InnerMixin(ToolkitAdminMixin):
    changelist_parts = (Shared, Stop, Inner)


class RecordedAdmin(OuterMixin, InnerMixin, admin.ModelAdmin):
    list_display = ["sku", "name"]


@pytest.fixture
def recorded(db):
    return RecordedAdmin(Product, admin.AdminSite(name="recorded"))


def test_parts_prepare_and_answer_outermost_first_and_finish_innermost_first(
    rf, superuser, recorded
):
    request = request_for(rf, superuser)
    request.steps = []

    response = recorded.changelist_view(request)

    assert response.status_code == 200
    assert request.steps == [
        "prepare Outer",
        "prepare Shared",  # listed by both mixins, run once
        "prepare Inner",
        "answer Outer",
        "answer Shared",
        "answer Inner",
        "page Inner",
        "page Shared",
        "page Outer",
    ]


def test_the_first_part_that_answers_ends_the_view(rf, superuser, recorded):
    request = request_for(rf, superuser)
    request.steps, request.stop = [], True

    response = recorded.changelist_view(request)

    assert response.content == b"stopped"
    assert request.steps[-1] == "answer Shared"
    assert not [step for step in request.steps if step.startswith("page")]


def test_the_parts_are_made_for_the_request(rf, superuser, recorded):
    request = request_for(rf, superuser)
    parts = recorded.get_changelist_parts(request)
    assert [type(part) for part in parts] == [Outer, Shared, Stop, Inner]
    assert all(part.model_admin is recorded and part.request is request for part in parts)


def test_get_changelist_parts_can_leave_a_part_out_for_one_request(rf, superuser, db):
    class UnstoppableAdmin(RecordedAdmin):
        def get_changelist_parts(self, request):
            return [p for p in super().get_changelist_parts(request) if not isinstance(p, Stop)]

    request = request_for(rf, superuser)
    request.steps, request.stop = [], True

    response = UnstoppableAdmin(Product, admin.AdminSite(name="unstoppable")).changelist_view(
        request
    )

    assert response.status_code == 200 and request.steps[-1] == "page Outer"
