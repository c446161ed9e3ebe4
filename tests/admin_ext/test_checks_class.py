"""Checks through ``checks_class``, as contrib.admin runs its own: each mixin family
declares a ``ModelAdminChecks`` subclass (``mixin_checks_class``) and the admin's
``checks_class`` is composed of them and of the one it would otherwise have."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin.checks import (
    BaseModelAdminChecks,
    InlineModelAdminChecks,
    ModelAdminChecks,
)
from django.core import checks

from demo.catalog.admin import ProductAdmin as DemoProductAdmin
from demo.catalog.models import Product, Review, StockMovement
from tests.admin_ext.site_own_hooks import ProductAdmin, ProductChecks, ReviewAdmin, SiteChecks
from toolkit.admin_ext import (
    DeclaredChecksMixin,
    PaginatedTabularInline,
    SearchMixin,
    ToolkitModelAdmin,
    TotalsMixin,
)
from toolkit.admin_ext.actions import BulkActionsChecks, RowActionsChecks
from toolkit.admin_ext.changelist import PerformanceChecks, TotalsChecks
from toolkit.admin_ext.filters import FiltersChecks
from toolkit.admin_ext.importexport import ExportChecks, ImportChecks
from toolkit.admin_ext.inlines import PaginatedInlineChecks
from toolkit.admin_ext.saved_views.checks import SavedViewsChecks
from toolkit.admin_ext.search import SearchChecks
from toolkit.ai.admin import AIActionsChecks
from toolkit.ai.admin.ask import AskChecks

TOOLKIT = Path(__file__).resolve().parents[2] / "toolkit"

FAMILIES = [
    AIActionsChecks,
    AskChecks,
    BulkActionsChecks,
    ExportChecks,
    FiltersChecks,
    ImportChecks,
    PaginatedInlineChecks,
    PerformanceChecks,
    RowActionsChecks,
    SavedViewsChecks,
    SearchChecks,
    TotalsChecks,
]


def checks_class_of(admin_class, model=Product):
    return admin_class(model, admin.AdminSite()).checks_class


def ids(admin_class, model=Product):
    return [m.id for m in admin_class(model, admin.AdminSite()).check()]


def admin_check_methods():
    """``module:Class`` of every ``check`` method in ``toolkit/`` that takes an admin."""
    found, overrides = set(), set()
    for path in TOOLKIT.rglob("*.py"):
        module = ".".join(path.relative_to(TOOLKIT.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "check":
                    args = [a.arg for a in item.args.args]
                    if args == ["self"]:
                        overrides.add(f"{module}:{node.name}")  # ModelAdmin.check(**kwargs)
                    elif args[1] in ("admin_obj", "inline_obj"):
                        found.add(f"{module}:{node.name}")
    return found, overrides


# --- no check() of our own --------------------------------------------------------------


def test_no_toolkit_admin_overrides_check():
    _found, overrides = admin_check_methods()
    assert overrides == set()


def test_every_check_of_an_admin_is_a_family_checks_class():
    found, _overrides = admin_check_methods()
    classes = set()
    for name in found:
        module, _colon, cls = name.partition(":")
        classes.add(getattr(importlib.import_module(module), cls))
    assert classes == set(FAMILIES)
    assert all(issubclass(cls, BaseModelAdminChecks) for cls in classes)


def test_family_checks_classes_name_their_methods_apart():
    """They become one class: a ``_check_fields`` of one family would replace Django's."""
    django_names = set(dir(ModelAdminChecks)) | set(dir(InlineModelAdminChecks))
    seen: dict[str, type] = {}
    for family in FAMILIES:
        own = {name for name in vars(family) if callable(vars(family)[name])} - {"check"}
        assert not own & django_names, family
        for name in own:
            assert name not in seen, (name, family, seen.get(name))
            seen[name] = family


# --- composition --------------------------------------------------------------------------


