"""System checks of ExportMixin and ImportMixin options (toolkit.E070 to E074, W070)."""

from __future__ import annotations

import pytest
from django.contrib import admin

from demo.catalog.models import Product, Supplier
from demo.catalog.resources import ProductResource
from toolkit.admin_ext.importexport import (
    CSVFormat,
    ExportMixin,
    Format,
    ImportMixin,
    WholeFileFormat,
    formats,
)


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


class TSV(Format):
    name, label, extension, content_type = "tsv", "TSV", "tsv", "text/tab-separated-values"

    def write_rows(self, rows, *, first):
        return "".join("\t".join(row) + "\n" for row in rows)


class NoWriter(Format):
    name, label, extension, content_type = "raw", "Raw", "raw", "text/plain"


class NoWholeFile(WholeFileFormat):
    name, label, extension, content_type = "ods", "ODS", "ods", "application/x-ods"


class Unnamed(TSV):
    name = ""


class BadName(TSV):
    name = "tab separated"


class OtherCSV(TSV):
    name = "csv"


def test_format_classes_and_names_may_be_mixed():
    class Good(ExportMixin, admin.ModelAdmin):
        export_formats = ["csv", TSV, CSVFormat]

    assert ids(Good) == []


@pytest.mark.parametrize(
    "entry, says",
    [
        ("pdf", "'pdf' is not a format name"),
        (NoWriter, "NoWriter does not define write_rows()"),
        (NoWholeFile, "NoWholeFile does not define write_file()"),
        (Unnamed, "Unnamed does not set name"),
        (BadName, "must be lower-case letters, digits and underscores"),
        (OtherCSV, "CSVFormat and OtherCSV are both named 'csv'"),
        (TSV("x"), "is neither a format name nor a Format subclass"),
        (object, "is neither a format name nor a Format subclass"),
    ],
)
def test_an_entry_that_is_not_a_complete_format_is_e070(entry, says):
    class Bad(ExportMixin, admin.ModelAdmin):
        export_formats = ["csv", entry]

    [error] = Bad(Product, admin.AdminSite(name="checks")).check()
    assert error.id == "toolkit.E070" and says in error.msg


def test_export_formats_given_as_one_string_is_e070():
    class Bad(ExportMixin, admin.ModelAdmin):
        export_formats = "csv"

    assert ids(Bad) == ["toolkit.E070"]


def test_a_format_this_site_cannot_write_is_w070_with_its_own_reason():
    class NeedsLibrary(TSV):
        name = "fancy"
        unavailable_reason = "fancylib is not installed"
        unavailable_hint = "pip install fancylib"

        @classmethod
        def is_available(cls):
            return False

    class Fancy(ExportMixin, admin.ModelAdmin):
        export_formats = [NeedsLibrary]

    [warning] = Fancy(Product, admin.AdminSite(name="checks")).check()
    assert warning.id == "toolkit.W070"
    assert warning.msg == (
        "Fancy.export_formats lists 'fancy' but fancylib is not installed: no TSV export."
    )
    assert warning.hint == "pip install fancylib"


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


@pytest.mark.parametrize("value", [0, -5, "2000", True])
def test_bad_export_chunk_size_is_e071(value):
    class Bad(ExportMixin, admin.ModelAdmin):
        export_chunk_size = value

    [error] = Bad(Product, admin.AdminSite(name="checks")).check()
    assert error.id == "toolkit.E071" and "export_chunk_size" in error.msg


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
