"""The one listener connection of a process (engine.persistence.notify.Listener): channels
subscribed to on the running connection, notifications handed over by channel, a lost
connection told to every subscriber and every channel listened to again, the end with the last
subscription. PostgreSQL only."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from sqlalchemy import text

from engine.bootstrap import bootstrap
from engine.persistence.notify import subscribe
from engine.settings import Settings

pytestmark = pytest.mark.postgres


def _until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _notify(db: Any, channel: str, payload: str) -> None:
    with db.connect() as conn:
        conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload})
        conn.commit()


def test_channels_share_one_connection_and_listen_again_after_it_was_lost(pg_url):
    web = bootstrap(Settings(database_url=pg_url, embedded_worker=False))
    holder = SimpleNamespace(db=web.db, listener=None)
    events: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(name: str) -> dict[str, Any]:
        def add(what: str) -> None:
            with lock:
                events.append((name, what))
        return {"on_payload": add, "on_listen": lambda: add("listen"), "on_lost": lambda: add("lost")}

    def seen(name: str, what: str) -> int:
        with lock:
            return events.count((name, what))

    def listener_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "amtsflow-listener"}

    before = listener_threads()      # other tests' apps in this process may still have theirs
    a = subscribe(holder, "amtsflow_test_a", **record("a"))
    try:
        assert a is not None and a.listening.wait(5)
        listener = holder.listener
        backend = listener._pgconn.backend_pid
        b = subscribe(holder, "amtsflow_test_b", **record("b"))      # on the running connection
        assert b is not None and b.listening.wait(5)
        assert holder.listener is listener and listener._pgconn.backend_pid == backend
        assert listener_threads() - before == {listener}                  # one thread for both channels
        assert seen("a", "listen") == 1 and seen("b", "listen") == 1
        _notify(web.db, "amtsflow_test_a", "x")
        _notify(web.db, "amtsflow_test_b", "y")
        assert _until(lambda: seen("a", "x") == 1 and seen("b", "y") == 1)
        assert seen("a", "y") == 0 and seen("b", "x") == 0          # by channel
        with web.db.connect() as conn:                                # the server ends the connection
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            conn.commit()
        assert _until(lambda: seen("a", "lost") == 1 and seen("b", "lost") == 1)
        assert _until(lambda: seen("a", "listen") == 2 and seen("b", "listen") == 2)
        assert a.listening.is_set() and b.listening.is_set() and listener._pgconn.backend_pid != backend
        _notify(web.db, "amtsflow_test_b", "z")
        assert _until(lambda: seen("b", "z") == 1)
        a.cancel()
        assert listener.is_alive()                                    # b still listens
        b.cancel(wait=5)
        assert not listener.is_alive() and not b.listening.is_set()   # the last one: connection closed
        c = subscribe(holder, "amtsflow_test_a", **record("c"))       # a new listener
        assert c is not None and c.listening.wait(5) and holder.listener is not listener
        c.cancel(wait=5)
    finally:
        if holder.listener is not None:
            holder.listener.stop()
            holder.listener.join(5)
        web.db.dispose()


def test_quiet_reads_what_waits_on_the_socket_itself(pg_url):
    """A notification waiting unread (here: the listener's thread never reads) is read and
    handed over by the thread that asks whether it is quiet, if nobody else reads; while
    somebody reads (holds the lock), it is not quiet."""
    import select

    from engine.persistence.notify import Listener

    class Deaf(Listener):
        def _serve(self, conn: Any) -> bool:
            if not self._apply(conn):
                return False
            self.stopping.wait()
            return True

    web = bootstrap(Settings(database_url=pg_url, embedded_worker=False))
    listener = Deaf(web.db)
    tasks: list[str] = []
    accounts: list[str] = []
    t = listener.subscribe("amtsflow_test_tasks", on_payload=tasks.append)
    a = listener.subscribe("amtsflow_test_accounts", on_payload=accounts.append)
    listener.start()

    def arrived() -> bool:
        return bool(select.select([listener._fd], [], [], 5)[0])

    try:
        assert t is not None and a is not None and t.listening.wait(5) and a.listening.wait(5)
        assert a.quiet() and t.quiet()
        _notify(web.db, "amtsflow_test_tasks", "fall-1")
        assert arrived()
        assert a.quiet()                                  # read and handed over by this thread
        assert tasks == ["fall-1"] and accounts == []
        _notify(web.db, "amtsflow_test_accounts", "")
        assert arrived()
        with listener._io:                                # somebody reads right now
            assert not a.quiet()
        assert a.quiet() and accounts == [""]
    finally:
        listener.stop()
        listener.join(5)
        web.db.dispose()
