"""`make demo`'s set-up step: seeds an empty catalog once, keeps data and password after."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from demo.catalog.management.commands import demo_setup
from demo.catalog.models import Product


@pytest.fixture(autouse=True)
def credentials_file(tmp_path, monkeypatch):
    path = tmp_path / "demo-credentials.txt"
    monkeypatch.setattr(demo_setup, "CREDENTIALS_FILE", path)
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    return path


def run(**options):
    out = io.StringIO()
    call_command("demo_setup", products=40, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_first_run_seeds_and_prints_a_generated_password_that_works(credentials_file):
    output = run()
    assert Product.objects.count() == 40
    password = credentials_file.read_text().strip()
    assert f"password: {password}" in output
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert oct(credentials_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_second_run_keeps_the_data_and_the_password(credentials_file):
    run()
    first_pks = list(Product.objects.values_list("pk", flat=True))
    password = credentials_file.read_text().strip()
    output = run()
    assert "already seeded" in output
    assert list(Product.objects.values_list("pk", flat=True)) == first_pks
    assert f"password: {password}" in output
    assert "generated earlier" in output


@pytest.mark.django_db
def test_demo_password_from_the_environment_wins(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "chosen-by-me-123")
    output = run()
    assert "password: chosen-by-me-123   (from DEMO_PASSWORD)" in output
    assert get_user_model().objects.get(username="admin").check_password("chosen-by-me-123")
