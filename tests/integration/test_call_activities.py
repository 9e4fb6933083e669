"""Call activities across deployments (issue 11, part 2), on models of our own, on SQLite and
PostgreSQL with the case cache off (every command reloads the case): binding latest resolved
when the call starts (Camunda 7's CallActivityTest is the specification: a caller deployed
before its called process, a newer called version, a called element given as an expression,
the tenant's own and shared definitions), bindings version/versionTag bundled at deploy, the
same called version after every reload and a restart, and a recursion that stops with a clear
message."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from datetime import datetime, timezone

from sqlalchemy import select

from engine.bootstrap import Engine, bootstrap
from engine.domain.errors import DeploymentError
from engine.persistence import tables as t
from engine.persistence.tenant_tables import tenants
from engine.ports import FakeClock
from engine.runtime.budget import Limits
from engine.services import case_migration, cases, incidents, overrides, queries
from engine.services.called import CallResolver
from engine.services.deploy import deploy, read_paths
from engine.settings import Settings
from engine.tenancy import all_tenants, tenant_scope
from tests.conftest import TEST_COMMAND_SECONDS
from tests.integration.helpers import MODELS, deploy_models

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def uncached(database_url: str) -> Iterator[Engine]:
    eng = bootstrap(Settings(database_url=database_url, case_cache_size=0, max_command_seconds=TEST_COMMAND_SECONDS),
                    clock=FakeClock())
    yield eng
    eng.db.dispose()


def _waits(engine: Engine, case_id: str) -> list[str]:
    case = queries.get_case(engine, case_id)
    waits = sorted(t["element_id"] for t in case["open_tasks"])
    assert waits or case["status"] != "failed", f"case {case_id} failed: {case.get('error')}"   # say why (CI)
    return waits


def _complete(engine: Engine, case_id: str, element_id: str) -> None:
    [task] = [t for t in queries.get_case(engine, case_id)["open_tasks"] if t["element_id"] == element_id]
    cases.complete_task(engine, task["id"], {})


def _version(result: Any) -> int:
    return int(result.processes[0].version)


def test_latest_binds_the_version_deployed_when_the_call_starts(uncached, database_url):
    """Camunda 7's calledElementBinding latest: the newest version deployed when a case reaches
    the call activity; a case that entered v1's call keeps v1 through every reload and a restart."""
    engine = uncached
    deploy_models(engine, "camunda/calls/called_v1.bpmn")
    assert _version(deploy_models(engine, "camunda/calls/call_latest.bpmn")) == 1
    first = cases.start_case(engine, "call_latest", {})
    assert _waits(engine, first) == ["alt"]                   # latest deployed: v1
    assert _version(deploy_models(engine, "camunda/calls/called_v2.bpmn")) == 2
    second = cases.start_case(engine, "call_latest", {})
    assert _waits(engine, second) == ["neu"]                  # the caller is not deployed again: v2 all the same
    assert _bound(engine, first) is None and _bound(engine, second) == [_definition_id(engine, "gebuehr", 2)]
    shared = engine.definitions.get(_definition_id(engine, "call_latest", 1)).subprocess_specs
    assert not [k for k in shared if "@" in k]                 # the cached dict every case shares is never changed
    restarted = bootstrap(Settings(database_url=database_url, case_cache_size=0,
                                   max_command_seconds=TEST_COMMAND_SECONDS), clock=FakeClock())
    try:
        for eng in (engine, restarted):
            assert _waits(eng, first) == ["alt"] and _waits(eng, second) == ["neu"]
        for case_id, task in ((first, "alt"), (second, "neu")):
            _complete(restarted, case_id, task)                 # every command reloads the stored case
            assert _waits(restarted, case_id) == ["danach"]
            _complete(restarted, case_id, "danach")
            assert queries.get_case(restarted, case_id)["status"] == "completed"
    finally:
        restarted.db.dispose()


def _bound(engine: Engine, case_id: str) -> Any:
    with engine.db.connect() as conn:
        return conn.execute(select(t.cases.c.bound_definitions).where(t.cases.c.id == case_id)).scalar()


