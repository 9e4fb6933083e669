"""A business rule task whose decision (camunda:decisionRef) is kept in another folder and was
deployed before: Camunda 7 resolves it among all deployed decisions; here the newest deployed
DMN file defining it is stored with the new process. SQLite and PostgreSQL, a save/restore at
every wait."""

from __future__ import annotations

from tests.integration.helpers import MODELS

FOLDER = MODELS / "camunda" / "decisions"


def test_a_decision_deployed_before_in_another_folder_is_found(scenario):
    scenario.deploy_files([FOLDER / "tabellen" / "einstufen.bpmn", FOLDER / "tabellen" / "stufe.dmn"])
    scenario.deploy_files([FOLDER / "verfahren" / "antrag_mit_stufe.bpmn"])
    klein = scenario.start("antrag_mit_stufe", {"anzahl": 2})
    gross = scenario.start("antrag_mit_stufe", {"anzahl": 5})
    assert scenario.data(klein)["ergebnis"] == "klein" and scenario.data(gross)["ergebnis"] == "gross"
    assert "stufe" not in scenario.data(klein)      # as Camunda: only the result variable is stored
    scenario.complete(klein, "ansehen")
    assert scenario.status(klein) == "completed"


def test_a_decision_deployed_nowhere_is_a_warning_and_an_incident_when_reached(scenario):
    """As Camunda, which resolves a decisionRef when the task runs: the model deploys, a case
    that reaches the task fails naming the decision."""
    result = scenario.deploy_files([FOLDER / "verfahren" / "antrag_mit_stufe.bpmn"])
    assert any("the decision 'stufe' is neither part of this deployment nor deployed before" in w.message
               and w.element_id == "einstufung" for w in result.warnings)
    case = scenario.start("antrag_mit_stufe", {"anzahl": 2})
    assert scenario.status(case) == "failed"
    assert "the decision 'stufe' is not deployed with this process" in scenario.case(case)["error"]


def test_collect_entries_gives_the_values_of_every_matched_rule(scenario, tmp_path):
    model = tmp_path / "zu_viele.bpmn"
    model.write_text((FOLDER / "tabellen" / "einstufen.bpmn").read_text()
                     .replace('camunda:mapDecisionResult="singleEntry"', 'camunda:mapDecisionResult="collectEntries"')
                     .replace('<bpmn:process id="einstufen"', '<bpmn:process id="einstufen_liste"'))
    scenario.deploy_files([model, FOLDER / "tabellen" / "stufe.dmn"])
    case = scenario.start("einstufen_liste", {"anzahl": 4})
    assert scenario.data(case)["ergebnis"] == ["gross"]
