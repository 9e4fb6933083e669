"""Camunda models whose Java code camunda-mapping.json does not map yet (engine.runtime.unmapped,
compat.deploy_unmapped): they deploy with a warning per piece, as Camunda deploys them; the stored
definition carries the placeholders, so another process reading it stops a case at the same place;
a model with other problems (a Groovy script) stays refused with all of them; mapped in a new
version, the Java code runs."""

from __future__ import annotations

import json

import pytest

from engine.bootstrap import bootstrap
from engine.domain.errors import DeploymentError
from engine.jobs import JobExecutor
from engine.runtime.parsing import SourceFile
from engine.services import cases, incidents, queries
from engine.services.deploy import deploy
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.fakes import FakeConnector
from tests.integration.helpers import MODELS

GEBUEHR = (MODELS / "camunda" / "delegates" / "gebuehr.bpmn").read_bytes()
GROOVY = GEBUEHR.replace(
    b'<bpmn:serviceTask id="buchen" camunda:delegateExpression="#{kasse}">',
    b'<bpmn:scriptTask id="buchen" scriptFormat="groovy"><bpmn:script>kasse.buchen()</bpmn:script>'
    b'</bpmn:scriptTask><bpmn:serviceTask id="alt" camunda:delegateExpression="#{kasse}">')


def test_the_stored_definition_carries_the_placeholders_for_another_process(engine, database_url, clock):
    result = deploy(engine, [SourceFile("modell/gebuehr.bpmn", GEBUEHR)])
    assert [p.key for p in result.processes] == ["camunda_gebuehr"]
    assert sorted(w.element_id for w in result.warnings if "Java code" in w.message) == ["berechnen", "buchen"]
    other = bootstrap(Settings(database_url=database_url, max_command_seconds=TEST_COMMAND_SECONDS), clock=clock)
    try:   # a second process (a worker beside the web process) parses the stored files itself
        case_id = cases.start_case(other, "camunda_gebuehr", {})
        assert JobExecutor(other, "w2").run_until_idle() >= 1
        [incident] = incidents.list_incidents(other, case_id=case_id)
        assert incident["element_id"] == "berechnen" and incident["kind"] != "workflow"
        assert "'de.musterstadt.Gebuehr' is mapped to no connector operation" in incident["message"]
        assert queries.get_case(other, case_id)["status"] == "failed"
    finally:
        other.db.dispose()


def test_a_model_with_other_problems_stays_refused_with_all_of_them(engine):
    with pytest.raises(DeploymentError) as refused:
        deploy(engine, [SourceFile("modell/gebuehr.bpmn", GROOVY)])
    messages = [str(p) for p in refused.value.problems]
    assert any(": buchen: " in m and "groovy" in m.lower() for m in messages), messages
    assert any(": berechnen: camunda:class='de.musterstadt.Gebuehr' is Java code" in m for m in messages), messages


def test_mapped_in_a_new_version_the_java_code_runs(engine):
    first = deploy(engine, [SourceFile("modell/gebuehr.bpmn", GEBUEHR)])
    mapping = {"delegates": {"de.musterstadt.Gebuehr": "test.lookup", "kasse": "test.noop"}}
    fake = FakeConnector()
    fake.answer("lookup", {"betrag": 25})
    engine.connectors["test"] = fake
    second = deploy(engine, [SourceFile("modell/gebuehr.bpmn", GEBUEHR),
                             SourceFile("modell/camunda-mapping.json", json.dumps(mapping).encode())])
    assert [p.version for p in first.processes] == [1] and [p.version for p in second.processes] == [2]
    assert not [w for w in second.warnings if "Java code" in w.message]
    case_id = cases.start_case(engine, "camunda_gebuehr", {})
    JobExecutor(engine, "w1").run_until_idle()
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed" and view["data"]["gebuehr"] == {"betrag": 25}
    assert [c.operation for c in fake.calls] == ["test.lookup", "test.noop"]
