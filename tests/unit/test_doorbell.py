"""engine.bell.Doorbell: a threading.Event a thread can wait for in poll() with a socket."""

from __future__ import annotations

import select
import threading
import time

from engine.bell import Doorbell


def _readable(doorbell: Doorbell) -> bool:
    poller = select.poll()
    poller.register(doorbell.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def test_readable_exactly_while_set_however_often_set_and_cleared():
    bell = Doorbell()
    assert not bell.is_set() and not _readable(bell) and bell.wait(0) is False
    bell.set()
    bell.set()
    assert bell.is_set() and _readable(bell) and bell.wait(0) is True
    bell.clear()
    assert not bell.is_set() and not _readable(bell)
    bell.clear()
    bell.set()
    assert _readable(bell)


def test_a_set_from_another_thread_ends_a_wait_at_once():
    bell = Doorbell()
    threading.Timer(0.05, bell.set).start()
    started = time.monotonic()
    assert bell.wait(10) is True
    assert time.monotonic() - started < 5


def test_a_wait_without_a_set_ends_after_its_timeout():
    started = time.monotonic()
    assert Doorbell().wait(0.05) is False
    assert time.monotonic() - started >= 0.04
