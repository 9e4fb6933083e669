"""Timestamped HMAC signatures for callbacks (FIT-Connect: HMAC-SHA512, payment: HMAC-SHA256).

The signed text is ``"<timestamp>.<raw body>"``; a callback is refused when a header is missing,
the timestamp is more than ``max_age`` seconds away from now, the signature is wrong (compared in
constant time with ``hmac.compare_digest``) or the same signed callback was accepted before
(replay cache, kept for the ``max_age`` window in which the timestamp would still pass).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from datetime import datetime
from typing import Callable, Mapping, Protocol

MAX_AGE_SECONDS = 300


class CallbackRefused(Exception):
    """A callback failed authentication; ``reason`` is safe to log (never echo the secret)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplayGuard(Protocol):
    def first_seen(self, key: str, expires_at: float) -> bool:
        """Remember ``key`` until ``expires_at``; False if it was already remembered."""


class ReplayCache:
    """An in-process ReplayGuard (one web process). Several web processes need a shared one,
    e.g. a table with a unique key, since a replay may reach another process."""

    def __init__(self, clock: Callable[[], float] = time.time, max_entries: int = 100_000) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._max = max_entries

    def first_seen(self, key: str, expires_at: float) -> bool:
        now = self._clock()
        with self._lock:
            if len(self._seen) >= self._max or len(self._seen) % 1000 == 0:
                for old in [k for k, exp in self._seen.items() if exp < now]:
                    del self._seen[old]
            if key in self._seen and self._seen[key] >= now:
                return False
            if len(self._seen) >= self._max:
                raise CallbackRefused("replay cache full; refusing callbacks until entries expire")
            self._seen[key] = expires_at
            return True


def sign(secret: str, timestamp: int | str, body: bytes, digest: str = "sha512") -> str:
    """Hex HMAC of ``"<timestamp>.<body>"`` with the shared secret."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, getattr(hashlib, digest)).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    getter = getattr(headers, "get", None)
    value = getter(name) if getter else None
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _epoch(now: datetime | float | int) -> float:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.timestamp()
    return float(now)


def verify_signed(headers: Mapping[str, str], body: bytes, secret: str, now: datetime | float, *,
                  signature_header: str, timestamp_header: str, digest: str = "sha512",
                  prefix: str = "", max_age: int = MAX_AGE_SECONDS,
                  replay_guard: ReplayGuard | None = None) -> None:
    """Raise ``CallbackRefused`` unless the callback is authentic, fresh and not a replay."""
    if not secret:
        raise CallbackRefused("no callback secret configured")
    provided = _header(headers, signature_header)
    raw_ts = _header(headers, timestamp_header)
    if not provided or not raw_ts:
        raise CallbackRefused(f"missing {signature_header} or {timestamp_header} header")
    raw_ts = raw_ts.strip()
    if not raw_ts.isdigit() or len(raw_ts) > 12:
        raise CallbackRefused(f"{timestamp_header} is not a Unix timestamp in seconds")
    timestamp = int(raw_ts)
    age = _epoch(now) - timestamp
    if abs(age) > max_age:
        raise CallbackRefused(f"timestamp is {age:.0f} s away from now (more than {max_age} s): stale or skewed")
    provided = provided.strip()
    if prefix and provided.startswith(prefix):
        provided = provided[len(prefix):]
    expected = sign(secret, raw_ts, body, digest)
    if not hmac.compare_digest(expected.encode("ascii"), provided.lower().encode("ascii", "replace")):
        raise CallbackRefused("signature does not match the body and timestamp")
    if replay_guard is not None:
        key = hashlib.sha256(f"{raw_ts}.{expected}".encode("ascii")).hexdigest()
        if not replay_guard.first_seen(key, timestamp + max_age + 1):
            raise CallbackRefused("callback was already received (replay)")
