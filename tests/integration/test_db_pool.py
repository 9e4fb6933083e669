"""PostgreSQL pool: a connection is pinged only after it sat unused; a dead one is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine.persistence import db as dbmod
from engine.persistence.db import make_engine

pytestmark = pytest.mark.postgres


def _counting_pings(db, monkeypatch):
    pings = []
    ping = db.dialect.do_ping

    def counted(dbapi_conn):
        pings.append(dbapi_conn)
        return ping(dbapi_conn)

    monkeypatch.setattr(db.dialect, "do_ping", counted)
    return pings


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url, monkeypatch):
    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE", 60.0, raising=False)
    db = make_engine(pg_url)
    try:
        pings = _counting_pings(db, monkeypatch)
        for _ in range(3):
            with db.begin() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
        assert pings == []
    finally:
        db.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(pg_url, monkeypatch):
    db = make_engine(pg_url)
    admin = create_engine(pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with db.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        monkeypatch.setattr(dbmod, "PING_AFTER_IDLE", 0.0, raising=False)  # as if it had sat in the pool for long
        pings = _counting_pings(db, monkeypatch)
        with db.begin() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
        assert len(pings) >= 1
    finally:
        db.dispose()
        admin.dispose()
