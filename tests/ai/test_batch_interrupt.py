"""A second Ctrl-C during a batch run lets the database query in progress finish.

An interrupt inside the driver left PostgreSQL's connection with "another command is
already in progress", and every later query of the process failed (seen in CI).
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from django.db import connection

from toolkit.ai.batch import Interrupt

SLOW_QUERY = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
    "SELECT count(*) FROM c"
)


@pytest.mark.django_db(transaction=True)
def test_a_second_ctrl_c_waits_for_the_query_in_progress_and_leaves_the_connection_usable():
    pressed = threading.Event()

    with Interrupt(lambda: None) as interrupt:
        interrupt.requested = True  # the first Ctrl-C came earlier

        def press_during_the_query():
            deadline = time.monotonic() + 10
            while not interrupt._in_query and time.monotonic() < deadline:
                time.sleep(0.001)
            os.kill(os.getpid(), signal.SIGINT)
            pressed.set()

        presser = threading.Thread(target=press_during_the_query)
        presser.start()
        with pytest.raises(KeyboardInterrupt), connection.cursor() as cursor:
            cursor.execute(SLOW_QUERY)
            # The interrupt is raised as the query returns, not inside the driver.
            cursor.fetchone()
            pressed.wait(5)
            time.sleep(0.2)  # a signal the handler deferred would be raised by now
        presser.join()

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_second_ctrl_c_outside_a_query_interrupts_at_once():
    with Interrupt(lambda: None) as interrupt, pytest.raises(KeyboardInterrupt):
        interrupt.requested = True
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


def test_a_second_ctrl_c_inside_a_block_of_writes_waits_for_its_end():
    """The answers are stored with COPY: a Ctrl-C between two rows of it must not cut it."""
    from toolkit.ai.uninterruptible import uninterruptible

    finished = []
    with Interrupt(lambda: None) as interrupt, pytest.raises(KeyboardInterrupt):
        interrupt.requested = True
        with uninterruptible():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.3)  # the handler has run by now, and deferred
            finished.append("the block")
    assert finished == ["the block"]
