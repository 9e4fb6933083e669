"""Case search for the cockpit (issue 16): each filter, keyset paging, the capped total, export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState
from engine.ports import FakeClock
from engine.services import case_search, cases, queries
from engine.services.case_events import open_incident
from engine.services.case_search import CaseQuery
from engine.services.deploy import deploy, read_paths
from engine.persistence import tables as t
from engine.runtime.parsing import SourceFile
from tests.conftest import model


@pytest.fixture
def world(engine: Engine, clock: FakeClock) -> dict[str, Any]:
    """Six usertask cases an hour apart (names and keys differ), one completed, one cancelled,
    one suspended, one with an open incident; and one case of version 2."""
    deploy(engine, read_paths([str(model("usertask.bpmn"))]), actor="test")
    names = ["Erika Mustermann", "Jonas Weber", "Aylin Yılmaz", "Peter Müller", "Erik Schmidt", "Lena Fuchs"]
    ids = []
    first = clock.now()
    for n, name in enumerate(names):
        ids.append(cases.start_case(engine, "usertask", {"antragsteller": name}, actor="test", internal=True,
                                    business_key=f"UT-2026-{n + 1:04d}"))
        clock.advance(timedelta(hours=1))
    [task] = queries.list_tasks(engine, case_id=ids[0])
    cases.complete_task(engine, task["id"], {}, actor="sb1", internal=True)
    cases.cancel_case(engine, ids[1], actor="po", reason="Doppelt eingereicht")
    cases.set_suspended(engine, ids[2], True, actor="po")
    with engine.db.begin() as conn:
        open_incident(conn, case_id=ids[3], kind="job", now=clock.now(), message="Register antwortet nicht",
                      details="", element_id="pruefen")
    source = model("usertask.bpmn").read_text(encoding="utf-8").replace('name="Einfache Prüfung"', 'name="Prüfung v2"')
    deploy(engine, [SourceFile("usertask.bpmn", source.encode())], actor="test")
    v2 = cases.start_case(engine, "usertask", {"antragsteller": "Vera Zwei"}, actor="test", internal=True)
    return {"ids": ids, "v2": v2, "first": first}


def _ids(page: case_search.CasePage) -> list[str]:
    return [row.id for row in page.rows]


def test_newest_first_with_total(engine: Engine, world: dict[str, Any]) -> None:
    page = case_search.search(engine, CaseQuery())
    assert _ids(page) == [world["v2"], *reversed(world["ids"])]
    assert page.total == 7 and not page.total_capped and page.next_cursor is None


def test_status_filters(engine: Engine, world: dict[str, Any]) -> None:
    ids = world["ids"]
    by = {status: _ids(case_search.search(engine, CaseQuery(status=status))) for status in case_search.STATUSES}
    assert by["completed"] == [ids[0]]
    assert by["cancelled"] == [ids[1]]
    assert by["suspended"] == [ids[2]]
    assert by["incident"] == [ids[3]]
    assert set(by["waiting"]) == {world["v2"], ids[2], ids[3], ids[4], ids[5]}
    assert by["failed"] == [] and by["running"] == []
    page = case_search.search(engine, CaseQuery(status="incident"))
    assert page.rows[0].open_incidents == 1 and page.total == 1        # counted on the incidents alone
    assert case_search.search(engine, CaseQuery(status="incident", process_key="usertask", version=2)).total == 0
    assert case_search.search(engine, CaseQuery(status="suspended")).total == 1


def test_process_version_business_key_and_field(engine: Engine, world: dict[str, Any]) -> None:
    assert _ids(case_search.search(engine, CaseQuery(process_key="usertask", version=2))) == [world["v2"]]
    assert len(case_search.search(engine, CaseQuery(process_key="usertask", version=1)).rows) == 6
    assert case_search.search(engine, CaseQuery(process_key="anderer")).rows == []
    assert _ids(case_search.search(engine, CaseQuery(business_key="UT-2026-0005"))) == [world["ids"][4]]
    page = case_search.search(engine, CaseQuery(field_name="antragsteller", field_value="Jonas Weber"))
    assert _ids(page) == [world["ids"][1]]
    assert page.rows[0].fields == {"antragsteller": "Jonas Weber"}


def test_free_text_over_fields_and_keys(engine: Engine, world: dict[str, Any]) -> None:
    ids = world["ids"]
    assert _ids(case_search.search(engine, CaseQuery(text="erik"))) == [ids[4], ids[0]]   # Erik, Erika
    assert _ids(case_search.search(engine, CaseQuery(text="MÜLLER".lower()))) == [ids[3]]
    assert _ids(case_search.search(engine, CaseQuery(text="UT-2026-0006"))) == [ids[5]]   # a key: exactly
    assert case_search.search(engine, CaseQuery(text="2026-0006")).rows == []
    assert case_search.search(engine, CaseQuery(text="100%")).rows == []     # LIKE wildcards are literal
    assert case_search.search(engine, CaseQuery(text="a_b")).rows == []


def test_free_text_ignores_the_case_of_umlauts_too(engine: Engine, world: dict[str, Any]) -> None:
    """SQLite's own lower() folds A-Z only: the engine's folds every letter (engine/persistence/db.py)."""
    upper = cases.start_case(engine, "usertask", {"antragsteller": "ÖZLEM ÄRGERLICH"}, actor="test", internal=True)
    assert _ids(case_search.search(engine, CaseQuery(text="özlem"))) == [upper]
    assert _ids(case_search.search(engine, CaseQuery(text="Ärgerlich"))) == [upper]
    assert _ids(case_search.search(engine, CaseQuery(text="MÜLLER"))) == [world["ids"][3]]
    assert _ids(case_search.search(engine, CaseQuery(text="zlem ä"))) == [upper]


def test_free_text_of_several_words_is_contained_as_a_whole(engine: Engine, world: dict[str, Any]) -> None:
    """On PostgreSQL each word becomes a condition of its own that drives the trigram index; the
    whole text is still what a field must contain (word order, the space, nothing in between)."""
    reversed_ = cases.start_case(engine, "usertask", {"antragsteller": "Weber Jonas"}, actor="test", internal=True)
    longer = cases.start_case(engine, "usertask", {"antragsteller": "Jonas Weberling"}, actor="test", internal=True)
    apart = cases.start_case(engine, "usertask", {"antragsteller": "Jonas und Weber"}, actor="test", internal=True)
    assert _ids(case_search.search(engine, CaseQuery(text="jonas WEBER"))) == [longer, world["ids"][1]]
    assert _ids(case_search.search(engine, CaseQuery(text="weber jonas"))) == [reversed_]
    assert _ids(case_search.search(engine, CaseQuery(text="und weber"))) == [apart]
    assert case_search.search(engine, CaseQuery(text="Jonas Weber 100%")).rows == []
    assert case_search.search(engine, CaseQuery(text="Jonas  Weber")).total == 0    # two spaces are not one


@pytest.mark.postgres
def test_the_rarest_word_drives_the_free_text(engine: Engine, world: dict[str, Any]) -> None:
    """By the planner's statistics of lower(value): a word most values have comes last."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("statistics of the trigram index: PostgreSQL")
    rows = [{"case_id": case_id, "name": f"f{n}", "value": f"Gemeinsam {case_id[:8]}{n}"}
            for case_id in world["ids"] for n in range(200)]
    with engine.db.begin() as conn:
        conn.execute(t.case_fields.insert(), rows)
    with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE case_fields")
    with engine.db.connect() as conn:
        assert case_search.text_drivers(conn, "gemeinsam erika") == ["erika", "gemeinsam"]
        assert case_search.text_drivers(conn, "Erika GEMEINSAM") == ["erika", "gemeinsam"]
        assert case_search.text_drivers(conn, "gemeinsam") == []          # one word: the text itself
        assert case_search.text_drivers(conn, "ab gemeinsam") == []       # no trigram in "ab"
    assert _ids(case_search.search(engine, CaseQuery(text="Gemeinsam " + world["ids"][2][:8] + "19"))) == \
        [world["ids"][2]]


