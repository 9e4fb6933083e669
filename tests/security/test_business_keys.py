"""Issue 12.2: business keys (Aktenzeichen) are unique per process, assigned by the engine in the
process's own format, and only systems may choose one."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.domain.errors import Conflict, DeploymentError
from engine.persistence import tables as t
from engine.runtime.parsing import SourceFile
from engine.services import messages, queries
from engine.services.cases import start_case
from engine.services.deploy import deploy
from tests.integration.helpers import MODELS, deploy_models
from tests.conftest import in_scope

SERVICE_TOML = 'key = "{key}"\naktenzeichen = "{fmt}"\n'


def _deploy_with_format(engine, fmt: str | None, process_id: str = "zahlung") -> None:
    text = (MODELS / "messages.bpmn").read_text(encoding="utf-8").replace('id="zahlung"', f'id="{process_id}"')
    text = text.replace('id="eingang"', f'id="eingang_{process_id}"')
    files = [SourceFile(f"{process_id}/process.bpmn", text.encode())]
    if fmt is not None:
        files.append(SourceFile(f"{process_id}/service.toml", SERVICE_TOML.format(key=process_id, fmt=fmt).encode()))
    deploy(engine, files, actor="test")


def _at(clock, when: datetime) -> None:
    clock.advance(when - clock.now())


def test_a_second_case_with_the_same_business_key_is_refused(engine):
    """The reproduction: a second case started with another citizen's Aktenzeichen got her message."""
    deploy_models(engine, "messages.bpmn")
    hers = start_case(engine, "zahlung", {}, business_key="2026-ERIKA1", actor="erika")
    with pytest.raises(Conflict) as caught:
        start_case(engine, "zahlung", {}, business_key="2026-ERIKA1", actor="mallory")
    assert "2026-ERIKA1" in caught.value.message
    assert caught.value.user_message == "Das Aktenzeichen „2026-ERIKA1“ ist für diese Leistung bereits vergeben."
    assert [c["id"] for c in queries.list_cases(engine)] == [hers]
    out = messages.correlate_message(engine, "zahlung_eingegangen", "2026-ERIKA1", {"betrag": 1})
    assert (out.status, out.case_id) == ("delivered", hers)


def test_the_database_itself_refuses_a_duplicate_business_key(engine):
    deploy_models(engine, "messages.bpmn")
    case_id = start_case(engine, "zahlung", {}, business_key="AZ-1")
    with engine.db.connect() as conn:
        row = dict(conn.execute(select(t.cases).where(t.cases.c.id == case_id)).mappings().one())
    row["id"] = "00000000-0000-0000-0000-000000000001"
    with pytest.raises(IntegrityError), engine.db.begin() as conn:
        conn.execute(t.cases.insert().values(**row))
    with engine.db.begin() as conn:                       # NULL is not a key: any number of them
        for n in (2, 3):
            conn.execute(t.cases.insert().values(**{**row, "id": f"00000000-0000-0000-0000-00000000000{n}",
                                                    "business_key": None}))


def test_the_same_business_key_in_another_process_is_allowed(engine):
    deploy_models(engine, "messages.bpmn")
    _deploy_with_format(engine, None, "zahlung_b")
    start_case(engine, "zahlung", {}, business_key="AZ-7")
    start_case(engine, "zahlung_b", {}, business_key="AZ-7")


def test_the_engine_assigns_a_business_key_in_the_process_format(engine, clock):
    _at(clock, datetime(2026, 12, 31, 12, 0, tzinfo=timezone.utc))
    _deploy_with_format(engine, "ZA-{jahr}-{nummer:04d}")
    first, second = start_case(engine, "zahlung", {}), start_case(engine, "zahlung", {})
    assert [queries.get_case(engine, c)["business_key"] for c in (first, second)] == ["ZA-2026-0001", "ZA-2026-0002"]
    _at(clock, datetime(2027, 1, 1, 12, 0, tzinfo=timezone.utc))
    assert queries.get_case(engine, start_case(engine, "zahlung", {}))["business_key"] == "ZA-2027-0001"
    out = messages.correlate_message(engine, "zahlung_eingegangen", "ZA-2026-0002", {"betrag": 1})
    assert (out.status, out.case_id) == ("delivered", second)


