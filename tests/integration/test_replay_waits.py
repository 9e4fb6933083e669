"""``amtsflow replay``: stored cases loaded with the current code, nothing stepped, waits
compared with the projections; over the stored states of 5ca3854 and over fresh cases on both
databases, with deliberately broken projections."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, select, update

from engine.bootstrap import Engine, bootstrap
from engine.persistence import tables as t
from engine.services import cases
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.integration.helpers import deploy_models
from tests.stored_states import COMMITS, manifest, upgraded_copy
from webui.cli import main


def _replay(engine: Engine, *args: str) -> Result:
    return CliRunner().invoke(main, ["replay", *args], obj=engine, catch_exceptions=False)


@pytest.fixture(scope="module")
def stored_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return upgraded_copy(COMMITS[0], tmp_path_factory.mktemp("replay") / "states.sqlite")


@pytest.fixture
def stored(stored_db: Path, tmp_path: Path) -> Engine:
    copy = tmp_path / "states.sqlite"
    copy.write_bytes(stored_db.read_bytes())
    engine = bootstrap(Settings(database_url=f"sqlite:///{copy}", case_cache_size=0,
                                max_command_seconds=TEST_COMMAND_SECONDS))
    yield engine  # type: ignore[misc]
    engine.db.dispose()


def test_the_stored_states_of_5ca3854_agree_with_their_projections(stored: Engine) -> None:
    out = _replay(stored)
    assert out.exit_code == 0, out.output
    assert out.output.strip().splitlines()[-1] == f"{len(manifest(COMMITS[0]))} case(s) checked, 0 with differences"


def test_process_filter_and_sample(stored: Engine) -> None:
    parking = [e for e in manifest(COMMITS[0]) if e["process"] == "bewohnerparkausweis"]
    assert _replay(stored, "--process", "bewohnerparkausweis").output.strip().endswith(
        f"{len(parking)} case(s) checked, 0 with differences")
    assert _replay(stored, "--sample", "3").output.strip().endswith("3 case(s) checked, 0 with differences")


def test_a_lost_subscription_and_a_moved_timer_are_reported(stored: Engine) -> None:
    entries = manifest(COMMITS[0])
    waiting = next(e for e in entries if e["waits"]["messages"])
    timed = next(e for e in entries if e["waits"]["timers"] and e["case_id"] != waiting["case_id"])
    with stored.db.begin() as conn:
        conn.execute(delete(t.subscriptions).where(t.subscriptions.c.case_id == waiting["case_id"]))
        job = conn.execute(select(t.jobs.c.id, t.jobs.c.due_at).where(
            t.jobs.c.case_id == timed["case_id"], t.jobs.c.kind == "timer")).first()
        conn.execute(update(t.jobs).where(t.jobs.c.id == job.id).values(due_at=job.due_at + timedelta(days=1)))
    out = _replay(stored)
    assert out.exit_code == 1
    lines = out.output.strip().splitlines()
    assert lines[-1].endswith("2 with differences")
    [lost] = [line for line in lines if waiting["case_id"] in line]
    assert f"messages only in the state: {waiting['waits']['messages'][0]} " in lost
    [moved] = [line for line in lines if timed["case_id"] in line]
    assert "timers only in the state" in moved and "timers only in the projections" in moved


def test_an_unreadable_state_is_reported(stored: Engine) -> None:
    case_id = manifest(COMMITS[0])[0]["case_id"]
    with stored.db.begin() as conn:
        conn.execute(update(t.cases).where(t.cases.c.id == case_id).values(serializer_version="amtsflow/99+spiff-1.5"))
    out = _replay(stored)
    assert out.exit_code == 1 and f"case {case_id} " in out.output and "cannot load: UnknownStateVersion" in out.output


def test_fresh_cases_agree_and_a_closed_work_item_is_reported(engine: Engine) -> None:
    """Both databases: a case waiting for a clerk with two timers on the task."""
    deploy_models(engine, "timers.bpmn")
    case_id = cases.start_case(engine, "timers", {"erinnerungen": 0, "stichtag": "2026-01-10T09:00:00+01:00"},
                               internal=True)
    out = _replay(engine)
    assert out.exit_code == 0 and out.output.strip() == "1 case(s) checked, 0 with differences", out.output
    with engine.db.begin() as conn:
        conn.execute(update(t.work_items).where(t.work_items.c.case_id == case_id).values(state="completed"))
    out = _replay(engine)
    assert out.exit_code == 1
    assert out.output.startswith(f"case {case_id} (timers v1): tasks only in the state: bearbeiten ")


def _timers_case(engine: Engine) -> str:
    return cases.start_case(engine, "timers", {"erinnerungen": 0, "stichtag": "2026-01-10T09:00:00+01:00"},
                            internal=True)


def test_every_tenants_cases_are_checked_unless_one_is_named(engine: Engine) -> None:
    """Both databases. The upgrade concerns the whole installation: without --tenant, the open
    cases of every municipality are loaded, each with its own deployments (the CLI's default
    tenant alone checked 8 of the demo's 12 cases)."""
    from engine.services import tenants
    from engine.tenancy import tenant_scope

    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt")
    deploy_models(engine, "timers.bpmn")
    _timers_case(engine)
    with tenant_scope("musterstadt"):
        deploy_models(engine, "timers.bpmn")
        theirs = [_timers_case(engine) for _ in range(2)]
    out = _replay(engine)
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == ["tenant musterstadt: 2 case(s) checked, 0 with differences",
                                      "tenant default: 1 case(s) checked, 0 with differences",
                                      "3 case(s) checked, 0 with differences"]
    with tenant_scope("musterstadt"), engine.db.begin() as conn:
        conn.execute(update(t.work_items).where(t.work_items.c.case_id == theirs[1]).values(state="completed"))
    out = _replay(engine)
    assert out.exit_code == 1
    assert f"case {theirs[1]} (timers v1, tenant musterstadt): tasks only in the state: bearbeiten " in out.stdout
    named = CliRunner().invoke(main, ["--tenant", "default", "replay"], obj=engine, catch_exceptions=False)
    assert named.exit_code == 0 and named.stdout.strip() == "1 case(s) checked, 0 with differences"
    assert "only tenant default" in named.stderr


def test_cases_are_loaded_in_batches_each_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both databases: a full replay pages through the open cases (no case twice, none left
    out, a completed one not at all), a sample likewise; progress after each batch, and on
    stderr while the command runs."""
    from engine.services import replay_waits
    from webui import cli_replay

    monkeypatch.setattr(replay_waits, "BATCH", 2)
    deploy_models(engine, "timers.bpmn")
    started = [_timers_case(engine) for _ in range(5)]
    with engine.db.begin() as conn:   # one case ended: not open, not checked
        conn.execute(update(t.cases).where(t.cases.c.id == started[2]).values(status="completed"))
    seen: list[str] = []
    original = replay_waits.check_batch

    def checking(eng: Engine, conn: object, rows: list[object]) -> object:
        seen.extend(row.id for row in rows)  # type: ignore[attr-defined]
        return original(eng, conn, rows)

    monkeypatch.setattr(replay_waits, "check_batch", checking)
    calls: list[tuple[int, int]] = []
    report = replay_waits.replay(engine, progress=lambda checked, differing: calls.append((checked, differing)))
    assert sorted(seen) == sorted(started[:2] + started[3:]) and report.checked == 4
    assert calls == [(2, 0), (4, 0)]
    seen.clear()
    assert replay_waits.replay(engine, sample=3).checked == 3
    assert len(set(seen)) == 3 and set(seen) <= set(started) - {started[2]}
    monkeypatch.setattr(cli_replay, "PROGRESS_SECONDS", 0.0)
    out = _replay(engine)
    assert out.exit_code == 0 and "replay: 4 of 4 open case(s) checked (100 %), 0 with differences" in out.stderr
