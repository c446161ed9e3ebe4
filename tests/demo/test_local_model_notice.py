"""While the local model is not ready, every admin page of the demo says what it is doing
and what to do; once it answers, or outside `make demo`, nothing is said."""

from __future__ import annotations

import os
import time

import pytest

from demo.local_model import ModelStatus, read_status, write_status

#: A process that cannot exist: above the largest pid Linux hands out (2**22).
GONE = 2**22 + 12345


@pytest.fixture
def status_file(tmp_path, settings):
    path = tmp_path / "local-llm.status"
    settings.DEMO_LOCAL_MODEL_STATUS_FILE = str(path)
    return path


def notice(client, url="/admin/login/"):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    if 'id="local-model-notice"' not in html:
        return None
    return html.split('id="local-model-notice">', 1)[1].split("</ul>", 1)[0]


def test_the_login_page_says_the_model_is_being_installed_and_how_long_is_left(client, status_file):
    write_status(
        status_file,
        state="installing",
        started=time.time() - 60,
        estimated_finish=time.time() + 12.5 * 60,
        step="compiling llama.cpp (40/131)",
    )
    text = notice(client)
    assert '<li class="info">' in text
    assert "The local model is still being installed (about 13 minutes left)" in text
    assert "Now: compiling llama.cpp (40/131)." in text
    assert "The rest of the admin works meanwhile." in text


@pytest.mark.django_db
def test_every_admin_page_carries_the_notice(client, superuser, status_file):
    write_status(status_file, state="installing", estimated_finish=time.time() + 300)
    client.force_login(superuser)
    assert "still being installed" in notice(client, "/admin/")
    assert "still being installed" in notice(client, "/admin/catalog/product/")


def test_a_failed_install_says_where_to_look_and_what_to_run(client, status_file):
    write_status(
        status_file,
        state="failed",
        failed="install",
        reason="the disk is full",
        fix="free some space",
        log="var/log/local-llm-install.log",
    )
    text = notice(client)
    assert '<li class="warning">' in text
    assert (
        "The model install failed (the disk is full): see var/log/local-llm-install.log; "
        "free some space, then run `make llm` to try again."
    ) in text


def test_an_install_whose_process_is_gone_is_a_failed_install(client, status_file):
    write_status(status_file, state="installing", pid=GONE, estimated_finish=time.time() + 600)
    text = notice(client)
    assert "The model install failed (it stopped before it finished)" in text
    assert "run `make llm` to try again" in text


def test_nothing_is_said_once_the_model_answers(client, status_file):
    write_status(status_file, state="ready", url="http://127.0.0.1:8001/v1")
    assert notice(client) is None


def test_a_model_no_process_serves_any_more_is_not_running(client, status_file):
    write_status(status_file, state="ready", pid=GONE)
    assert "The local model is not running" in notice(client)


def test_nothing_is_said_outside_make_demo(client, settings, tmp_path):
    settings.DEMO_LOCAL_MODEL_STATUS_FILE = ""
    write_status(tmp_path / "local-llm.status", state="failed", reason="the disk is full")
    assert notice(client) is None


@pytest.mark.parametrize("content", ["", "{not json", '{"state": "melting"}', "[1, 2]"])
def test_an_unreadable_status_file_is_no_notice_and_no_error(client, status_file, content):
    status_file.write_text(content)
    assert notice(client) is None


def test_a_missing_status_file_is_no_notice(client, status_file):
    assert notice(client) is None


def test_the_status_is_written_whole_and_read_back(tmp_path):
    path = tmp_path / "sub" / "local-llm.status"
    written = write_status(path, state="starting", step="loading the model")
    assert written.pid == os.getpid()
    assert read_status(path) == written
    assert [p.name for p in path.parent.iterdir()] == ["local-llm.status"]  # no temporary left


def test_minutes_left_never_reads_zero():
    status = ModelStatus(state="installing", pid=os.getpid(), estimated_finish=1000.0)
    assert status.minutes_left(now=1000.0 - 61) == 2
    assert status.minutes_left(now=1000.0 + 300) == 1  # late: "about 1 minute left"
    assert "(about 1 minute left)" in status.short(now=1000.0 + 300)