def test_processes_without_a_format_share_one_counter(engine, clock):
    _at(clock, datetime(2026, 5, 1, tzinfo=timezone.utc))
    deploy_models(engine, "messages.bpmn")
    _deploy_with_format(engine, None, "zahlung_b")
    keys = [queries.get_case(engine, start_case(engine, key, {}))["business_key"]
            for key in ("zahlung", "zahlung_b", "zahlung")]
    assert keys == ["2026-000001", "2026-000002", "2026-000003"]


def test_an_assigned_number_skips_a_key_a_system_chose_already(engine, clock):
    _at(clock, datetime(2026, 5, 1, tzinfo=timezone.utc))
    _deploy_with_format(engine, "ZA-{jahr}-{nummer}")
    start_case(engine, "zahlung", {}, business_key="ZA-2026-1")
    assert queries.get_case(engine, start_case(engine, "zahlung", {}))["business_key"] == "ZA-2026-2"


def test_concurrent_starts_get_distinct_consecutive_numbers(engine, clock):
    _at(clock, datetime(2026, 5, 1, tzinfo=timezone.utc))
    _deploy_with_format(engine, "ZA-{jahr}-{nummer:03d}")
    start_case(engine, "zahlung", {})                     # parsed and cached before the race
    errors: list[BaseException] = []

    def starts() -> None:
        try:
            for _ in range(5):
                start_case(engine, "zahlung", {})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=in_scope(starts)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    keys = sorted(c["business_key"] for c in queries.list_cases(engine, limit=100))
    assert keys == [f"ZA-2026-{n:03d}" for n in range(1, 22)]


@pytest.mark.parametrize("fmt, problem", [
    ("ZA-{jahr}", "{nummer}"),
    ("ZA-{nummer.__class__}", "placeholder"),
    ("ZA-{nummer!r}", "placeholder"),
    ("ZA-{nummer:>10}", "format"),
    ("ZA {nummer}", "character"),
    ("ZA-{nummer}-{nummer}", "once"),
    ("ZA-{nummer", "format"),
])
def test_a_bad_format_is_refused_at_deploy(engine, fmt, problem):
    with pytest.raises(DeploymentError) as caught:
        _deploy_with_format(engine, fmt)
    found = caught.value.problems[0]
    assert found.file.endswith("service.toml") and "aktenzeichen" in found.message and problem in found.message


def test_a_start_racing_for_the_same_key_gets_a_conflict_not_a_database_error(engine, monkeypatch):
    """Two starts that both passed the check: the unique index refuses the second one's insert."""
    from engine.services import business_keys

    deploy_models(engine, "messages.bpmn")
    start_case(engine, "zahlung", {}, business_key="AZ-RACE")
    real, calls = business_keys.taken, []

    def check_sees_nothing_yet(conn, process_key, business_key):
        calls.append(business_key)
        return False if len(calls) == 1 else real(conn, process_key, business_key)

    monkeypatch.setattr(business_keys, "taken", check_sees_nothing_yet)
    with pytest.raises(Conflict) as caught:
        start_case(engine, "zahlung", {}, business_key="AZ-RACE")
    assert calls == ["AZ-RACE", "AZ-RACE"] and "bereits vergeben" in caught.value.user_message
    assert len(queries.list_cases(engine)) == 1


def test_the_year_of_the_key_is_the_authority_s_local_year(engine, clock):
    """New Year's night: 23:30 UTC on 31 December is already 2027 in Germany."""
    _at(clock, datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc))
    _deploy_with_format(engine, "ZA-{jahr}-{nummer:04d}")
    assert queries.get_case(engine, start_case(engine, "zahlung", {}))["business_key"] == "ZA-2027-0001"


