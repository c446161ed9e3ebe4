"""System checks of ExportMixin and ImportMixin options (toolkit.E070 to E074, W070)."""

from __future__ import annotations

import pytest
from django.contrib import admin

from demo.catalog.models import Product, Supplier
from demo.catalog.resources import ProductResource
from toolkit.admin_ext.importexport import ExportMixin, ImportMixin, formats


def ids(admin_class, model=Product):
    return [e.id for e in admin_class(model, admin.AdminSite(name="checks")).check()]


def test_a_well_configured_admin_passes():
    class Good(ImportMixin, ExportMixin, admin.ModelAdmin):
        import_resource_class = ProductResource

    assert ids(Good) == []


def test_unknown_export_format_is_e070():
    class Bad(ExportMixin, admin.ModelAdmin):
        export_formats = ["csv", "pdf"]

    assert ids(Bad) == ["toolkit.E070"]


def test_xlsx_without_openpyxl_is_w070(monkeypatch):
    monkeypatch.setattr(formats, "HAS_OPENPYXL", False)

    class Xlsx(ExportMixin, admin.ModelAdmin):
        export_formats = ["xlsx"]

    class Default(ExportMixin, admin.ModelAdmin):
        pass

    assert ids(Xlsx) == ["toolkit.W070"]
    assert ids(Default) == []


@pytest.mark.parametrize("value", [-1, "100", None])
def test_bad_export_threshold_is_e071(value):
    class Bad(ExportMixin, admin.ModelAdmin):
        export_background_threshold = value

    assert ids(Bad) == ["toolkit.E071"]


def test_import_without_a_resource_is_off_and_passes():
    class Off(ImportMixin, admin.ModelAdmin):
        pass

    assert ids(Off) == []


@pytest.mark.parametrize("value", [object, ProductResource(), "ProductResource"])
def test_import_without_a_model_resource_is_e072(value):
    class Bad(ImportMixin, admin.ModelAdmin):
        import_resource_class = value

    assert ids(Bad) == ["toolkit.E072"]


def test_a_resource_of_another_model_is_e073():
    class Bad(ImportMixin, admin.ModelAdmin):
        import_resource_class = ProductResource

    assert ids(Bad, Supplier) == ["toolkit.E073"]


@pytest.mark.parametrize(
    "attr",
    [
        "import_max_upload_size",
        "import_background_threshold",
        "import_batch_size",
        "import_preview_per_page",
    ],
)
def test_non_positive_import_sizes_are_e074(attr):
    Bad = type(
        "Bad", (ImportMixin, admin.ModelAdmin), {"import_resource_class": ProductResource, attr: 0}
    )
    assert ids(Bad) == ["toolkit.E074"]
