"""Long polls are bounded: a poll waits at most AMTSFLOW_LONG_POLL_MAX_SECONDS however long a
timeout it asks for, and beyond AMTSFLOW_LONG_POLLS_MAX waiting polls per process (or
AMTSFLOW_LONG_POLLS_PER_ACCOUNT of one account) a poll answers at once with the free tasks."""

from __future__ import annotations

import threading
import time
from typing import Any

from engine.bell import Bell
from engine.services.external_wait import stop_listener
from tests.engine_rest.conftest import Server
from webui.engine_rest.long_polls import gate, long_poll_config

FETCH = "/engine-rest/external-task/fetchAndLock"


def _configure(rest: Server, seconds: float, total: int, per_account: int) -> None:
    app = rest.client.application
    app.config.update(AMTSFLOW_LONG_POLL_MAX_SECONDS=seconds, AMTSFLOW_LONG_POLLS_MAX=total,
                      AMTSFLOW_LONG_POLLS_PER_ACCOUNT=per_account)
    app.extensions.pop("amtsflow_long_polls", None)


def _poll(rest: Server, headers: dict[str, str], timeout_ms: int = 600000) -> tuple[float, Any]:
    began = time.monotonic()
    answer = rest.client.post(FETCH, headers=headers, json={
        "workerId": "w", "maxTasks": 1, "asyncResponseTimeout": timeout_ms,
        "topics": [{"topicName": "pruefen", "lockDuration": 1000}]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return time.monotonic() - began, answer.get_json()


def test_a_long_timeout_is_shortened_not_refused(rest: Server) -> None:
    _configure(rest, 0.5, 4, 2)
    took, tasks = _poll(rest, rest.bearer(), timeout_ms=2**31 - 1)   # beyond Camunda's clients' usual
    assert tasks == [] and 0.4 <= took < 10


def _waiting(rest: Server, headers: dict[str, str], count: int) -> threading.Thread:
    thread = threading.Thread(target=_poll, args=(rest, headers), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while gate(rest.client.application).waiting() < count:
        assert time.monotonic() < deadline, "the long poll did not start waiting"
        time.sleep(0.02)
    return thread


def test_polls_beyond_the_caps_answer_at_once(rest: Server) -> None:
    _configure(rest, 20.0, 2, 1)   # the waiting polls must outlast the steps below on a loaded machine
    for name in ("sb1", "sb2", "kasse1"):                    # the password checks (slow hashes) done before
        assert rest.client.get("/engine-rest/version", headers=rest.basic(name)).status_code == 200
    first = _waiting(rest, rest.bearer(), 1)                 # sb1 (token) waits
    took, tasks = _poll(rest, rest.basic("sb1"))             # sb1 again: beyond its account's cap
    assert tasks == [] and took < 10                       # at once, not after the 20 s wait
    second = _waiting(rest, rest.basic("sb2"), 2)            # another account may wait
    took, tasks = _poll(rest, rest.basic("kasse1"))          # a third: beyond the process's cap
    assert tasks == [] and took < 10
    stop_listener(rest.engine)    # the waiting polls answer now, as at a shutdown (not after their 20 s)
    first.join(60)
    second.join(60)
    assert not first.is_alive() and not second.is_alive()
    assert gate(rest.client.application).waiting() == 0      # the slots are given back
    rest.engine.external_bell = Bell()                       # open again, as a restarted process is
    took, _ = _poll(rest, rest.basic("sb1"), timeout_ms=500)
    assert took >= 0.4


def test_defaults_follow_the_request_threads() -> None:
    assert long_poll_config({}) == {"AMTSFLOW_LONG_POLL_MAX_SECONDS": 300.0, "AMTSFLOW_LONG_POLLS_MAX": 4,
                                    "AMTSFLOW_LONG_POLLS_PER_ACCOUNT": 2}
    assert long_poll_config({"AMTSFLOW_WEB_THREADS": "32", "AMTSFLOW_LONG_POLL_MAX_SECONDS": "60"}) == {
        "AMTSFLOW_LONG_POLL_MAX_SECONDS": 60.0, "AMTSFLOW_LONG_POLLS_MAX": 16, "AMTSFLOW_LONG_POLLS_PER_ACCOUNT": 8}


def test_serve_sizes_the_caps_by_the_threads_it_was_given(monkeypatch: Any, tmp_path: Any) -> None:
    """`amtsflow serve --threads 16`: the option (not only the environment variable) sizes the
    caps of the app it serves, 8 waiting polls per process, 4 per account."""
    import os

    from engine.settings import Settings
    from webui import server

    monkeypatch.delenv("AMTSFLOW_WEB_THREADS", raising=False)
    monkeypatch.delenv("AMTSFLOW_WEB_PROCESSES", raising=False)
    seen = {}
    monkeypatch.setattr(server, "_serve_waitress", lambda *args: seen.update(long_poll_config(os.environ)))
    try:
        server.serve(Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite", secret_key="s" * 40), "127.0.0.1", 0, 1, 16)
    finally:   # monkeypatch restores the variables it deleted, not ones set meanwhile
        os.environ.pop("AMTSFLOW_WEB_THREADS", None)
        os.environ.pop("AMTSFLOW_WEB_PROCESSES", None)
    assert (seen["AMTSFLOW_LONG_POLLS_MAX"], seen["AMTSFLOW_LONG_POLLS_PER_ACCOUNT"]) == (8, 4)
