"""Multi-instance over ``camunda:collection`` on service, script and receive tasks (Camunda 7
writes it so on every activity; SpiffWorkflow's parsers for these kinds read only BPMN's
loopDataInputRef and such models were refused). SQLite and PostgreSQL, a save/restore at
every wait."""

from __future__ import annotations

from engine.ports import ServiceResult
from tests.integration.helpers import MODELS

MODEL = MODELS / "camunda" / "mi_tasks" / "mi_dienste.bpmn"


def test_service_script_and_receive_tasks_run_once_per_element(scenario):
    scenario.deploy_files([MODEL], mapping={"topics": {"bescheid": "test.noop"}})
    case = scenario.start("mi_dienste", {"alleEmpfaenger": ["Erika", "Max", "Jonas"]})
    calls = [dict(c.params) for c in scenario.connector.calls if c.operation == "test.noop"]
    assert calls == [{"empfaenger": "Erika"}, {"empfaenger": "Max"}, {"empfaenger": "Jonas"}]   # in order
    data = scenario.data(case)
    assert all(data.get(f"gezaehlt_{n}") for n in ("Erika", "Max", "Jonas"))
    assert "name" not in data and "empfaenger" not in data         # element variables stay local
    assert data["alleEmpfaenger"] == ["Erika", "Max", "Jonas"]     # the collection is not changed
    for received in range(3):                                       # one receipt after the other
        assert scenario.status(case) != "completed"
        scenario.message("quittung", to_case=case, any_key=True, data={"quittiert": received + 1})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["quittiert"] == 3                   # what an instance received reaches the case


def test_sequential_instances_see_what_the_one_before_wrote(scenario):
    """MultiInstanceTest.testSequentialServiceTaskWithClassAndCollection, with a connector
    operation in place of the Java delegate: result = result * item over 1..6 is 720."""
    scenario.connector.behaviour["multiply"] = lambda r: ServiceResult({"result": r.params["bisher"] * r.params["faktor"]})
    scenario.deploy_files([MULTIPLY], mapping={"topics": {"multiply": "test.multiply"}})
    case = scenario.start("mi_produkt", {"items": [1, 2, 3, 4, 5, 6], "result": 1})
    assert scenario.data(case)["result"] == 720
    assert scenario.status(case) == "completed"


MULTIPLY = MODELS / "camunda" / "mi_tasks" / "mi_produkt.bpmn"
