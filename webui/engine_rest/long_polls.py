"""Bounds on fetchAndLock's long polls (``asyncResponseTimeout``).

Camunda's REST server answers long polls asynchronously; ours holds a request thread per
waiting poll, so a client could tie up every thread with a few requests that wait long. Hence:
a poll waits at most ``AMTSFLOW_LONG_POLL_MAX_SECONDS`` (default 300; a longer timeout is
shortened, not refused, as clients send what Camunda accepts); at most
``AMTSFLOW_LONG_POLLS_MAX`` polls wait at once per server process (default: half the request
threads) and at most ``AMTSFLOW_LONG_POLLS_PER_ACCOUNT`` of one account (default: half of
that). A poll beyond a cap does not wait: it answers at once with the tasks free now (often
none), as a Camunda poll does when its time is up, and the client polls again.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping

from flask import Flask, current_app

from engine.settings import env_number


def long_poll_config(env: Mapping[str, str]) -> dict[str, Any]:
    threads = env_number(env, "AMTSFLOW_WEB_THREADS", int, 8)
    per_process = env_number(env, "AMTSFLOW_LONG_POLLS_MAX", int, max(1, threads // 2))
    return {"AMTSFLOW_LONG_POLL_MAX_SECONDS": env_number(env, "AMTSFLOW_LONG_POLL_MAX_SECONDS", float, 300.0),
            "AMTSFLOW_LONG_POLLS_MAX": per_process,
            "AMTSFLOW_LONG_POLLS_PER_ACCOUNT": env_number(env, "AMTSFLOW_LONG_POLLS_PER_ACCOUNT", int,
                                                          max(1, per_process // 2))}


class PollGate:
    """Counts the waiting long polls of this process, in all and per account."""

    def __init__(self, total: int, per_account: int) -> None:
        self.total = total
        self.per_account = per_account
        self._lock = threading.Lock()
        self._waiting = 0
        self._by_account: dict[str, int] = {}

    def enter(self, account: str) -> bool:
        with self._lock:
            if self._waiting >= self.total or self._by_account.get(account, 0) >= self.per_account:
                return False
            self._waiting += 1
            self._by_account[account] = self._by_account.get(account, 0) + 1
            return True

    def leave(self, account: str) -> None:
        with self._lock:
            self._waiting -= 1
            left = self._by_account[account] - 1
            if left:
                self._by_account[account] = left
            else:
                del self._by_account[account]

    def waiting(self) -> int:
        with self._lock:
            return self._waiting


def gate(app: Flask | None = None) -> PollGate:
    """This app's gate (made on first use from its configuration)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("amtsflow_long_polls")
    if found is None:
        found = app.extensions.setdefault("amtsflow_long_polls", PollGate(
            int(app.config["AMTSFLOW_LONG_POLLS_MAX"]), int(app.config["AMTSFLOW_LONG_POLLS_PER_ACCOUNT"])))
    return found  # type: ignore[no-any-return]


__all__ = ["PollGate", "gate", "long_poll_config"]