def _race_once(engine, monkeypatch) -> list[str]:
    """The next start reads its number, then (before it claims it) another start of the same
    process takes that number. Returns the keys the steps of the racing start saw."""
    from engine.services import business_keys, case_start

    real_peek, real_workflow = business_keys.peek, case_start.workflow_to_start
    stepped: list[str] = []
    raced: list[bool] = []

    def peek_then_lose(conn, *args):
        ticket = real_peek(conn, *args)
        if not raced:
            raced.append(True)
            start_case(engine, "zahlung", {})   # takes the number just read
        return ticket

    def workflow_to_start(engine_, case_id, key, definition, parsed, data, business_key, *rest, **named):
        stepped.append(business_key)
        return real_workflow(engine_, case_id, key, definition, parsed, data, business_key, *rest, **named)

    monkeypatch.setattr(business_keys, "peek", peek_then_lose)
    monkeypatch.setattr(case_start, "workflow_to_start", workflow_to_start)
    return stepped


def test_a_start_that_loses_its_number_takes_the_next_without_stepping_again(engine, clock, monkeypatch):
    """Concurrent starts of one process read the same next number; the loser's step did not
    see its key, so it takes the next number in its write transaction instead of stepping anew."""
    _at(clock, datetime(2026, 5, 1, tzinfo=timezone.utc))
    _deploy_with_format(engine, "ZA-{jahr}-{nummer:03d}")
    with engine.db.connect() as conn:   # as if a start had read its key once: numbers are read before the step
        engine.key_reading_starts.update(conn.execute(select(t.process_definitions.c.id)).scalars())
    stepped = _race_once(engine, monkeypatch)
    case_id = start_case(engine, "zahlung", {})
    assert stepped == ["ZA-2026-001", "ZA-2026-001"]   # the racing start, then the winner inside it: once each
    assert queries.get_case(engine, case_id)["business_key"] == "ZA-2026-002"
    with engine.db.connect() as conn:
        details = conn.execute(select(t.audit_events.c.details).where(t.audit_events.c.case_id == case_id)).scalar()
    assert details["business_key"] == "ZA-2026-002"
    assert sorted(c["business_key"] for c in queries.list_cases(engine)) == ["ZA-2026-001", "ZA-2026-002"]