def test_started_and_ended_ranges(engine: Engine, world: dict[str, Any], clock: FakeClock) -> None:
    first, ids = world["first"], world["ids"]
    page = case_search.search(engine, CaseQuery(started_from=first + timedelta(minutes=90),
                                                started_until=first + timedelta(hours=4)))
    assert _ids(page) == [ids[3], ids[2]]
    ended = case_search.search(engine, CaseQuery(ended_from=first))
    assert set(_ids(ended)) == {ids[0], ids[1]}


def test_keyset_pages_visit_every_case_once(engine: Engine, world: dict[str, Any]) -> None:
    seen, cursor = [], None
    while True:
        page = case_search.search(engine, CaseQuery(limit=2, after=cursor))
        assert page.total == 7
        seen += _ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [world["v2"], *reversed(world["ids"])]
    assert [row.id for row in case_search.export(engine, CaseQuery(), batch=3)] == seen


def test_the_total_is_capped(engine: Engine, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_search, "COUNT_CAP", 3)
    page = case_search.search(engine, CaseQuery(limit=2))
    assert page.total == 3 and page.total_capped


def test_declared_field_names(engine: Engine, world: dict[str, Any]) -> None:
    assert case_search.field_names(engine, "usertask") == ["antragsteller"]


@pytest.mark.parametrize("bad", [dict(status="verloren"), dict(field_name="x"), dict(text=" a "), dict(limit=0),
                                 dict(after="kaputt!"), dict(version=10**30)])
def test_bad_queries_are_refused_in_german(engine: Engine, bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidState) as raised:
        case_search.search(engine, CaseQuery(**bad))
    assert raised.value.user_message and raised.value.user_message[0].isupper()
