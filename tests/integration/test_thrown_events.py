"""Messages and signals thrown by one case reach others through the messages service (after
the thrower's commit, as jobs); an error end event nothing catches fails the case."""

from __future__ import annotations

from sqlalchemy import select

from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.services import cases, messages, queries
from tests.integration.helpers import deploy_models

MODEL = "semantics/messages_throw.bpmn"


def _case(engine, case_id):
    return queries.get_case(engine, case_id, with_history=False)


def _cases_of(engine, key):
    with engine.db.connect() as conn:
        return list(conn.execute(select(t.cases.c.id).where(t.cases.c.process_key == key)).scalars())


def test_message_thrown_by_throw_event_send_task_and_end_event_reaches_waiting_cases(engine):
    deploy_models(engine, MODEL)
    first = cases.start_case(engine, "ausweis", {}, business_key="PA-1")
    second = cases.start_case(engine, "ausweis", {}, business_key="PA-2")
    third = cases.start_case(engine, "ausweis", {}, business_key="PA-3")
    other = cases.start_case(engine, "ausweis", {}, business_key="PA-9")
    thrower = cases.start_case(engine, "melder", {"ausweis": "PA-1", "zweiter": "PA-2", "dritter": "PA-3",
                                                  "grund": "Umzug"}, internal=True)
    assert _case(engine, thrower)["status"] == "completed"
    # nothing is delivered inside the thrower's transaction: three jobs wait
    assert _case(engine, first)["status"] == "waiting" and not _case(engine, first)["open_tasks"]
    with engine.db.connect() as conn:
        jobs = conn.execute(select(t.jobs).where(t.jobs.c.kind == "throw")).all()
    assert sorted(j.payload["key"] for j in jobs) == ["PA-1", "PA-2", "PA-3"]
    JobExecutor(engine).run_until_idle()
    for case_id in (first, second, third):
        view = _case(engine, case_id)
        assert [t_["element_id"] for t_ in view["open_tasks"]] == ["a_check"]
        assert view["data"]["grund"] == "Umzug"          # the thrower's variables travel with the message
    assert not _case(engine, other)["open_tasks"]


def test_thrown_message_before_the_receiver_waits_is_buffered(engine):
    deploy_models(engine, MODEL)
    cases.start_case(engine, "melder", {"ausweis": "PA-7", "zweiter": "x", "dritter": "y"}, internal=True)
    JobExecutor(engine).run_until_idle()
    receiver = cases.start_case(engine, "ausweis", {}, business_key="PA-7")
    JobExecutor(engine).run_until_idle()
    assert [t_["element_id"] for t_ in _case(engine, receiver)["open_tasks"]] == ["a_check"]


def test_thrown_message_starts_a_case_at_a_message_start_event(engine):
    deploy_models(engine, MODEL)
    cases.start_case(engine, "meldung_sender", {"hinweis": "neu"}, business_key="K-1", internal=True)
    assert _cases_of(engine, "meldung_empfang") == []
    JobExecutor(engine).run_until_idle()
    [started] = _cases_of(engine, "meldung_empfang")
    view = _case(engine, started)
    assert view["business_key"] == "K-1" and view["data"]["hinweis"] == "neu"
    assert JobExecutor(engine).run_until_idle() == 0     # delivered once


def test_a_retried_throw_job_delivers_nothing_twice(engine):
    deploy_models(engine, MODEL)
    cases.start_case(engine, "meldung_sender", {}, business_key="K-2")
    with engine.db.connect() as conn:
        job = conn.execute(select(t.jobs).where(t.jobs.c.kind == "throw")).one()
    from engine.services.messages import deliver_thrown as deliver

    assert deliver(engine, job) == "started"
    assert deliver(engine, job) == "duplicate"           # same job again (a worker died before dropping it)
    assert len(_cases_of(engine, "meldung_empfang")) == 1


def test_signal_throw_and_signal_end_event_reach_waiting_cases_and_start_signal_start_processes(engine):
    deploy_models(engine, MODEL)
    waiting = [cases.start_case(engine, "sturm_wartend", {}) for _ in range(2)]
    cases.start_case(engine, "sturm_melder", {"stufe": 3}, internal=True)
    JobExecutor(engine).run_until_idle()
    for case_id in waiting:
        assert [t_["element_id"] for t_ in _case(engine, case_id)["open_tasks"]] == ["sw_task"]
    started = _cases_of(engine, "sturm_start")
    assert len(started) == 2                              # two throws: intermediate event and end event
    payloads = {(_case(engine, c)["data"].get("stufe"), _case(engine, c)["data"].get("warnstufe")) for c in started}
    assert payloads == {(None, 3), (3, None)}            # camunda:in variables="all" / source -> target


def test_external_signal_starts_signal_start_process(engine):
    deploy_models(engine, MODEL)
    assert messages.broadcast_signal(engine, "Sturmwarnung", {"stufe": 1}) == 1
    [started] = _cases_of(engine, "sturm_start")
    assert [t_["element_id"] for t_ in _case(engine, started)["open_tasks"]] == ["ss_task"]


def test_uncaught_error_end_event_fails_the_case_with_an_incident(engine):
    deploy_models(engine, MODEL)
    case_id = cases.start_case(engine, "abbruch", {})
    view = _case(engine, case_id)
    assert view["status"] == "failed"
    assert "ABBRUCH" in view["error"]
    with engine.db.connect() as conn:
        incident = conn.execute(select(t.incidents).where(t.incidents.c.case_id == case_id)).one()
    assert incident.element_id == "ab_end" and incident.status == "open"


def test_thrown_message_matching_several_waiting_cases_is_refused_with_an_incident_on_the_thrower(engine):
    deploy_models(engine, MODEL)
    waiting = [cases.start_case(engine, key, {}, business_key="PA-1") for key in ("ausweis", "zweitausweis")]
    thrower = cases.start_case(engine, "melder", {"ausweis": "PA-1", "zweiter": "x", "dritter": "y"}, internal=True)
    JobExecutor(engine).run_until_idle()
    assert all(not _case(engine, c)["open_tasks"] for c in waiting)      # delivered to none
    assert _case(engine, thrower)["status"] == "failed"
    with engine.db.connect() as conn:
        incident = conn.execute(select(t.incidents).where(t.incidents.c.case_id == thrower)).one()
    assert incident.element_id == "m_throw" and "matches 2 waiting cases" in incident.message


def test_spiff_dialect_send_task_throws_its_payload_under_an_expression_key(engine):
    deploy_models(engine, "semantics/spiff_send.bpmn")
    receiver = cases.start_case(engine, "spiff_receiver", {}, business_key="HUND-42")
    other = cases.start_case(engine, "spiff_receiver", {}, business_key="HUND-7")
    cases.start_case(engine, "spiff_sender", {"marke": 42, "grund": "Umzug"}, internal=True)
    JobExecutor(engine).run_until_idle()
    view = _case(engine, receiver)
    assert [t_["element_id"] for t_ in view["open_tasks"]] == ["r_task"]
    assert view["data"]["abmeldung"] == {"grund": "Umzug"}           # spiffworkflow:messageVariable
    assert _case(engine, other)["open_tasks"] == []