def _definition_id(engine: Engine, key: str, version: int) -> str:
    d = t.process_definitions
    with engine.db.connect() as conn:
        return str(conn.execute(select(d.c.id).where(d.c.key == key, d.c.version == version)).scalar_one())


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


def test_a_caller_deployed_before_its_called_process_runs_once_that_is_deployed(uncached):
    """As in Camunda 7, which looks the called process up when a case reaches the call activity:
    the caller deploys with a warning (a building block kept in another folder, deployed after
    it); a case that reaches the call before stops with an incident naming the process, and
    retrying the incident after the deploy runs it. Later cases run it straight away."""
    engine = uncached
    result = deploy_models(engine, "camunda/calls/call_latest.bpmn")
    [warning] = [w for w in result.warnings if w.element_id == "call"]
    assert "called process 'gebuehr' is not deployed yet" in warning.message
    assert "stops with an incident until it is" in warning.message and warning.line > 0
    early = cases.start_case(engine, "call_latest", {}, internal=True)
    case = queries.get_case(engine, early)
    assert case["status"] == "failed"
    assert "the called process 'gebuehr' is not deployed: deploy it, then retry this incident" in case["error"]
    [incident] = incidents.list_incidents(engine, case_id=early)
    incidents.retry_incident(engine, incident["id"], "operator")     # still not deployed: a new incident
    assert queries.get_case(engine, early)["status"] == "failed"
    [incident] = incidents.list_incidents(engine, case_id=early)
    deploy_models(engine, "camunda/calls/called_v1.bpmn")            # the caller is not deployed again
    incidents.retry_incident(engine, incident["id"], "operator")
    assert _waits(engine, early) == ["alt"]
    later = cases.start_case(engine, "call_latest", {})
    assert _waits(engine, later) == ["alt"]
    for case_id in (early, later):
        _complete(engine, case_id, "alt")
        _complete(engine, case_id, "danach")
        assert queries.get_case(engine, case_id)["status"] == "completed"


def test_a_called_element_expression_finds_a_process_of_another_deployment(uncached):
    """calledElement="${welcher}" (Camunda's testCallSimpleSubProcessWithExpressions, with the
    called process deployed apart): looked up among all deployed processes when the call starts."""
    engine = uncached
    deploy_models(engine, "camunda/calls/call_expression.bpmn")
    deploy_models(engine, "camunda/calls/called_v1.bpmn")
    case_id = cases.start_case(engine, "call_expression", {"welcher": "gebuehr"}, internal=True)
    assert _waits(engine, case_id) == ["alt"]
    deploy_models(engine, "camunda/calls/called_v2.bpmn")
    _complete(engine, case_id, "alt")
    assert _waits(engine, case_id) == ["danach"]
    assert _waits(engine, cases.start_case(engine, "call_expression", {"welcher": "gebuehr"}, internal=True)) == ["neu"]
    missing = queries.get_case(engine, cases.start_case(engine, "call_expression", {"welcher": "fehlt"}, internal=True))
    assert missing["status"] == "failed" and "the called process 'fehlt' is not deployed" in missing["error"]


def test_a_version_given_as_an_expression_is_looked_up_when_the_call_starts(uncached):
    """calledElementBinding="version" with calledElementVersion="${gebuehrVersion}" (Camunda's
    CallActivityTest.testCallProcessByVersionAsExpression): the expression gives the version
    when a case reaches the call activity; that version runs through every reload. A version
    nobody deployed stops the case with an incident naming it."""
    engine = uncached
    deploy_models(engine, "camunda/calls/call_version_expression.bpmn")   # nothing to bundle at deploy
    deploy_models(engine, "camunda/calls/called_v1.bpmn")
    deploy_models(engine, "camunda/calls/called_v2.bpmn")
    first = cases.start_case(engine, "call_version_expression", {"gebuehrVersion": 1}, internal=True)
    second = cases.start_case(engine, "call_version_expression", {"gebuehrVersion": 2}, internal=True)
    as_text = cases.start_case(engine, "call_version_expression", {"gebuehrVersion": "1"}, internal=True)
    assert (_waits(engine, first), _waits(engine, second), _waits(engine, as_text)) == (["alt"], ["neu"], ["alt"])
    assert _bound(engine, first) == [_definition_id(engine, "gebuehr", 1)]
    _complete(engine, first, "alt")                              # reloaded: still version 1
    assert _waits(engine, first) == ["danach"]
    for version, message in ((3, "the called process 'gebuehr' has no deployed version 3"),
                             ("zwei", "calledElementVersion gave 'zwei', not a version number")):
        missing = queries.get_case(engine, cases.start_case(engine, "call_version_expression",
                                                            {"gebuehrVersion": version}, internal=True))
        assert missing["status"] == "failed" and message in missing["error"], missing["error"]
    # a called element given as an expression, bound to a fixed version: also looked up at the call
    deploy_models(engine, "camunda/calls/call_expression_version1.bpmn")
    assert _waits(engine, cases.start_case(engine, "call_expression_version1", {"welcher": "gebuehr"},
                                           internal=True)) == ["alt"]


