"""Input/output mappings with Camunda 7's variable scopes (issue 11, part 1), on models of our
own, on SQLite and PostgreSQL: inputs are local to the activity (its form, assignee, script,
connector call, the tasks of a sub-process see them; the case data does not), outputs write
to the enclosing scope, a write to a local name stays local, and save/restore keeps all that."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.domain.errors import DeploymentError
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.runtime.parsing import SourceFile
from engine.services import cases, messages, queries
from engine.services.deploy import deploy
from tests.fakes import FakeConnector
from tests.integration.helpers import MODELS, deploy_models


def activity_view(engine: Any, case_id: str, element_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(everything the waiting activity sees, its local variables), read from the stored case."""
    with engine.db.connect() as conn:
        row = conn.execute(select(t.cases).where(t.cases.c.id == case_id)).one()
    parsed = engine.definitions.get(row.definition_id)
    wf = engine.serializer.loads(row.state, parsed, engine.script_engine)
    [found] = engine.runner.activity_variables(wf, element_id)
    return found


def _open(engine: Any, case_id: str) -> list[dict[str, Any]]:
    return list(queries.get_case(engine, case_id)["open_tasks"])


def test_user_task_inputs_are_local_and_outputs_reach_the_case(engine):
    deploy_models(engine, "camunda/io_mapping.bpmn")
    case_id = cases.start_case(engine, "io_mapping", {"team": "ordnung", "betrag": 5, "schluessel": "k",
                                                      "entscheidung": "ja"}, internal=True)
    [task] = _open(engine, case_id)
    assert task["assignee"] == "ordnung-lead"                 # camunda:assignee sees the input
    view, local = activity_view(engine, case_id, "pruefen")
    assert local == {"bearbeiter": "ordnung-lead", "betrag": 10, "liste": ["a", 5, ["x"], {"k": "v"}],
                     "karte": {"k": "wert", "n": 60}, "leer": None}
    assert view["betrag"] == 10 and view["team"] == "ordnung"  # the input covers the case's betrag
    data = queries.get_case(engine, case_id)["data"]
    assert data["betrag"] == 5 and "bearbeiter" not in data and "liste" not in data
    cases.complete_task(engine, task["id"], {"betrag": 99, "neu": 1}, internal=True)
    data = queries.get_case(engine, case_id)["data"]
    assert data["ergebnis"] == "ja fuer 99"                   # the output saw the local write ...
    assert data["betrag"] == 5                                 # ... which stayed local
    assert data["neu"] == 1                                    # other writes reach the case
    assert not {"bearbeiter", "liste", "karte", "leer"} & set(data)


def test_service_script_subprocess_and_event_scopes(engine):
    connector = FakeConnector()
    engine.connectors["camunda"] = connector
    connector.behaviour["lookup"] = lambda r: __import__("engine.ports", fromlist=["ServiceResult"]).ServiceResult(
        {"found": r.params.get("name") == "Erika Mustermann"})
    deploy_models(engine, "camunda/io_scopes.bpmn")
    case_id = cases.start_case(engine, "io_scopes", {"vorname": "Erika", "nachname": "Mustermann"}, internal=True)
    JobExecutor(engine, "w").run_until_idle()
    assert connector.calls[0].params == {"name": "Erika Mustermann"}   # the input is the operation's parameter
    view, local = activity_view(engine, case_id, "sub_task")
    assert local == {} and view["innen"] == 70                   # the sub-process's local reaches its tasks
    data = queries.get_case(engine, case_id)["data"]
    assert data["gefunden"] is True and data["summe"] == 7      # service and script outputs
    assert not {"name", "faktor", "innen"} & set(data)           # inputs gone, also the sub-process's
    assert data["found"] is True                                 # a connector's result propagates
    assert data["produkt"] == 6                                  # a script's own variable propagates
    [task] = _open(engine, case_id)
    cases.complete_task(engine, task["id"], {"innen": 71}, internal=True)
    view, local = activity_view(engine, case_id, "warten")
    assert local == {"wartend": "ja"}
    data = queries.get_case(engine, case_id)["data"]
    assert data["aussen"] == 71 and "innen" not in data
    messages.correlate_message(engine, "antwort", queries.get_case(engine, case_id)["business_key"],
                               {"nachricht": "Bescheid"})
    data = queries.get_case(engine, case_id)["data"]
    assert data["antwort"] == "Bescheid (ja)" and "wartend" not in data


@pytest.mark.parametrize(("element", "message"), [
    ('<startEvent id="x"><extensionElements><camunda:inputOutput><camunda:inputParameter name="a">1'
     '</camunda:inputParameter></camunda:inputOutput></extensionElements></startEvent>',
     "x: camunda:inputOutput mapping unsupported for element type 'startEvent'"),
    ('<startEvent id="s"/><endEvent id="x"><extensionElements><camunda:inputOutput><camunda:outputParameter '
     'name="a">1</camunda:outputParameter></camunda:inputOutput></extensionElements></endEvent>',
     "x: camunda:outputParameter not allowed for element type 'endEvent'"),
    ('<startEvent id="s"/><userTask id="x"><extensionElements><camunda:inputOutput><camunda:inputParameter '
     'name="a"><camunda:script scriptFormat="groovy">1</camunda:script></camunda:inputParameter>'
     '</camunda:inputOutput></extensionElements></userTask>',
     "x: input parameter 'a': groovy script cannot run here"),
    ('<startEvent id="s"/><userTask id="x"><extensionElements><camunda:inputOutput><camunda:inputParameter '
     'name="a"><camunda:script scriptFormat="python">__import__("os")</camunda:script></camunda:inputParameter>'
     '</camunda:inputOutput></extensionElements></userTask>',
     "x: mapping 'a': "),
])
def test_misplaced_or_unsafe_mappings_are_refused_at_deploy(engine, element, message):
    xml = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
           f'<process id="p" isExecutable="true">{element}</process></definitions>')
    with pytest.raises(DeploymentError) as err:
        deploy(engine, [SourceFile("m.bpmn", xml.encode())])
    assert any(str(p).split(": ", 1)[1].startswith(message) for p in err.value.problems), err.value.problems


def test_connector_output_parameters_map_the_result(engine):
    """camunda:connector output parameters run over the operation's result: only they reach the
    case, not the raw result fields."""
    connector = FakeConnector()
    engine.connectors["test"] = connector
    files = [SourceFile("connector_outputs.bpmn", (MODELS / "camunda" / "connector_outputs.bpmn").read_bytes()),
             SourceFile("camunda-mapping.json", b'{"connectors": {"register-connector": "test.lookup"}}')]
    deploy(engine, files)
    case_id = cases.start_case(engine, "connector_outputs", {"vorname": "Erika"}, internal=True)
    JobExecutor(engine, "w").run_until_idle()
    assert connector.calls[0].params == {"name": "Erika"}
    data = queries.get_case(engine, case_id)["data"]
    assert data["gefunden"] is True and data["auskunft"] == {"person": "Erika", "fuer": "Erika"}
    assert "found" not in data and "name" not in data