def test_a_start_whose_step_read_its_key_steps_again_with_the_next(engine, clock, monkeypatch):
    """A script read execution.getBusinessKey(): the step depended on the key, so the loser of
    the race steps again and its variable holds the key it is stored under."""
    _at(clock, datetime(2026, 5, 1, tzinfo=timezone.utc))
    text = (MODELS / "messages.bpmn").read_text(encoding="utf-8")
    text = text.replace('<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>',
                        '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
                        '<bpmn:scriptTask id="merken"><bpmn:incoming>f0</bpmn:incoming>'
                        '<bpmn:outgoing>f1</bpmn:outgoing><bpmn:script>akz = execution.getBusinessKey()'
                        '</bpmn:script></bpmn:scriptTask>'
                        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="merken"/>')
    text = text.replace('<bpmn:sequenceFlow id="f1" sourceRef="start"', '<bpmn:sequenceFlow id="f1" sourceRef="merken"')
    deploy(engine, [SourceFile("zahlung/process.bpmn", text.encode()),
                    SourceFile("zahlung/service.toml", SERVICE_TOML.format(key="zahlung", fmt="ZA-{nummer}").encode())],
           actor="test")
    stepped = _race_once(engine, monkeypatch)
    case = queries.get_case(engine, start_case(engine, "zahlung", {}))
    # stepped without a key first (the process had not been seen reading it), then with the
    # number read before the step: the race, and once more with the next
    assert stepped == ["", "ZA-1", "ZA-1", "ZA-2"]
    assert case["business_key"] == "ZA-2" and case["data"]["akz"] == "ZA-2"


def test_a_start_that_does_not_read_its_key_takes_it_with_the_case(engine, clock, monkeypatch):
    """No number is read before the step (one statement counts up in the write transaction),
    the step runs once, and the numbers stay gapless."""
    from engine.services import business_keys, case_start

    _at(clock, datetime(2026, 5, 1, tzinfo=timezone.utc))
    _deploy_with_format(engine, "ZA-{jahr}-{nummer:03d}")
    stepped = _race_once(engine, monkeypatch)
    monkeypatch.setattr(business_keys, "peek", lambda *a: pytest.fail("the number was read before the step"))
    keys = [queries.get_case(engine, start_case(engine, "zahlung", {}))["business_key"] for _ in range(3)]
    assert keys == ["ZA-2026-001", "ZA-2026-002", "ZA-2026-003"] and stepped == ["", "", ""]
    assert case_start.OPTIMISTIC_STARTS and not engine.key_reading_starts


@pytest.mark.parametrize("fmt, number", [
    ("ZA-{jahr}-{nummer:03d}", 7),          # zero-padded
    ("ZA-{jahr}-{nummer:03d}", 1234),       # wider than its width
    ("{nummer}/{jahr}", 41),                # the number first, text after it
    ("ZA{nummer:4d}", 12),                  # padded with spaces
    ("ZA{nummer:d}", 5),
])
def test_an_assigned_number_skips_a_taken_key_of_any_number_format(engine, clock, fmt, number):
    """The next number's key is a key a case has already (a system chose it, or a copied row):
    it is skipped. On PostgreSQL the key is rendered in SQL, in the statement that counts up."""
    from engine.services import business_keys

    _at(clock, datetime(2026, 5, 1, tzinfo=timezone.utc))
    _deploy_with_format(engine, fmt)
    first = start_case(engine, "zahlung", {})
    taken = business_keys.render(fmt, 2026, number)
    with engine.db.begin() as conn:
        row = dict(conn.execute(select(t.cases).where(t.cases.c.id == first)).mappings().one())
        conn.execute(t.cases.insert().values(**{**row, "id": "00000000-0000-0000-0000-000000000009",
                                                "business_key": taken}))
        conn.execute(t.business_key_sequences.update().where(t.business_key_sequences.c.scope == "zahlung")
                     .values(last_number=number - 1))
    assert queries.get_case(engine, start_case(engine, "zahlung", {}))["business_key"] == \
        business_keys.render(fmt, 2026, number + 1)


def test_an_assigned_key_a_system_takes_before_the_commit_makes_the_start_take_the_next(engine, clock, monkeypatch):
    """PostgreSQL (on SQLite the start holds the write lock): a system's case with the key the
    start was just assigned commits before the start does. The unique index refuses the start's
    row at its commit; the start steps anew and takes the next number, no Conflict."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("on SQLite no other transaction commits while a start holds the write lock")
    from engine.services import business_keys

    _at(clock, datetime(2026, 5, 1, tzinfo=timezone.utc))
    _deploy_with_format(engine, "ZA-{jahr}-{nummer:03d}")
    first = start_case(engine, "zahlung", {})
    with engine.db.connect() as conn:
        row = dict(conn.execute(select(t.cases).where(t.cases.c.id == first)).mappings().one())
    real, assigned = business_keys.assign, []

    def system_takes_it_meanwhile(conn, *args):
        key = real(conn, *args)
        if not assigned:
            with engine.db.begin() as other:      # another transaction, committed before the start's
                other.execute(t.cases.insert().values(**{**row, "id": "00000000-0000-0000-0000-000000000009",
                                                         "business_key": key}))
        assigned.append(key)
        return key

    monkeypatch.setattr(business_keys, "assign", system_takes_it_meanwhile)
    case = queries.get_case(engine, start_case(engine, "zahlung", {}))
    assert assigned == ["ZA-2026-002", "ZA-2026-003"] and case["business_key"] == "ZA-2026-003"
