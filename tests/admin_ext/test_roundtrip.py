"""Export -> edit -> import: a file exported from the product list imports back
through the demo's ProductAdmin as it is, with 0 changes; one edited cell is one change;
a value that names no object, or several, is a row error that names it."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from demo.catalog.models import Category, Product, Supplier

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:catalog_product_changelist"
IMPORT = "admin:catalog_product_import"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(client, superuser, catalog):
    client.force_login(superuser)
    # A name a spreadsheet would run as a formula: the export writes it as '=..., the
    # import must read back the name itself.
    product = Product.objects.order_by("pk").first()
    product.name = "=1+2 kettle"
    product.save()
    return client


def export(client, fmt):
    data = {
        "action": f"export_as_{fmt}",
        "select_across": "1",
        "_selected_action": [str(Product.objects.first().pk)],
        "index": 0,
    }
    response = client.post(reverse(CHANGELIST), data)
    assert response.status_code == 200, response
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return b"".join(response)


def upload(client, data, name):
    response = client.post(reverse(IMPORT), {"import_file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def preview_text(client, url):
    return re.sub(r"\s+", " ", client.get(url).content.decode())


def confirm(client, url):
    page = client.get(url).content.decode()
    token = re.search(r'name="confirmation" value="([0-9a-f]+)"', page).group(1)
    return client.post(url, {"confirm": "1", "confirmation": token}, follow=True)


def snapshot():
    return list(
        Product.objects.order_by("pk").values_list(
            "sku", "name", "category_id", "supplier_id", "price", "stock", "status", "is_active"
        )
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_an_unchanged_export_imports_back_with_0_changes(staff, fmt):
    before = snapshot()
    count = len(before)
    url = upload(staff, export(staff, fmt), f"products.{fmt}")
    text = preview_text(staff, url)
    assert any(" > " in str(p.category) for p in Product.objects.all())  # paths exported
    assert f"0 changes: 0 new, 0 to update. {count} rows are unchanged" in text
    assert "0 rows rejected." in text
    result = confirm(staff, url)
    assert "0 rows imported: 0 new, 0 updated." in result.content.decode()
    assert snapshot() == before


def edit_csv(data, sku, column, value):
    rows = list(csv.reader(io.StringIO(data.decode())))
    index = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == sku:
            row[index] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_one_edited_cell_is_exactly_one_change(staff):
    product = Product.objects.order_by("pk").last()
    url = upload(staff, edit_csv(export(staff, "csv"), product.sku, "Price", "1234.50"), "p.csv")
    text = preview_text(staff, url)
    assert "1 change: 0 new, 1 to update." in text
    confirm(staff, url)
    product.refresh_from_db()
    assert product.price == Decimal("1234.50")


def test_edited_xlsx_and_json_cells_are_one_change_each(staff):
    import openpyxl

    product = Product.objects.order_by("pk").last()
    workbook = openpyxl.load_workbook(io.BytesIO(export(staff, "xlsx")))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == product.sku:
            row[header.index("Stock")].value = 999
    out = io.BytesIO()
    workbook.save(out)
    url = upload(staff, out.getvalue(), "p.xlsx")
    assert "1 change: 0 new, 1 to update." in preview_text(staff, url)
    confirm(staff, url)
    product.refresh_from_db()
    assert product.stock == 999

    items = json.loads(export(staff, "json"))
    other = next(i for i in items if i["SKU"] != product.sku)
    other["Status"] = "Discontinued"  # a choice, as its label
    url = upload(staff, json.dumps(items).encode(), "p.json")
    assert "1 change: 0 new, 1 to update." in preview_text(staff, url)
    confirm(staff, url)
    assert Product.objects.get(sku=other["SKU"]).status == "discontinued"


def test_a_category_path_and_a_supplier_name_resolve_to_those_objects(staff):
    parent = Category.objects.create(name="Garden", slug="garden")
    child = Category.objects.create(name="Hoses", slug="hoses", parent=parent)
    product = Product.objects.order_by("pk").last()
    data = edit_csv(export(staff, "csv"), product.sku, "Category", "Garden > Hoses")
    url = upload(staff, data, "p.csv")
    assert "1 change: 0 new, 1 to update." in preview_text(staff, url)
    confirm(staff, url)
    product.refresh_from_db()
    assert product.category == child


def test_an_unknown_related_value_is_a_row_error_naming_value_and_column(staff):
    product = Product.objects.order_by("pk").last()
    data = edit_csv(export(staff, "csv"), product.sku, "Supplier", "Nobody Ltd")
    text = preview_text(staff, upload(staff, data, "p.csv"))
    assert "1 row rejected." in text
    assert "column <strong>Supplier</strong>, value “Nobody Ltd”" in text
    assert "No supplier has the name “Nobody Ltd” or is shown as “Nobody Ltd”." in text


def test_an_ambiguous_related_value_is_a_row_error_not_a_guess(staff):
    for slug in ("tools-a", "tools-b"):  # two sheds, each with its "Tools"
        parent = Category.objects.create(name="Shed", slug=f"shed-{slug}")
        Category.objects.create(name="Tools", slug=slug, parent=parent)
    product = Product.objects.order_by("pk").last()
    before = product.category_id
    data = edit_csv(export(staff, "csv"), product.sku, "Category", "Shed > Tools")
    url = upload(staff, data, "p.csv")
    text = preview_text(staff, url)
    assert "“Shed &gt; Tools” in column “category” may mean 2 categories" in text
    assert "(slug “tools-a”, “tools-b”)" in text
    confirm(staff, url)
    product.refresh_from_db()
    assert product.category_id == before


def test_a_computed_column_is_ignored_with_a_note(staff, monkeypatch):
    from demo.catalog.admin import ProductAdmin

    def margin(obj):
        return obj.price - obj.cost

    margin.short_description = "Margin"
    list_display = [*ProductAdmin.list_display, margin]
    monkeypatch.setattr(ProductAdmin, "list_display", list_display)
    data = export(staff, "csv")
    assert data.decode().splitlines()[0].endswith(",Margin")
    text = preview_text(staff, upload(staff, data, "p.csv"))
    assert "Column “Margin” is not imported: it is computed." in text
    assert "0 changes" in text and "0 rows rejected." in text


def test_a_new_row_without_a_column_it_needs_is_a_row_error(staff):
    supplier = Supplier.objects.first()
    category = Category.objects.first()
    data = (
        f"SKU,Name,Category,Supplier,Price\nNEW-1,Brand new,{category.slug},{supplier.name},9.99\n"
    ).encode()
    text = preview_text(staff, upload(staff, data, "p.csv"))
    assert "The file has no “cost” column, which a new product needs." in text
    assert not Product.objects.filter(sku="NEW-1").exists()