def test_the_checks_class_runs_djangos_checks_then_each_familys_once():
    mro = checks_class_of(ToolkitModelAdmin).__mro__
    assert mro[1:-3] == (
        BulkActionsChecks,
        RowActionsChecks,
        ExportChecks,
        SearchChecks,
        FiltersChecks,
        TotalsChecks,
        SavedViewsChecks,
        PerformanceChecks,
    )
    assert mro[-3:] == (ModelAdminChecks, BaseModelAdminChecks, object)
    demo = checks_class_of(DemoProductAdmin).__mro__
    assert AIActionsChecks in demo and ImportChecks in demo
    assert len(demo) == len(set(demo))


def test_a_sites_checks_class_on_its_base_admin_runs_beside_the_toolkits():
    class BigPages(ReviewAdmin):
        list_per_page = 1000
        list_select_related_extra = ["rating"]

    assert issubclass(checks_class_of(ReviewAdmin, Review), SiteChecks)
    assert {"site.E001", "toolkit.E041"} <= set(ids(BigPages, Review))
    assert ids(ReviewAdmin, Review) == []


def test_an_admins_own_checks_class_runs_beside_the_toolkits():
    class Broken(ProductAdmin):
        search_fields = []
        list_per_page = 1000
        list_totals = {"price": "median"}
        search_qualifiers = {"no such": "price"}

    found = ids(Broken)
    assert {"own.E001", "site.E001", "toolkit.E031", "toolkit.E011"} <= set(found)
    assert ids(ProductAdmin) == []


def test_a_checks_class_set_on_a_subclass_replaces_its_parents_but_not_the_toolkits():
    class OwnChecks(ModelAdminChecks):
        def check(self, admin_obj, **kwargs):
            return [*super().check(admin_obj, **kwargs)]

    class Other(ProductAdmin):
        checks_class = OwnChecks
        search_fields = []
        list_totals = {"price": "median"}

    assert issubclass(checks_class_of(Other), OwnChecks)
    assert not issubclass(checks_class_of(Other), (ProductChecks, SiteChecks))
    assert "toolkit.E031" in ids(Other) and "own.E001" not in ids(Other)


def test_the_checks_class_is_composed_once_per_admin_class():
    first = checks_class_of(ProductAdmin)
    assert checks_class_of(ProductAdmin) is first
    assert ProductAdmin.checks_class is ProductChecks  # the class keeps what it set


@pytest.mark.skipif(
    "__init_subclass__" not in vars(admin.ModelAdmin),
    reason="only Django 6.1 warns about list_select_related = True (from ModelAdmin."
    "__init_subclass__); on 5.2 there is no warning whose location could be checked",
)
def test_a_class_with_list_select_related_true_is_warned_about_where_it_is_written():
    """Django warns where the admin class is written; no hook of the toolkit runs while
    the class is made, so the warning names this file, not the toolkit's."""
    with pytest.warns(PendingDeprecationWarning) as caught:

        class Everything(ToolkitModelAdmin):
            list_select_related = True

    assert [w.filename for w in caught] == [__file__]


def test_a_subclass_keeps_the_checks_class_its_parent_set():
    class Child(ProductAdmin):
        search_fields = []

    assert issubclass(checks_class_of(Child), ProductChecks)
    assert "own.E001" in ids(Child)


def test_a_mixin_of_a_projects_own_declares_its_checks_the_same_way():
    class NoteChecks(ModelAdminChecks):
        def check(self, admin_obj, **kwargs):
            return [*super().check(admin_obj, **kwargs), *self._check_note(admin_obj)]

        def _check_note(self, admin_obj):
            if isinstance(admin_obj.note, str):
                return []
            return [checks.Error("note must be text", obj=type(admin_obj), id="note.E001")]

    class NoteMixin(DeclaredChecksMixin):
        mixin_checks_class = NoteChecks
        note = ""

    class Noted(NoteMixin, SearchMixin, TotalsMixin, admin.ModelAdmin):
        note = 3
        list_totals = {"price": "median"}

    assert {"note.E001", "toolkit.E031"} <= set(ids(Noted))


def test_an_inline_composes_its_checks_with_djangos_inline_checks():
    class Movements(PaginatedTabularInline):
        model = StockMovement
        per_page = 0

    assert checks_class_of(Movements).__mro__[1:3] == (
        PaginatedInlineChecks,
        InlineModelAdminChecks,
    )
    assert [m.id for m in Movements(Product, admin.AdminSite()).check()] == ["toolkit.E032"]