def test_a_tenant_never_binds_another_tenants_called_process(uncached):
    """The newest version the case's tenant sees: its own definitions and the shared ones."""
    engine = uncached
    with engine.db.begin() as conn:
        for tenant in ("stadt-a", "stadt-b"):
            conn.execute(tenants.insert().values(id=tenant, name=tenant, host=None, path_prefix=None,
                                                 settings={}, connectors={}, active=True, created_at=NOW))
    with tenant_scope("stadt-a"):
        deploy_models(engine, "camunda/calls/called_v1.bpmn")        # stadt-a's own building block
    with tenant_scope("stadt-b"):
        deploy_models(engine, "camunda/calls/call_latest.bpmn")
        case_id = cases.start_case(engine, "call_latest", {}, internal=True)
        assert queries.get_case(engine, case_id)["status"] == "failed"   # stadt-a's process is not stadt-b's
        [incident] = incidents.list_incidents(engine, case_id=case_id)
    with all_tenants("the resolver names the case's tenant itself"):
        assert CallResolver(engine, _definition_id(engine, "call_latest", 1), "stadt-b")("gebuehr") is None
        assert CallResolver(engine, _definition_id(engine, "call_latest", 1), "stadt-a")("gebuehr") is not None
    with tenant_scope("stadt-b"):
        deploy(engine, read_paths([str(MODELS / "camunda/calls/called_v2.bpmn")]), actor="test", shared=True)
        incidents.retry_incident(engine, incident["id"], "operator")
        assert _waits(engine, case_id) == ["neu"]                        # the provider's shared version
    with tenant_scope("stadt-a"):
        deploy_models(engine, "camunda/calls/call_latest.bpmn")
        # the shared version is numbered above every tenant's own (v2 over stadt-a's v1): the newest
        assert _waits(engine, cases.start_case(engine, "call_latest", {})) == ["neu"]
        deploy_models(engine, "camunda/calls/called_v1.bpmn")          # stadt-a's own again: v3, the newest
        assert _waits(engine, cases.start_case(engine, "call_latest", {})) == ["alt"]


def test_recursive_call_through_an_expression_stops_at_the_depth_limit(uncached):
    """A literal cycle is refused at deploy (limit_checks.call_cycles); one through a calledElement
    expression is only known when it runs: the call_depth limit ends it with a clear message."""
    engine = uncached
    deploy_models(engine, "camunda/recursion.bpmn")
    case = queries.get_case(engine, cases.start_case(engine, "recursion", {"naechster": "recursion"}, internal=True))
    assert case["status"] == "failed"
    assert f"nested deeper than {Limits().call_depth} levels" in case["error"]


