"""The libpq pipeline's Sync without the GIL (engine/persistence/libpq_sync.py): taken with
psycopg's binary wheel, and the pipeline works through it and through the fallback alike."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select

from engine.persistence import libpq_sync, tables as t
from engine.persistence.db import unit_of_work
from engine.persistence.fast import FastStatement

_EVENT = FastStatement(t.audit_events.insert())
_ACTIONS = FastStatement(select(t.audit_events.c.action).where(t.audit_events.c.actor == "sync-test")
                         .order_by(t.audit_events.c.action))


def _event(action):
    from datetime import datetime, timezone

    return {"case_id": None, "at": datetime(2026, 1, 1, tzinfo=timezone.utc), "actor": "sync-test",
            "action": action, "details": {}, "prev_hash": "0" * 64, "hash": "1" * 64}


@pytest.fixture
def pg(engine):
    if engine.db.dialect.name != "postgresql":
        pytest.skip("the libpq pipeline: PostgreSQL only")
    with engine.db.begin() as conn:
        conn.execute(delete(t.audit_events).where(t.audit_events.c.actor == "sync-test"))
    return engine


def _round_trip(engine, tag):
    with unit_of_work(engine.db) as uow:
        _EVENT.defer(uow.conn, _event(f"{tag}-a"))
        _EVENT.defer(uow.conn, _event(f"{tag}-b"))
        uow.commit()
    with unit_of_work(engine.db) as uow:
        return [a for a in _ACTIONS.first_column(uow.conn, {}) if a.startswith(tag)]


def test_with_the_binary_wheel_the_sync_goes_through_ctypes(pg):
    from psycopg import pq

    if pq.__impl__ != "binary":
        pytest.skip("psycopg's binary wheel only")
    assert libpq_sync._sync_call() is not None
    assert _round_trip(pg, "ctypes") == ["ctypes-a", "ctypes-b"]


def test_the_fallback_is_psycopgs_own_call(pg, monkeypatch):
    monkeypatch.setattr(libpq_sync, "_resolved", [None])
    assert _round_trip(pg, "fallback") == ["fallback-a", "fallback-b"]


def test_pipelines_of_several_threads_at_once(pg):
    from engine.tenancy import current_tenant, tenant_scope

    errors = []
    tenant = current_tenant()

    def work(k):
        try:
            with tenant_scope(tenant):   # a thread of its own: the test's tenant scope set in it
                _rounds(k)
        except Exception as exc:   # noqa: BLE001 - reported below
            errors.append(exc)

    def _rounds(k):
        for n in range(20):
            assert _round_trip(pg, f"t{k}-{n}") == [f"t{k}-{n}-a", f"t{k}-{n}-b"]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
