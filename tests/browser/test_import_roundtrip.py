"""Export -> import in a real browser, on the demo's product list: the file just
exported is uploaded again and its preview says "0 changes"; Cancel discards it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.catalog.models import Product


@pytest.fixture
def catalog_of_40(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_catalog", products=40, seed=5, stdout=io.StringIO())


def test_exported_list_imports_back_with_0_changes(admin_page, catalog_of_40, tmp_path):
    page = admin_page
    count = Product.objects.count()
    before = sorted(Product.objects.values_list("sku", "name", "price", "status", "category"))
    page.goto("/admin/catalog/product/")
    page.locator("#action-toggle").check()  # every product: they fit on one page
    page.locator("select[name=action]").select_option("export_as_csv")
    with page.expect_download() as download_info:
        page.locator(".actions button[name=index]").first.click()
    exported = tmp_path / "products.csv"
    download_info.value.save_as(exported)

    page.goto("/admin/catalog/product/")
    page.get_by_role("link", name="Import").first.click()
    expect(page.locator("a.toolkit-import-template")).to_be_visible()
    page.set_input_files("#id_import_file", str(exported))
    page.get_by_role("button", name="Preview").click()

    summary = page.locator(".toolkit-import-summary")
    expect(summary).to_contain_text("0 changes")
    expect(summary).to_contain_text(f"{count} rows are unchanged")
    expect(page.get_by_text(f"products.csv: {count} rows.")).to_be_visible()

    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url("**/admin/catalog/product/")
    expect(page.locator(".messagelist")).to_contain_text(
        "The import of products.csv was cancelled; nothing was imported."
    )
    after = sorted(Product.objects.values_list("sku", "name", "price", "status", "category"))
    assert after == before
