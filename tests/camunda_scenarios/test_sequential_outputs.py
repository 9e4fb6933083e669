"""Output parameters run one after the other, as Camunda 7's IoMapping runs them: each is
evaluated in the activity's scope and written to the enclosing scope at once, so a later
output sees an earlier one's value (unless a local variable of the activity, an input
parameter, shadows that name). Found on DigiWF's VorgangAnlegen building block, whose
"Sachakte suchen" task maps ``dms_sachakte_coo`` twice: first to
``${execution.hasVariable('dms_sachakte_coo') ? dms_sachakte_coo : ''}``, then to
``${dms_sachakte_coo}``; the engine evaluated every output before writing any, so the second
failed with "name 'dms_sachakte_coo' is not defined" where Camunda gives ''."""

from __future__ import annotations

from tests.camunda_scenarios.conftest import Scenario
from tests.camunda_scenarios.test_listeners import deploy, model

MODEL = """
<startEvent id="start"/>
<sequenceFlow id="f1" sourceRef="start" targetRef="suchen"/>
<userTask id="suchen" camunda:candidateGroups="sachbearbeitung"><extensionElements><camunda:inputOutput>
  <camunda:inputParameter name="lokal">innen</camunda:inputParameter>
  <camunda:outputParameter name="coo">${execution.hasVariable('coo') ? coo : ''}</camunda:outputParameter>
  <camunda:outputParameter name="coo">${coo}</camunda:outputParameter>
  <camunda:outputParameter name="zweite">${coo}-x</camunda:outputParameter>
  <camunda:outputParameter name="lokal">aussen</camunda:outputParameter>
  <camunda:outputParameter name="gesehen">${lokal}</camunda:outputParameter>
</camunda:inputOutput></extensionElements></userTask>
<sequenceFlow id="f2" sourceRef="suchen" targetRef="danach"/>
<userTask id="danach" camunda:candidateGroups="sachbearbeitung"/>
<sequenceFlow id="f3" sourceRef="danach" targetRef="end"/>
<endEvent id="end"/>"""


def test_a_later_output_sees_an_earlier_one(scenario: Scenario) -> None:
    deploy(scenario, MODEL)
    case = scenario.start("p")
    assert scenario.waits_at(case) == ["suchen"]
    scenario.complete(case, "suchen")
    assert scenario.waits_at(case) == ["danach"], scenario.case(case)
    data = scenario.data(case)
    assert data["coo"] == ""
    assert data["zweite"] == "-x"
    assert data["lokal"] == "aussen"     # written to the enclosing scope ...
    assert data["gesehen"] == "innen"    # ... while the activity's own local still shadows it
    scenario.complete(case, "danach")
    assert scenario.status(case) == "completed"


def test_an_output_found_by_the_task_itself_wins_over_an_earlier_output(scenario: Scenario) -> None:
    deploy(scenario, MODEL)
    case = scenario.start("p")
    scenario.complete(case, "suchen", {"coo": "COO-1"})
    data = scenario.data(case)
    assert (data["coo"], data["zweite"]) == ("COO-1", "COO-1-x")


CONNECTOR = """
<startEvent id="start"/>
<sequenceFlow id="f1" sourceRef="start" targetRef="abfrage"/>
<serviceTask id="abfrage"><extensionElements><camunda:connector>
  <camunda:connectorId>register-connector</camunda:connectorId>
  <camunda:inputOutput>
    <camunda:inputParameter name="name">${vorname}</camunda:inputParameter>
    <camunda:outputParameter name="gefunden">${found}</camunda:outputParameter>
    <camunda:outputParameter name="ergebnis">${gefunden ? 'bekannt' : 'unbekannt'}</camunda:outputParameter>
    <camunda:outputParameter name="name">aussen</camunda:outputParameter>
    <camunda:outputParameter name="gelesen">${name}</camunda:outputParameter>
  </camunda:inputOutput>
</camunda:connector></extensionElements></serviceTask>
<sequenceFlow id="f2" sourceRef="abfrage" targetRef="danach"/>
<userTask id="danach" camunda:candidateGroups="sachbearbeitung"/>
<sequenceFlow id="f3" sourceRef="danach" targetRef="end"/>
<endEvent id="end"/>"""


def test_a_later_connector_output_sees_an_earlier_one(scenario: Scenario) -> None:
    """Camunda Connect runs the connector's output parameters one after the other in a scope
    holding the response over the activity's variables: each is written to the activity at
    once, so a later output reads an earlier one, unless a response variable of that name
    shadows it (ConnectorActivityBehavior.applyOutputParameters)."""
    scenario.deploy_files([], mapping={"connectors": {"register-connector": "test.lookup"}},
                          extra={"p.bpmn": model(CONNECTOR)})
    case = scenario.start("p", {"vorname": "Erika"})
    assert scenario.waits_at(case) == ["danach"], scenario.case(case)
    data = scenario.data(case)
    assert (data["gefunden"], data["ergebnis"]) == (True, "bekannt")
    assert data["name"] == "aussen"      # written to the activity's scope ...
    assert data["gelesen"] == "Erika"    # ... while the response's own 'name' still shadows it
