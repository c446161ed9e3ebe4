"""A real browser for every feature: Playwright driving Debian's headless Chromium.

Fixtures:

- ``browser``: one Chromium per test module (``/usr/bin/chromium``; Playwright's own
  browser download is never used).
- ``page``: a fresh browser context on pytest-django's ``live_server``; relative URLs
  work (``page.goto("/admin/")``). The test fails if the page reports a
  Content-Security-Policy violation or a JavaScript error, and a screenshot of a failed
  test is saved under ``var/test-artifacts/``.
- ``admin_page``: the same, already logged in as a superuser.
- ``steps``: names the stages of a long walk; a failed test leaves a full-page screenshot
  and the page's HTML named after the test and its stage (``TOOLKIT_TEST_ARTIFACTS`` or
  ``var/test-artifacts/``).

Without Chromium the tests here are skipped with one clear line; with ``CI=true`` its
absence fails them instead, since CI must run them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("TOOLKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="module")
def allow_orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in the test thread while the
    browser is open; Django refuses ORM calls from such a thread (fixtures, the database
    flush after each test) unless told it is safe. Only browser tests need this, so it is
    set for their modules alone."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(allow_orm_beside_playwright):
    if not os.path.exists(CHROMIUM):
        message = (
            f"Chromium not found at {CHROMIUM}: browser tests need Debian's chromium "
            "(`make test` installs it when run as root)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI requires them")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []

    def on_console(msg):
        # A failed sub-resource is reported with its URL by on_response below.
        if msg.text.startswith("Failed to load resource"):
            return
        if msg.type == "error" or "Content Security Policy" in msg.text:
            problems.append(f"console {msg.type}: {msg.text}")

    def on_response(response):
        if response.status == 503 and response.headers.get("retry-after"):
            # "Busy, ask again in a moment" (the job status poll answers it while SQLite
            # is locked by a writer): the page polls again, as it is told to.
            return
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(
                f"{response.status} for {response.request.resource_type} {response.url}"
            )

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.problems = problems
    yield page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    if not failed:
        assert problems == [], "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def admin_page(page, live_server, superuser):
    """A page whose browser is logged in to the admin as ``superuser``."""
    login(page, "root", "pw-root-123")
    return page


class Steps:
    """The named stages of a long browser walk: ``steps("export-csv")`` starts one."""

    def __init__(self):
        self.names: list[str] = []

    def __call__(self, name: str) -> None:
        self.names.append(name)

    @property
    def current(self) -> str:
        if not self.names:
            return "00-setup"
        return f"{len(self.names):02d}-{self.names[-1]}"


def artifacts_dir() -> Path:
    """Where a failed walk leaves its evidence: ``TOOLKIT_TEST_ARTIFACTS`` when set (CI
    uploads that directory), else ``var/test-artifacts/``."""
    return Path(os.environ.get("TOOLKIT_TEST_ARTIFACTS") or ARTIFACTS)


@pytest.fixture
def steps(page, request):
    """Names the stages of a walk; when the test fails, a full-page screenshot and the
    page's HTML are saved as ``<test>--<NN-stage>.png`` and ``.html`` in
    :func:`artifacts_dir`. A passing test leaves nothing behind."""
    recorder = Steps()
    yield recorder
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    folder = artifacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid) + f"--{recorder.current}"
    try:
        (folder / f"{stem}.html").write_text(page.content(), encoding="utf-8")
        page.screenshot(path=str(folder / f"{stem}.png"), full_page=True)
    except Exception as exc:  # a crashed page must not hide the test's own failure
        (folder / f"{stem}.txt").write_text(f"no screenshot or HTML: {exc!r}\n")


def login(page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def png_luminance(data: bytes) -> float:
    """Mean luminance (0 black to 1 white) of a PNG screenshot, read without an imaging
    library: Chromium writes 8-bit RGB or RGBA, so the five PNG row filters are all there
    is to undo."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6), (depth, color)
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    total = 0.0
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min(
                    (abs(guess - left), 0, left),
                    (abs(guess - up), 1, up),
                    (abs(guess - corner), 2, corner),
                )
                line[i] = (line[i] + near[2]) & 0xFF
        for i in range(0, stride, channels):
            total += (0.2126 * line[i] + 0.7152 * line[i + 1] + 0.0722 * line[i + 2]) / 255
        previous = line
    return total / (width * height)
