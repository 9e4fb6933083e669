"""Shared replay guard for signed callbacks and the idempotent case start (FIT-Connect intake),
on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from engine.persistence import tables as t
from engine.services import messages, queries
from engine.services.replay import DatabaseReplayGuard
from tests.integration.helpers import deploy_models
from tests.conftest import in_scope

START = {"name": "Erika Mustermann", "anzahl": 1}


def test_replay_guard_remembers_a_key_until_it_expires(engine, clock):
    guard, other_process = DatabaseReplayGuard(engine), DatabaseReplayGuard(engine)
    until = (clock.now() + timedelta(minutes=5)).timestamp()
    assert guard.first_seen("a" * 64, until) is True
    assert other_process.first_seen("a" * 64, until) is False        # shared through the database
    assert guard.first_seen("b" * 64, until) is True
    clock.advance(timedelta(minutes=6))
    assert guard.forget_expired() == 2
    assert guard.first_seen("a" * 64, (clock.now() + timedelta(minutes=5)).timestamp()) is True


def test_replay_guard_lets_one_of_two_concurrent_deliveries_through(engine, clock):
    until = (clock.now() + timedelta(minutes=5)).timestamp()
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        results.append(DatabaseReplayGuard(engine).first_seen("c" * 64, until))

    threads = [threading.Thread(target=in_scope(deliver)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_start_case_once_starts_one_case_per_message_id(engine):
    deploy_models(engine, "antrag.bpmn", "antrag-start.schema.json", "pruefung.schema.json")
    first = messages.start_case_once(engine, "antrag", START, message_id="fitconnect:s-1", business_key="2026-AB",
                                     actor="fitconnect")
    again = messages.start_case_once(engine, "antrag", START, message_id="fitconnect:s-1", business_key="2026-CD",
                                     actor="fitconnect")
    assert first.status == "started" and again.status == "duplicate" and again.case_id == first.case_id
    assert queries.get_case(engine, first.case_id)["business_key"] == "2026-AB"
    with engine.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.cases)).scalar() == 1
    other = messages.start_case_once(engine, "antrag", START, message_id="fitconnect:s-2")
    assert other.status == "started" and other.case_id != first.case_id
