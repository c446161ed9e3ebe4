"""The import page explains itself: a template to download and what its key columns
mean; the preview has a Cancel that discards the upload once, counts in words that
agree with their number, and errors that name the row, the column and the value."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from demo.catalog.models import Category, Product, Supplier, Tag
from toolkit.admin_ext.importexport import upload_storage

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_importexport")]

IMPORT = "importexport_admin:catalog_product_import"
TEMPLATE = "importexport_admin:catalog_product_import_template"
CHANGELIST = "importexport_admin:catalog_product_changelist"
HEADER = "sku,name,category,supplier,price,cost,stock,status\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def refs(db):
    category = Category.objects.create(name="Kettles", slug="kettles")
    supplier = Supplier.objects.create(name="Acme Ltd", country="GB")
    Tag.objects.create(name="eco")
    return category, supplier


@pytest.fixture
def staff(client, superuser, refs):
    client.force_login(superuser)
    return client


def line(sku, price="19.90"):
    return f"{sku},Kettle {sku},kettles,Acme Ltd,{price},7.50,4,active\n"


def upload(client, text, name="products.csv"):
    data = SimpleUploadedFile(name, text.encode())
    response = client.post(reverse(IMPORT), {"import_file": data})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def page_text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def stored_uploads():
    storage = upload_storage()
    return storage.listdir("toolkit_imports")[1] if storage.exists("toolkit_imports") else []


# -- the template -------------------------------------------------------------------


def test_template_has_the_import_columns_and_an_existing_record_as_example(staff, refs):
    category, supplier = refs
    Product.objects.create(
        sku="=K-1", name="Kettle", category=category, supplier=supplier, price=5, cost=2
    )
    response = staff.get(reverse(TEMPLATE))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="products-import-template.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "sku", "name", "description", "category", "supplier", "price", "cost", "stock",
        "weight", "status", "is_active", "tags",
    ]  # fmt: skip
    example = dict(zip(rows[0], rows[1], strict=True))
    # By the resource's keys; a formula-like SKU neutralised, as in every export.
    assert (example["sku"], example["category"], example["supplier"]) == (
        "'=K-1",
        "kettles",
        "Acme Ltd",
    )


def test_template_of_an_empty_table_is_built_from_field_types(staff):
    rows = list(csv.reader(io.StringIO(staff.get(reverse(TEMPLATE)).content.decode())))
    example = dict(zip(rows[0], rows[1], strict=True))
    assert example["price"] == "0.00" and example["stock"] == "0"
    assert example["status"] == "draft" and example["is_active"] == "True"
    assert example["category"] == "kettles"


def test_template_imports_back_unchanged(staff, refs):
    category, supplier = refs
    Product.objects.create(
        sku="K-1", name="Kettle", category=category, supplier=supplier, price=5, cost=2
    )
    text = staff.get(reverse(TEMPLATE)).content.decode()
    preview = page_text(staff.get(upload(staff, text)))
    assert "0 changes: 0 new, 0 to update. 1 row is unchanged and will be skipped." in preview


def test_import_page_offers_the_template_and_explains_the_keys(staff):
    text = page_text(staff.get(reverse(IMPORT)))
    assert f'href="{reverse(TEMPLATE)}"' in text
    assert "Rows are matched to existing products by “sku”" in text
    assert "“category”: a category&#x27;s slug, or the category as the list shows it" in text
    assert "“status”: one of “draft”, “active”, “discontinued” (the value or its label)." in text


def test_template_needs_the_import_permission(client, django_user_model, refs):
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(viewer)
    assert client.get(reverse(TEMPLATE)).status_code == 403


# -- Cancel -------------------------------------------------------------------------


def test_cancel_discards_the_upload_once_and_returns_to_the_list(staff):
    url = upload(staff, HEADER + line("K-1"))
    cancel = url + "cancel/"
    assert f'action="{cancel}"' in staff.get(url).content.decode()
    assert len(stored_uploads()) == 1
    response = staff.post(cancel, follow=True)
    assert response.redirect_chain[-1][0] == reverse(CHANGELIST)
    assert messages_of(response) == [
        "The import of products.csv was cancelled; nothing was imported."
    ]
    assert stored_uploads() == [] and not Product.objects.exists()
    assert staff.post(cancel).status_code == 404  # single use
    assert staff.get(url).status_code == 404  # and the preview is gone


def test_cancel_is_a_post_and_needs_the_csrf_token(superuser, refs):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    page = client.get(reverse(IMPORT)).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"import_file": SimpleUploadedFile("p.csv", (HEADER + line("K-1")).encode())}
    url = client.post(reverse(IMPORT), {**data, "csrfmiddlewaretoken": csrf})["Location"]
    assert client.get(url + "cancel/").status_code == 405
    assert client.post(url + "cancel/").status_code == 403
    assert client.get(url).status_code == 200  # still there


def test_cancel_after_the_import_cancels_nothing(staff):
    url = upload(staff, HEADER + line("K-1"))
    page = staff.get(url).content.decode()
    token = re.search(r'name="confirmation" value="([0-9a-f]+)"', page).group(1)
    staff.post(url, {"confirm": "1", "confirmation": token})
    response = staff.post(url + "cancel/", follow=True)
    assert "This file was already imported; it cannot be cancelled." in messages_of(response)
    assert Product.objects.filter(sku="K-1").exists()


# -- words and errors -----------------------------------------------------------------


def test_counts_agree_with_their_number(staff):
    one = page_text(staff.get(upload(staff, HEADER + line("K-1"))))
    assert "products.csv: 1 row. Nothing has changed yet." in one
    assert "1 change: 1 new, 0 to update. 0 rows rejected." in one
    two = page_text(staff.get(upload(staff, HEADER + line("K-1") + line("K-2", "x"))))
    assert "products.csv: 2 rows. Nothing has changed yet." in two
    assert "1 change: 1 new, 0 to update. 1 row rejected." in two


def test_each_error_names_row_column_and_value_in_a_wrapping_column(staff):
    text = page_text(staff.get(upload(staff, HEADER + line("K-1", '"12,3,4x"'))))
    assert (
        "Row 2, column <strong>price</strong>, value “12,3,4x”: “12,3,4x” is not a number." in text
    )
    assert '<td class="toolkit-import-errors">' in text
    stylesheet = Path(finders.find("toolkit/admin_ext/importexport.css")).read_text()
    assert "td.toolkit-import-errors" in stylesheet and "white-space: normal" in stylesheet


def test_headers_are_matched_to_fields_case_insensitively_by_name_or_label(staff):
    text = "SKU,Name,Category,Supplier,Price,Cost,Stock,Status,Is active,Weight (kg)\n"
    text += "K-1,Kettle,kettles,Acme Ltd,19.90,7.50,4,Active,False,1.5\n"
    url = upload(staff, text)
    assert "1 change: 1 new" in page_text(staff.get(url))
    page = staff.get(url).content.decode()
    token = re.search(r'name="confirmation" value="([0-9a-f]+)"', page).group(1)
    staff.post(url, {"confirm": "1", "confirmation": token})
    product = Product.objects.get(sku="K-1")
    assert (product.status, product.is_active, str(product.weight)) == ("active", False, "1.500")


def test_two_columns_setting_one_field_are_refused(staff):
    data = SimpleUploadedFile("p.csv", b"sku,SKU,name\nA,A,B\n")
    response = staff.post(reverse(IMPORT), {"import_file": data})
    assert response.status_code == 400
    assert "The columns “sku” and “SKU” both set sku: keep one." in page_text(response)


def test_formula_neutralised_cells_read_back_and_a_typed_apostrophe_stays(staff):
    text = HEADER + "'=K-1,'-2+3 kettle,kettles,Acme Ltd,1,1,1,active\n"
    text += "K-2,'quoted,kettles,Acme Ltd,1,1,1,active\n"
    url = upload(staff, text)
    page = staff.get(url).content.decode()
    token = re.search(r'name="confirmation" value="([0-9a-f]+)"', page).group(1)
    staff.post(url, {"confirm": "1", "confirmation": token})
    assert Product.objects.get(sku="=K-1").name == "-2+3 kettle"
    assert Product.objects.get(sku="K-2").name == "'quoted"
