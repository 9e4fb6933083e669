"""Scripts in languages that cannot run here (Groovy, XSLT, ...) mapped under "scripts" in
camunda-mapping.json to the connector operation that now does their work: a script task
becomes a call of that operation (its input parameters are the call's parameters, the answer
lands in camunda:resultVariable), a listener script calls it after the step commits, as a
mapped Java listener does. Unmapped, such a model is refused with the entry that would map it.
SQLite and PostgreSQL, a save/restore at every wait."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from tests.integration.helpers import MODELS

MODEL = MODELS / "camunda" / "mapped_scripts" / "groovy_gebuehr.bpmn"
MAPPING = {"scripts": {"berechnen": "test.gebuehr",
                       "de/stadt/bescheid.xsl": "test.xslt",
                       "de/stadt/protokoll.groovy": "test.noop"}}


def test_mapped_script_tasks_and_listener_scripts_call_their_connector_operations(scenario):
    scenario.connector.answer("gebuehr", 37.5)
    scenario.connector.answer("xslt", "<bescheid/>")
    scenario.deploy_files([MODEL], mapping=MAPPING)
    case = scenario.start("gebuehr_groovy", {"anzahl": 3, "antragXml": "<antrag/>"})
    assert scenario.waits_at(case) == ["pruefen"]
    calls = {c.operation: dict(c.params) for c in scenario.connector.calls}
    assert calls["test.gebuehr"] == {"anzahl": 3}                    # the task's input parameter
    assert calls["test.xslt"] == {"camunda_source": "<antrag/>"}
    assert "test.noop" in calls                                      # the start event's end listener
    data = scenario.data(case)
    assert data["gebuehr"] == 37.5 and data["bescheidXml"] == "<bescheid/>"   # camunda:resultVariable
    assert "camunda_source" not in data                              # inputs stay local to the task
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "completed"


def test_a_script_file_in_the_deployment_keeps_its_mapping_by_path(scenario):
    """The Groovy file deployed with the model is not inlined as a script that cannot run: the
    "scripts" entry for its path still applies."""
    scenario.connector.answer("gebuehr", 1.0)
    scenario.connector.answer("xslt", "<b/>")
    scenario.deploy_files([MODEL], mapping=MAPPING,
                          extra={"de/stadt/protokoll.groovy": b"println 'angekommen'"})
    case = scenario.start("gebuehr_groovy", {"anzahl": 1, "antragXml": "<a/>"})
    assert "test.noop" in [c.operation for c in scenario.connector.calls]
    assert scenario.waits_at(case) == ["pruefen"]


def test_unmapped_scripts_are_refused_with_the_entry_that_maps_them(scenario):
    scenario.connector.answer("gebuehr", 1.0)
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([MODEL], mapping={"scripts": {"berechnen": "test.gebuehr"}})
    problems = {p.element_id: p.message for p in caught.value.problems}
    assert set(problems) == {"start", "umwandeln"}
    assert '{"scripts": {"de/stadt/protokoll.groovy": "connector.operation"}}' in problems["start"]
    assert '{"scripts": {"de/stadt/bescheid.xsl": "connector.operation"}}' in problems["umwandeln"]
    assert "groovy script cannot run here" in problems["start"]


def test_a_scripts_entry_must_name_a_connector_operation(scenario):
    with pytest.raises(DeploymentError) as caught:
        scenario.deploy_files([MODEL], mapping={"scripts": {"berechnen": "gebuehr berechnen"}})
    assert any("scripts 'berechnen'" in p.message for p in caught.value.problems)
