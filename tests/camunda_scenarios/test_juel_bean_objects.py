"""A bean's answer read with Java getters in JUEL (engine.runtime.juel_parser, the evaluator's
juel_getter), as in JavaScript (test_js_bean_objects).

In Camunda a bean returns a Java object, which JUEL reads as a property (``a.surname``) or through
its getter (``${user.get(starterOfInstance).getSurname()}``, DigiWF). A mapped bean answers with
JSON here (camunda-mapping.json "beans"), so ``getX()``/``isX()`` on what a bean call answered read
its property ``x`` (``getURL()``: ``URL``), nested objects too, null when the answer lacks it.
On a map that is a process variable, ``getSurname()`` stays refused: it is no method of a
java.util.Map. Model: tests/models/camunda/juel_bean_objects/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.ports import ServiceResult
from engine.runtime.juel import JuelError, translate
from tests.camunda_scenarios.conftest import Scenario

FOLDER = Path(__file__).resolve().parents[1] / "models" / "camunda" / "juel_bean_objects"
MODEL = FOLDER / "juel_bohnen_objekte.bpmn"
PERSON = {"username": "max.muster", "surname": "Muster", "forename": "Max", "ou": "RIT-A",
          "active": True, "address": {"city": "München"}, "URL": "https://intranet.example/max"}


def _deploy(scenario: Scenario, person: Any) -> None:
    scenario.connector.behaviour["get"] = lambda r: ServiceResult(
        person if list(r.params["args"]) == ["max.muster"] else None)
    mapping = json.loads((FOLDER / "camunda-mapping.json").read_text())
    scenario.deploy_files([MODEL], mapping=mapping)


def test_a_bean_answer_is_read_through_java_getters_in_juel(scenario: Scenario) -> None:
    _deploy(scenario, PERSON)
    case = scenario.start("juel_bohnen_objekte", {}, actor="max.muster")
    assert scenario.waits_at(case) == ["pruefen"], scenario.case(case).get("error")
    data = scenario.data(case)
    assert (data["FormField_name"], data["aktiv"], data["ort"]) == ("Muster", True, "München")
    assert data["url"] == "https://intranet.example/max"
    assert data["telefon"] is None   # not in the answer: null, as an unset field of the Java object
    assert data["titel"] == "Antrag von Max Muster"
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed"


def test_a_getter_on_a_bean_answer_that_is_no_object_stays_an_error(scenario: Scenario) -> None:
    _deploy(scenario, "Muster")
    case = scenario.start("juel_bohnen_objekte", {}, actor="max.muster")
    found = scenario.case(case)
    assert found["status"] == "failed", found
    assert "getSurname" in (found.get("error") or ""), found


def test_a_getter_on_a_map_variable_is_no_map_method() -> None:
    with pytest.raises(JuelError, match="getSurname"):
        translate("${person.getSurname()}")
    with pytest.raises(JuelError, match="getSurname"):
        translate("${person.getSurname(1)}")
