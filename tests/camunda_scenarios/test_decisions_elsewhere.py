"""A business rule task whose decision (camunda:decisionRef) is kept in another folder and was
deployed before: Camunda 7 resolves it among all deployed decisions; here the newest deployed
DMN file defining it is stored with the new process. SQLite and PostgreSQL, a save/restore at
every wait."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
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


def test_a_decision_deployed_nowhere_is_still_refused(scenario):
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([FOLDER / "verfahren" / "antrag_mit_stufe.bpmn"])
    assert any("stufe" in p.message for p in caught.value.problems)
