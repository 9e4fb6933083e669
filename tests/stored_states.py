"""Stored case states written by older code (tests/fixtures/case_states/<commit>/, made by
tests/fixtures/case_states/generate.py): unpack, upgrade the schema, drive a case on."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.persistence.db import make_engine
from engine.persistence.migrate import upgrade
from engine.ports import FakeClock
from engine.services import cases, messages, queries

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "case_states"
COMMITS = ["5ca3854"]


def manifest(commit: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / commit / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def upgraded_copy(commit: str, target: Path) -> Path:
    """The commit's database, unpacked to ``target`` and upgraded to the current schema."""
    with gzip.open(FIXTURES / commit / "states.sqlite.gz") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    db = make_engine(f"sqlite:///{target}")
    upgrade(db)
    db.dispose()
    return target


def copy_into(sqlite_file: Path, url: str) -> None:
    """Every row of an (upgraded) SQLite database into an empty database of the same schema,
    e.g. PostgreSQL: the stored states as the old code wrote them, on the other database."""
    from sqlalchemy import insert, text

    from engine.persistence.tables import metadata

    source, target = make_engine(f"sqlite:///{sqlite_file}"), make_engine(url)
    try:
        with source.connect() as src, target.begin() as dst:
            for table in metadata.sorted_tables:
                rows = [dict(r._mapping) for r in src.execute(select(table))]
                if table.name == "tenants":   # the target has the default tenant already
                    rows = [r for r in rows if r["id"] != "default"]
                if rows:
                    dst.execute(insert(table), rows)
                serial = table.autoincrement_column
                if serial is not None and rows and target.dialect.name == "postgresql":
                    dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{serial.name}'), "
                                     f"(SELECT max({serial.name}) FROM {table.name}))"))
    finally:
        source.dispose()
        target.dispose()


def payment_platform(commit: str, state_file: Path) -> Any:
    """A payment simulator that knows the transactions the stored cases created (a case waiting
    for its payment cancels the transaction later); the caller stops it."""
    from connectors.simulators import payment, runner
    from connectors.simulators.common import serve_in_thread

    shutil.copy(FIXTURES / commit / "payment.json", state_file)
    return serve_in_thread(payment.create_app(1, None, runner.DEMO_SECRETS["payment_token"],
                                              runner.DEMO_SECRETS["payment_callback_secret"], state_file=state_file))


def waits(engine: Engine, case_id: str) -> dict[str, list[str]]:
    """What the projections say the case waits for (the generator recorded the same)."""
    with engine.db.connect() as conn:
        tasks = conn.execute(select(t.work_items.c.element_id).where(
            t.work_items.c.case_id == case_id, t.work_items.c.state == "open")).scalars()
        subs = conn.execute(select(t.subscriptions.c.name).where(t.subscriptions.c.case_id == case_id)).scalars()
        timers = conn.execute(select(t.jobs.c.element_id).where(t.jobs.c.case_id == case_id,
                                                               t.jobs.c.kind == "timer")).scalars()
        return {"tasks": sorted(tasks), "messages": sorted(subs), "timers": sorted(timers)}


def apply(engine: Engine, clock: FakeClock, worker: JobExecutor, case_id: str, action: dict[str, Any]) -> None:
    """One recorded action: complete a task, send a message, or let a timer fire."""
    if "complete" in action:
        [task] = [x for x in queries.list_tasks(engine, case_id=case_id) if x["element_id"] == action["complete"]]
        cases.complete_task(engine, task["id"], action["data"], actor=action["actor"], internal=True)
    elif "message" in action:
        case = queries.get_case(engine, case_id)
        data = dict(action["data"])
        if action["message"] == "zahlung_gebucht":
            key = case["data"]["zahlung"]["kassenzeichen"]
            data = {"zahlung_status": "BOOKED", "zahlung_betrag_cent": case["data"].get("gebuehr_cent", 0)}
        else:
            key = case["business_key"]
        outcome = messages.correlate_message(engine, action["message"], key, data)
        assert outcome.status == "delivered", (case_id, action, outcome)
    else:
        with engine.db.connect() as conn:
            due = conn.execute(select(t.jobs.c.due_at).where(
                t.jobs.c.case_id == case_id, t.jobs.c.kind == "timer",
                t.jobs.c.element_id == action["timer"])).scalar_one()
        due = due if due.tzinfo else due.replace(tzinfo=clock.now().tzinfo)
        if due > clock.now():
            clock.advance(due - clock.now() + timedelta(minutes=1))
    worker.run_until_idle()


def clock_of(entry: dict[str, Any]) -> FakeClock:
    return FakeClock(datetime.fromisoformat(entry["clock"]))