def test_migrating_a_case_keeps_the_version_its_call_bound(uncached):
    """Moving a case to a new version of the caller leaves its late-bound call on the version it
    bound; the case goes on after every reload."""
    engine = uncached
    deploy_models(engine, "camunda/calls/call_latest.bpmn")
    deploy_models(engine, "camunda/calls/called_v1.bpmn")          # deployed after the caller: late-bound
    inside = cases.start_case(engine, "call_latest", {})
    after = cases.start_case(engine, "call_latest", {})
    _complete(engine, after, "alt")                                  # its call is done, it waits at danach
    deploy_models(engine, "camunda/calls/called_v2.bpmn")
    assert _version(deploy_models(engine, "camunda/calls/call_latest_v2.bpmn")) == 2
    plan = case_migration.MigrationPlan("call_latest", 1, 2)
    results = {case_id: case_migration.migrate_case(engine, case_id, plan, actor="po", comment="neue Version")
               for case_id in (inside, after)}
    assert all(r.migrated and not r.issues for r in results.values())
    assert _waits(engine, inside) == ["alt"] and _waits(engine, after) == ["danach"]
    _complete(engine, inside, "alt")
    for case_id in (inside, after):
        _complete(engine, case_id, "danach")
        case = queries.get_case(engine, case_id)
        assert (case["version"], case["status"]) == (2, "completed")
    assert _waits(engine, cases.start_case(engine, "call_latest", {})) == ["neu"]


def test_binding_deployment_runs_its_own_deployments_version_else_the_newest(uncached):
    """calledElementBinding="deployment": the version deployed together with the caller, also
    after a newer one (Camunda's deployment binding); a caller deployed without it (Camunda fails
    then) calls the newest version when a case gets there, as with latest, also when a version
    deployed before was stored with it."""
    engine = uncached
    deploy_models(engine, "camunda/calls/call_deployment.bpmn", "camunda/calls/called_v1.bpmn")
    deploy_models(engine, "camunda/calls/called_v2.bpmn")
    assert _waits(engine, cases.start_case(engine, "call_deployment", {})) == ["alt"]

    with engine.db.begin() as conn:
        conn.execute(tenants.insert().values(id="stadt-c", name="stadt-c", host=None, path_prefix=None,
                                             settings={}, connectors={}, active=True, created_at=NOW))
    with tenant_scope("stadt-c"):
        deploy_models(engine, "camunda/calls/call_deployment.bpmn")    # alone: a warning, no called process
        deploy_models(engine, "camunda/calls/called_v1.bpmn")
        assert _waits(engine, cases.start_case(engine, "call_deployment", {})) == ["alt"]
        deploy_models(engine, "camunda/calls/call_deployment_v2.bpmn")  # v1 deployed before: stored with it
        deploy_models(engine, "camunda/calls/called_v2.bpmn")
        assert _waits(engine, cases.start_case(engine, "call_deployment", {})) == ["neu"]


def test_a_late_bound_shared_process_runs_with_the_tenants_overrides(uncached):
    """A called process the provider shares runs, for each tenant's case, with that tenant's
    overrides of its files (here its decision table), kept through every reload."""
    engine = uncached
    with engine.db.begin() as conn:
        for tenant in ("stadt-a", "stadt-b"):
            conn.execute(tenants.insert().values(id=tenant, name=tenant, host=None, path_prefix=None,
                                                 settings={}, connectors={}, active=True, created_at=NOW))
    table = MODELS / "camunda/decisions/tabellen"
    deploy(engine, read_paths([str(table)]), actor="provider", shared=True)
    own_rule = (table / "stufe.dmn").read_bytes().replace(b'"klein"', b'"klein (Stadt A)"')
    results = {}
    for tenant in ("stadt-a", "stadt-b"):
        with tenant_scope(tenant):
            if tenant == "stadt-a":
                overrides.upload(engine, tenant, "einstufen", "stufe.dmn", own_rule, actor="owner")
            deploy_models(engine, "camunda/calls/call_einstufen.bpmn")
            case_id = cases.start_case(engine, "call_einstufen", {"anzahl": 1}, internal=True)
            [task] = queries.get_case(engine, case_id)["open_tasks"]
            assert (task["process_key"], task["element_id"]) == ("einstufen", "ansehen")
            _complete(engine, case_id, "ansehen")
            assert _waits(engine, case_id) == ["danach"]
            results[tenant] = (queries.get_case(engine, case_id)["data"]["ergebnis"], _bound(engine, case_id))
    assert results["stadt-a"][0] == "klein (Stadt A)" and results["stadt-b"][0] == "klein"
    assert "~" in results["stadt-a"][1][0] and results["stadt-b"][1] is None   # stadt-b: the version stored with it
