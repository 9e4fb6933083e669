"""Beans of camunda-mapping.json called from JavaScript (script task, task and execution
listeners, input/output scripts), with the model of tests/models/camunda/js_beans/: a call
reaches the mapped connector operation with {"args": [...]} as a JUEL bean call does, and its
value comes back to the script as plain JSON data (engine.runtime.javascript)."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

from engine.ports import ServiceResult
from tests.camunda_scenarios.conftest import Scenario
from tests.camunda_scenarios.test_beans import HANGS, _answers as bean_answers

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "js_beans"
MODEL = FOLDER / "js_bohnen.bpmn"


def _mapping() -> dict[str, Any]:
    mapping: dict[str, Any] = json.loads((FOLDER / "camunda-mapping.json").read_text())
    return mapping


def _answers(scenario: Scenario) -> None:
    """The JUEL tests' answers; the portal link comes back as an object here."""
    bean_answers(scenario)
    scenario.connector.behaviour["url"] = lambda r: ServiceResult(
        {"href": "https://portal.example/aufgaben"} if list(r.params["args"]) == [] else "?")


def test_javascript_calls_mapped_beans_in_script_tasks_listeners_and_mappings(scenario: Scenario) -> None:
    _answers(scenario)
    scenario.deploy_files([MODEL], mapping=_mapping())
    case = scenario.start("js_bohnen", {"antragsteller": "Max Muster", "freigabe": "ja"})
    assert scenario.waits_at(case) == ["pruefen"]
    data = scenario.data(case)
    assert data["vorname"] == "Max"
    assert data["gruss"] == "Hallo Max, "   # portal.url() -> engine function portal_url (not configured)
    assert scenario.task(case, "pruefen")["assignee"] == "max@dienstlich.example"   # the create listener
    # the first start of a definition whose step reads the case's facts (execution) runs the step
    # again once it knows the business key (engine/services/case_start.py): a lookup is called again
    calls = scenario.connector.calls
    assert [c.operation for c in calls] == ["test.firstname", "test.url", "test.email"] * 2
    assert calls[-3].params == {"args": ["Max Muster"]}
    assert calls[-2].params == {"args": []}
    assert calls[-1].params == {"args": ["Max Muster", "dienstlich"]}
    assert {c.case_id for c in calls} == {case}
    scenario.complete(case, "pruefen")
    assert scenario.waits_at(case) == ["fertig"]
    data = scenario.data(case)
    assert data["freigegeben"] is True                                          # the end listener
    assert data["aufgaben_link"] == {"href": "https://portal.example/aufgaben"}   # the input script's value
    assert "aufgaben" not in data
    assert [c.operation for c in scenario.connector.calls][6:] == ["test.bool"]
    scenario.complete(case, "fertig")
    assert scenario.status(case) == "completed"


def test_a_failing_bean_call_in_javascript_fails_the_step_with_an_incident(scenario: Scenario) -> None:
    _answers(scenario)
    scenario.connector.fail_with("firstname", "Verzeichnisdienst antwortet mit 503")
    scenario.deploy_files([MODEL], mapping=_mapping())
    case = scenario.start("js_bohnen", {"antragsteller": "Max Muster", "freigabe": "ja"})
    found = scenario.case(case)
    assert found["status"] == "failed", found
    assert "begruessen" in (found.get("error") or "")
    assert "connector operation 'test.firstname' failed: Verzeichnisdienst antwortet mit 503" in found["error"]
    assert found["incidents"], found
    assert {c.operation for c in scenario.connector.calls} == {"test.firstname"}   # no job retries it


def test_a_bean_call_from_javascript_that_does_not_answer_in_time_fails_the_step(scenario: Scenario) -> None:
    _answers(scenario)
    scenario.engine.runner.limits = dataclasses.replace(scenario.engine.runner.limits, seconds=0.5)
    answer = threading.Event()   # the call answers only when the test is over
    scenario.connector.behaviour["firstname"] = lambda _r: (answer.wait(HANGS), ServiceResult("zu spät"))[1]
    scenario.deploy_files([MODEL], mapping=_mapping())
    started = time.monotonic()
    try:
        case = scenario.start("js_bohnen", {"antragsteller": "Max Muster", "freigabe": "ja"})
        assert time.monotonic() - started < HANGS / 2   # the unit of work did not wait for the answer
    finally:
        answer.set()
    found = scenario.case(case)
    assert found["status"] == "failed", found
    # waited at most the budget (less when the command's wall-time net was nearer on a loaded machine)
    assert re.search(r"connector operation 'test\.firstname' did not answer within 0\.[0-5] s",
                     found.get("error") or ""), found


def test_an_unmapped_bean_stays_undefined_in_javascript(scenario: Scenario) -> None:
    _answers(scenario)
    mapping = _mapping()
    del mapping["beans"]["user.firstname"], mapping["beans"]["user.email"]
    scenario.deploy_files([MODEL], mapping=mapping)   # nothing new is refused at deploy
    case = scenario.start("js_bohnen", {"antragsteller": "Max Muster", "freigabe": "ja"})
    found = scenario.case(case)
    assert found["status"] == "failed", found
    assert "'user' is not defined" in (found.get("error") or ""), found
    assert scenario.connector.calls == []
