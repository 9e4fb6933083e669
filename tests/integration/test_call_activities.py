"""Call activities across deployments (issue 11, part 2), on models of our own, on SQLite and
PostgreSQL with the case cache off (every command reloads the case): a called process found
among earlier deployments, bindings latest/version/versionTag, the same called version after
every reload, and a recursion that stops with a clear message."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from engine.bootstrap import Engine, bootstrap
from engine.domain.errors import DeploymentError
from engine.ports import FakeClock
from engine.runtime.budget import Limits
from engine.services import cases, queries
from engine.settings import Settings
from tests.integration.helpers import deploy_models


@pytest.fixture
def uncached(database_url: str) -> Iterator[Engine]:
    eng = bootstrap(Settings(database_url=database_url, case_cache_size=0), clock=FakeClock())
    yield eng
    eng.db.dispose()


def _waits(engine: Engine, case_id: str) -> list[str]:
    return sorted(t["element_id"] for t in queries.get_case(engine, case_id)["open_tasks"])


def _complete(engine: Engine, case_id: str, element_id: str) -> None:
    [task] = [t for t in queries.get_case(engine, case_id)["open_tasks"] if t["element_id"] == element_id]
    cases.complete_task(engine, task["id"], {})


def _version(result: Any) -> int:
    return int(result.processes[0].version)


def test_called_process_from_an_earlier_deployment_keeps_its_version(uncached):
    engine = uncached
    deploy_models(engine, "camunda/calls/called_v1.bpmn")
    assert _version(deploy_models(engine, "camunda/calls/call_latest.bpmn")) == 1
    first = cases.start_case(engine, "call_latest", {})
    assert _waits(engine, first) == ["alt"]                   # latest deployed: v1
    assert _version(deploy_models(engine, "camunda/calls/called_v2.bpmn")) == 2
    second = cases.start_case(engine, "call_latest", {})
    assert _waits(engine, second) == ["alt"]                  # the caller was deployed with v1
    assert _version(deploy_models(engine, "camunda/calls/call_latest.bpmn")) == 2   # redeployed: now with v2
    third = cases.start_case(engine, "call_latest", {})
    assert _waits(engine, third) == ["neu"]
    for case_id, task in ((first, "alt"), (second, "alt"), (third, "neu")):
        _complete(engine, case_id, task)                       # every command reloads the stored case
        assert _waits(engine, case_id) == ["danach"]
        _complete(engine, case_id, "danach")
        assert queries.get_case(engine, case_id)["status"] == "completed"


def test_bindings_version_and_version_tag_pick_older_versions(uncached):
    engine = uncached
    deploy_models(engine, "camunda/calls/called_v1.bpmn")
    deploy_models(engine, "camunda/calls/called_v2.bpmn")
    deploy_models(engine, "camunda/calls/call_version1.bpmn", "camunda/calls/call_tag2025.bpmn")
    assert _waits(engine, cases.start_case(engine, "call_version1", {})) == ["alt"]
    assert _waits(engine, cases.start_case(engine, "call_tag2025", {})) == ["alt"]
    latest = deploy_models(engine, "camunda/calls/call_latest.bpmn")
    assert [p.key for p in latest.processes] == ["call_latest"]   # the borrowed process is not redeployed
    assert _waits(engine, cases.start_case(engine, "call_latest", {})) == ["neu"]


def test_binding_to_the_version_the_same_upload_creates(uncached):
    """calledElementVersion="1" with the called process in the same upload, deployed nowhere yet:
    the upload creates version 1, as a Camunda deployment binding to its own version."""
    engine = uncached
    result = deploy_models(engine, "camunda/calls/call_version1.bpmn", "camunda/calls/called_v1.bpmn")
    assert sorted((p.key, p.version) for p in result.processes) == [("call_version1", 1), ("gebuehr", 1)]
    case_id = cases.start_case(engine, "call_version1", {})
    assert _waits(engine, case_id) == ["alt"]
    again = deploy_models(engine, "camunda/calls/call_version1.bpmn", "camunda/calls/called_v1.bpmn")
    assert all(not p.created for p in again.processes)        # the same content: no new versions


def test_binding_to_a_version_nobody_deployed_is_refused(uncached):
    with pytest.raises(DeploymentError) as err:
        deploy_models(uncached, "camunda/calls/call_tag2025.bpmn")
    assert "called process 'gebuehr' has no deployed version tag '2025'" in str(err.value.problems)


def test_a_called_process_deployed_nowhere_is_a_warning_and_an_incident_when_reached(uncached):
    """As in Camunda 7, which looks the called process up when a case reaches the call activity:
    the caller deploys (a building block kept in another folder is deployed on its own), and a
    case that reaches the call fails with an incident naming the process; once the called
    process is deployed and the caller deployed again, new cases run through it."""
    engine = uncached
    result = deploy_models(engine, "camunda/calls/call_latest.bpmn")
    assert any("called process 'gebuehr' is neither part of this deployment nor deployed before" in w.message
               and w.element_id == "call" for w in result.warnings)
    case = queries.get_case(engine, cases.start_case(engine, "call_latest", {}, internal=True))
    assert case["status"] == "failed"
    assert "the called process 'gebuehr' is not deployed with this process" in case["error"]
    deploy_models(engine, "camunda/calls/called_v1.bpmn")
    deploy_models(engine, "camunda/calls/call_latest.bpmn")
    assert _waits(engine, cases.start_case(engine, "call_latest", {})) == ["alt"]


def test_recursive_call_through_an_expression_stops_at_the_depth_limit(uncached):
    """A literal cycle is refused at deploy (limit_checks.call_cycles); one through a calledElement
    expression is only known when it runs: the call_depth limit ends it with a clear message."""
    engine = uncached
    deploy_models(engine, "camunda/recursion.bpmn")
    case = queries.get_case(engine, cases.start_case(engine, "recursion", {"naechster": "recursion"}, internal=True))
    assert case["status"] == "failed"
    assert f"nested deeper than {Limits().call_depth} levels" in case["error"]
