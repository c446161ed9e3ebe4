"""The admin walk of scripts/wheel-check, run inside the new project by its own venv.

    python visit.py USERNAME      (password in WHEEL_CHECK_PASSWORD)

Copied into the project and run by the fresh venv's Python, so only Django, the
installed wheel and the standard library are importable here. Through Django's test
client, over HTTPS as the deploy-clean settings demand and with CSRF checks on, it logs
in with the login form, loads the changelist, exports two rows in the request, exports
every row as a background job, runs the jobs worker, reads the job's page and downloads
its file. Each step prints a line; the first failure prints why and exits 1.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import django

#: What the project's own templates put on the changelist (wheel_check/project.py).
BRANDING = "Shop back office"
MODEL_TEMPLATE_LINK = "shop-price-list"
CHANGELIST = "/admin/catalog/product/"
ORIGIN = "https://testserver"


class Failed(Exception):
    """A step did not give what a site would expect."""


def step(text: str) -> None:
    print(f"   - {text}", flush=True)


def expect(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


def csrf_token(html: str, page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    expect(match, f"{page} has no CSRF token in a form")
    assert match is not None
    return match.group(1)


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def csv_skus(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text)))
    expect(rows and rows[0] and rows[0][0] == "SKU", f"the CSV's header is {rows[:1]!r}")
    return sorted(row[0] for row in rows[1:])


class Browser:
    """A test client that speaks HTTPS and sends an Origin with each POST, as a browser
    does, so that the deploy settings' redirects and CSRF checks apply."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True)

    def get(self, url: str, status: int = 200):
        response = self.client.get(url, secure=True)
        expect(
            response.status_code == status,
            f"GET {url} answered {response.status_code}, not {status}",
        )
        return response

    def post(self, url: str, data: dict, status: int):
        response = self.client.post(url, data, secure=True, headers={"Origin": ORIGIN})
        expect(
            response.status_code == status,
            f"POST {url} answered {response.status_code}, not {status}",
        )
        return response


def walk(username: str, password: str) -> None:
    from catalog.models import Product

    import toolkit

    installed = Path(toolkit.__file__).resolve()
    expect(
        installed.is_relative_to(Path(sys.prefix).resolve()),
        f"toolkit was imported from {installed}, not from the venv's installed wheel",
    )
    step(f"toolkit imported from {installed.parent}")

    products = [
        Product.objects.create(sku=f"SKU-{i}", name=f"Product {i}", price=i * 10, stock=i)
        for i in (1, 2, 3)
    ]
    step(f"{len(products)} products created")

    browser = Browser()
    login = browser.get("/admin/login/?next=/admin/")
    response = browser.post(
        "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": csrf_token(login.content.decode(), "the login page"),
            "username": username,
            "password": password,
            "next": "/admin/",
        },
        302,
    )
    expect(response["Location"] == "/admin/", f"the login went to {response['Location']}")
    step(f"logged in as {username} through the login form")

    html = browser.get(CHANGELIST).content.decode()
    for marker, what in [
        ("toolkit/admin_ext/changelist.", "the toolkit's changelist stylesheet"),
        ('class="toolkit-totals"', "the totals row (list_totals)"),
        ('class="toolkit-saved-views"', "the saved-views menu (toolkit.admin_ext)"),
        ("export_as_csv", "the CSV export action"),
        (BRANDING, "the project's own admin/base_site.html"),
        (MODEL_TEMPLATE_LINK, "the project's own admin/catalog/product/change_list.html"),
        *[(p.sku, f"the row of {p.sku}") for p in products],
    ]:
        expect(marker in html, f"the changelist lacks {what} ({marker!r})")
    step("changelist: 200, with the toolkit's stylesheet, totals, saved views, export action")
    step("changelist: the project's branding and per-model template are kept")

    token = csrf_token(html, "the changelist")
    ticked = products[:2]
    response = browser.post(
        CHANGELIST,
        {
            "csrfmiddlewaretoken": token,
            "action": "export_as_csv",
            "_selected_action": [str(p.pk) for p in ticked],
            "index": "0",
        },
        200,
    )
    expect(
        "attachment" in response.get("Content-Disposition", ""),
        f"the export is not a download: {response.get('Content-Disposition')!r}",
    )
    skus = csv_skus(body(response))
    expect(skus == [p.sku for p in ticked], f"the exported file holds {skus}")
    step(f"export of {len(ticked)} ticked rows in the request: a CSV with {', '.join(skus)}")

    response = browser.post(
        CHANGELIST,
        {
            "csrfmiddlewaretoken": token,
            "action": "export_as_csv",
            "_selected_action": [str(products[0].pk)],
            "select_across": "1",
            "index": "0",
        },
        302,
    )
    job_url = response["Location"]
    expect(job_url.startswith("/admin/"), f"the background export went to {job_url}")
    expect("Queued" in browser.get(job_url).content.decode(), f"{job_url} does not say Queued")
    step(f"export of all {len(products)} rows started a background job: {job_url} (Queued)")

    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-reload",
         "--no-startup-delay"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    expect(
        worker.returncode == 0,
        f"manage.py db_worker --batch exited {worker.returncode}:\n{worker.stderr[-2000:]}",
    )
    step("manage.py db_worker --batch ran the queued job and exited")

    page = browser.get(job_url).content.decode()
    badge = re.search(r'class="toolkit-job-badge"[^>]*>([^<]+)<', page)
    expect(
        badge and badge.group(1).strip() == "Done",
        f"the job page says {badge and badge.group(1)!r}",
    )
    download = re.search(r'href="([^"]+/download/)"', page)
    expect(download, "the job page offers no download")
    assert download is not None
    skus = csv_skus(body(browser.get(download.group(1))))
    expect(skus == [p.sku for p in products], f"the job's file holds {skus}")
    step(f"job page: Done; its file holds every row ({', '.join(skus)})")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    django.setup()
    try:
        walk(sys.argv[1], os.environ["WHEEL_CHECK_PASSWORD"])
    except Failed as error:
        print(f"   FAILED: {error}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
