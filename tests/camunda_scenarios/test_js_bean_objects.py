"""A bean's answer read with Java getters in JavaScript (engine.runtime.javascript).

In Camunda a bean returns a Java object and a script reads it through its getters: DigiWF's
start listeners do ``var u = user.get(starterOfInstance); u.getSurname(); u.getOu()``. A mapped
bean answers with JSON here (camunda-mapping.json "beans"), so the JSON object the bean returns
stands in for the Java object: ``getX()``/``isX()`` read its property ``x`` (``getURL()``: ``URL``,
as java.beans.Introspector names it), nested objects too, and a property the answer lacks reads
null, as an unset field of the object does. Model: tests/models/camunda/js_bean_objects/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.ports import ServiceResult
from tests.camunda_scenarios.conftest import Scenario

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "js_bean_objects"
MODEL = FOLDER / "js_bohnen_objekte.bpmn"
PERSON = {"username": "max.muster", "surname": "Muster", "forename": "Max", "ou": "RIT-A",
          "active": True, "address": {"city": "München"}, "URL": "https://intranet.example/max"}


def _deploy(scenario: Scenario, person: dict[str, Any]) -> None:
    scenario.connector.behaviour["get"] = lambda r: ServiceResult(
        person if list(r.params["args"]) == ["max.muster"] else None)
    scenario.connector.behaviour["describe"] = lambda _r: ServiceResult(None)
    mapping = json.loads((FOLDER / "camunda-mapping.json").read_text())
    scenario.deploy_files([MODEL], mapping=mapping)


def test_a_bean_answer_is_read_through_java_getters_in_javascript(scenario: Scenario) -> None:
    _deploy(scenario, PERSON)
    case = scenario.start("js_bohnen_objekte", {}, actor="max.muster")
    assert scenario.waits_at(case) == ["pruefen"], scenario.case(case).get("error")
    data = scenario.data(case)
    assert (data["FormField_name"], data["FormField_vorname"], data["FormField_ou"]) == ("Muster", "Max", "RIT-A")
    assert data["aktiv"] is True
    assert data["ort"] == "München"
    assert data["url"] == "https://intranet.example/max"
    assert data["telefon"] is None   # not in the answer: null, as an unset field of the Java object
    describe = [c for c in scenario.connector.calls if c.operation == "test.describe"]
    assert describe and describe[-1].params == {"args": ["Antrag von: Max Muster"]}
    scenario.complete(case, "pruefen")   # saved and restored between the two scripts
    assert scenario.status(case) == "completed"
    # the getters are no part of the data: the answer serialises as the bean gave it
    assert scenario.data(case)["kennung"] == 'max.muster/Muster/{"city":"München"}'


def test_a_getter_on_a_bean_answer_that_is_no_object_stays_an_error(scenario: Scenario) -> None:
    _deploy(scenario, PERSON)
    scenario.connector.behaviour["get"] = lambda _r: ServiceResult("Muster")
    case = scenario.start("js_bohnen_objekte", {}, actor="max.muster")
    found = scenario.case(case)
    assert found["status"] == "failed", found
    assert "not a function" in (found.get("error") or ""), found
