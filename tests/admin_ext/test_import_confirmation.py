"""Confirming an import is single-use: a refresh, the back button or a double click
shows the result of the import that ran, and never imports again."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from demo.catalog.models import Product
from tests.admin_ext.test_import import (  # noqa: F401 (refs: a fixture, used by pytestmark)
    HEADERS,
    IMMEDIATE,
    IMPORT,
    confirm,
    confirmation,
    csv_bytes,
    refs,
    row,
    stored_uploads,
    upload,
)
from toolkit.admin_ext.importexport import HAS_OPENPYXL, SESSION_KEY, upload_storage

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin_ext.site_importexport"),
    pytest.mark.usefixtures("refs"),
]


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def press_import(client, preview_url, token, follow=True):
    return client.post(preview_url, {"confirm": "1", "confirmation": token}, follow=follow)


def test_the_result_is_a_page_of_its_own_that_a_refresh_only_shows_again(client, superuser):
    client.force_login(superuser)
    response = upload(client, csv_bytes([row("K-1"), row("BAD", price="abc")]))
    done = confirm(client, response, follow=False)
    assert done.status_code == 302 and done["Location"].endswith("/result/")
    page = client.get(done["Location"])
    assert page.status_code == 200
    assert "1 row imported: 1 new, 0 updated." in page.content.decode()
    again = client.get(done["Location"])
    assert "1 row imported: 1 new, 0 updated." in again.content.decode()
    assert list(Product.objects.values_list("sku", flat=True)) == ["K-1"]
    assert LogEntry.objects.count() == 1


def test_replaying_the_confirmation_imports_nothing_more_and_says_so(client, superuser):
    client.force_login(superuser)
    response = upload(client, csv_bytes([row("K-1"), row("BAD", price="abc")]))
    preview_url = response["Location"]
    token = confirmation(client, preview_url)
    first = press_import(client, preview_url, token)
    assert "Rejected 1 row: 3." in " ".join(messages_of(first))
    # The browser re-posts the same form (refresh, back button): once, twice.
    for _attempt in range(2):
        replay = press_import(client, preview_url, token)
        assert replay.status_code == 200
        assert messages_of(replay) == ["This file was already imported: see the result below."]
        assert "1 row imported: 1 new, 0 updated." in replay.content.decode()
    assert list(Product.objects.values_list("sku", flat=True)) == ["K-1"]
    assert LogEntry.objects.count() == 1
    # The rejected rows are still there to download, never imported by the replays.
    rejected = client.get(preview_url + "rejected/")
    assert rejected.status_code == 200 and b"BAD" in rejected.content
    assert not Product.objects.filter(sku="BAD").exists()


@pytest.mark.skipif(not HAS_OPENPYXL, reason="XLSX needs the `xlsx` extra")
def test_replaying_an_xlsx_confirmation_is_not_an_error(client, superuser):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(HEADERS)
    workbook.active.append([row("X-1")[h] for h in HEADERS])
    workbook.active.append([row("X-2")[h] for h in HEADERS[:4]] + ["no price", 1, 2, "active"])
    data = io.BytesIO()
    workbook.save(data)
    client.force_login(superuser)
    response = upload(client, data.getvalue(), "products.xlsx")
    token = confirmation(client, response["Location"])
    press_import(client, response["Location"], token)
    replay = press_import(client, response["Location"], token)
    assert replay.status_code == 200
    assert "already imported" in " ".join(messages_of(replay))
    assert list(Product.objects.values_list("sku", flat=True)) == ["X-1"]


def test_a_double_click_imports_once(client, superuser):
    """Two requests racing with one confirmation: the second finds it spent although
    the first has not saved its session yet."""
    client.force_login(superuser)
    response = upload(client, csv_bytes([row("K-1")]))
    preview_url = response["Location"]
    token = confirmation(client, preview_url)
    session_before = dict(client.session[SESSION_KEY])
    press_import(client, preview_url, token)
    # The racing request still sees the session as it was before the first one ended.
    session = client.session
    session[SESSION_KEY] = session_before
    session.save()
    racing = press_import(client, preview_url, token)
    assert "already imported" in " ".join(messages_of(racing))
    assert Product.objects.count() == 1
    assert LogEntry.objects.count() == 1


def test_a_confirmation_is_bound_to_its_upload_and_person(client, superuser, django_user_model):
    client.force_login(superuser)
    first = upload(client, csv_bytes([row("A-1")]))
    second = upload(client, csv_bytes([row("B-1")]))
    token_of_first = confirmation(client, first["Location"])
    # The first file's confirmation does not import the second file.
    wrong = press_import(client, second["Location"], token_of_first)
    assert "not made for this file" in " ".join(messages_of(wrong))
    missing = press_import(client, second["Location"], "")
    assert "not made for this file" in " ".join(messages_of(missing))
    assert not Product.objects.exists()
    # Another person with the same upload in their session (a copied cookie is out of
    # scope): the token is theirs only.
    other = django_user_model.objects.create_superuser("other", "o@example.com", "pw")
    thief = Client()
    thief.force_login(other)
    session = thief.session
    session[SESSION_KEY] = client.session[SESSION_KEY]
    session.save()
    stolen = thief.post(first["Location"], {"confirm": "1", "confirmation": token_of_first})
    assert stolen.status_code == 404
    assert not Product.objects.exists()


def test_a_file_changed_after_its_preview_is_not_imported(client, superuser):
    client.force_login(superuser)
    response = upload(client, csv_bytes([row("A-1")]))
    token = confirmation(client, response["Location"])
    name = client.session[SESSION_KEY][response["Location"].rstrip("/").rsplit("/", 1)[-1]]
    storage = upload_storage()
    storage.delete(name["file"])
    storage.save(name["file"], io.BytesIO(csv_bytes([row("EVIL-1")])))
    result = press_import(client, response["Location"], token)
    assert "changed after its preview" in " ".join(messages_of(result))
    assert not Product.objects.exists()
    assert stored_uploads() == []


def test_the_result_page_before_any_confirmation_leads_to_the_preview(client, superuser):
    client.force_login(superuser)
    response = upload(client, csv_bytes([row("A-1")]))
    result_url = response["Location"] + "result/"
    assert client.get(result_url)["Location"] == response["Location"]


def test_the_preview_form_posts_its_confirmation(client, superuser):
    client.force_login(superuser)
    response = upload(client, csv_bytes([row("A-1")]))
    page = client.get(response["Location"]).content.decode()
    form = re.search(r'<form method="post">(.*?)</form>', page, re.S).group(1)
    assert 'name="confirmation"' in form and 'name="confirm"' in form
    assert reverse(IMPORT) in response["Location"]


def test_an_import_that_fails_unexpectedly_can_be_confirmed_again(client, superuser, monkeypatch):
    from toolkit.admin_ext.importexport import BulkImporter

    client.force_login(superuser)
    response = upload(client, csv_bytes([row("A-1")]))
    token = confirmation(client, response["Location"])
    write = BulkImporter.write

    def broken(self, results):
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr(BulkImporter, "write", broken)
    with pytest.raises(RuntimeError):
        press_import(client, response["Location"], token)
    monkeypatch.setattr(BulkImporter, "write", write)
    retried = press_import(client, response["Location"], token)
    assert "Imported 1 row (1 new, 0 updated)." in " ".join(messages_of(retried))
    assert Product.objects.filter(sku="A-1").exists()
