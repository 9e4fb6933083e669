"""The owned case-state format: its version is read on every load and registered migrations
bring older states up to date (both databases; case cache off so every command loads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from engine.bootstrap import Engine, bootstrap
from engine.persistence import tables as t
from engine.ports import FakeClock
from engine.runtime.state_format import MIGRATIONS, MigrationContext, StateMigrations, UnknownStateVersion
from engine.services import cases, queries
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.integration.helpers import deploy_models


@pytest.fixture
def uncached(database_url: str, clock: FakeClock) -> Iterator[Engine]:
    eng = bootstrap(Settings(database_url=database_url, case_cache_size=0, max_command_seconds=TEST_COMMAND_SECONDS),
                    clock=clock)
    yield eng
    eng.db.dispose()


def _stored_version(engine: Engine, case_id: str) -> str:
    with engine.db.connect() as conn:
        return conn.execute(select(t.cases.c.serializer_version).where(t.cases.c.id == case_id)).scalar_one()  # type: ignore[no-any-return]


def _set_version(engine: Engine, case_id: str, label: str) -> None:
    with engine.db.begin() as conn:
        conn.execute(update(t.cases).where(t.cases.c.id == case_id).values(serializer_version=label))


def _case_waiting_for_a_clerk(engine: Engine) -> str:
    deploy_models(engine, "usertask.bpmn")
    return cases.start_case(engine, "usertask", {"antragsteller": "Erika"}, internal=True)


def test_a_new_state_carries_the_current_version(uncached: Engine) -> None:
    case_id = _case_waiting_for_a_clerk(uncached)
    assert _stored_version(uncached, case_id) == MIGRATIONS.label == "amtsflow/3+spiff-1.5"


def test_a_format_1_state_loads_and_is_saved_as_format_3(uncached: Engine) -> None:
    """Format 2 added the internal-data key of late-bound call activities (call_activity.BOUND):
    a format-1 state has none, and its migration changes nothing."""
    case_id = _case_waiting_for_a_clerk(uncached)
    _set_version(uncached, case_id, "amtsflow/1+spiff-1.5")
    [task] = queries.list_tasks(uncached, case_id=case_id)
    cases.complete_task(uncached, task["id"], {"ergebnis": "ok"}, actor="sb1", internal=True)
    assert queries.get_case(uncached, case_id)["data"]["antragsteller"] == "Erika"
    assert _stored_version(uncached, case_id) == "amtsflow/3+spiff-1.5"


@pytest.mark.parametrize("old_label", ["amtsflow/3+spiff-1.5", "amtsflow/2+spiff-1.5", "amtsflow/1+spiff-1.5",
                                       "spiffworkflow-3.2.0/1.5+specless"])
def test_a_version_bump_migrates_old_states_on_load(uncached: Engine, old_label: str) -> None:
    """Format 4 of this test renames a variable; a state stored as format 3, 2 or 1 (or with the
    label written before the format was ours) is migrated when a command loads it, and saved as 4."""
    case_id = _case_waiting_for_a_clerk(uncached)
    _set_version(uncached, case_id, old_label)
    calls: list[str] = []
    bumped = StateMigrations(current=4, by_spiff=dict(MIGRATIONS.by_spiff), by_format=dict(MIGRATIONS.by_format))

    @bumped.ours(3)
    def rename_applicant(dct: dict[str, Any], context: MigrationContext) -> None:
        calls.append(context.typename("pruefen") or "")
        for task in dct["tasks"].values():   # the variables live in the task data
            if "antragsteller" in task["data"]:
                task["data"]["antragsteller_name"] = task["data"].pop("antragsteller")

    uncached.serializer.migrations = bumped
    [task] = queries.list_tasks(uncached, case_id=case_id)
    cases.complete_task(uncached, task["id"], {"ergebnis": "ok"}, actor="sb1", internal=True)

    data = queries.get_case(uncached, case_id)["data"]
    assert data.get("antragsteller_name") == "Erika" and "antragsteller" not in data
    assert calls == ["UserTask"]                                     # the context knows the re-parsed spec
    assert _stored_version(uncached, case_id) == "amtsflow/4+spiff-1.5"


def test_a_state_newer_than_the_code_is_refused_not_guessed(uncached: Engine) -> None:
    case_id = _case_waiting_for_a_clerk(uncached)
    _set_version(uncached, case_id, "amtsflow/7+spiff-1.5")
    [task] = queries.list_tasks(uncached, case_id=case_id)
    with pytest.raises(UnknownStateVersion, match="format 7"):
        cases.complete_task(uncached, task["id"], {}, actor="sb1", internal=True)


def test_a_gap_in_the_chain_is_refused(uncached: Engine) -> None:
    case_id = _case_waiting_for_a_clerk(uncached)
    uncached.serializer.migrations = StateMigrations(current=5, by_format={4: lambda d, c: None})
    [task] = queries.list_tasks(uncached, case_id=case_id)
    with pytest.raises(UnknownStateVersion, match="from case-state format 3 to 4"):
        cases.complete_task(uncached, task["id"], {}, actor="sb1", internal=True)


def test_a_state_of_an_unknown_library_serializer_version_is_refused(uncached: Engine) -> None:
    case_id = _case_waiting_for_a_clerk(uncached)
    _set_version(uncached, case_id, "amtsflow/1+spiff-1.1")   # SpiffWorkflow's 1.1 -> 1.2 is not adapted
    [task] = queries.list_tasks(uncached, case_id=case_id)
    with pytest.raises(UnknownStateVersion, match="SpiffWorkflow serializer 1.1"):
        cases.complete_task(uncached, task["id"], {}, actor="sb1", internal=True)
