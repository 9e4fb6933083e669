"""Every statement on tenant-owned tables runs for one tenant (engine/persistence/scoping.py),
and two tenants on one database do not see each other's cases, tasks, messages or signals."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

import pytest
from sqlalchemy import func, select, update

from engine.domain.errors import NotFound
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.persistence.fast import FastStatement
from engine.persistence.tenant_tables import tenants
from engine.services import cases, identity, messages, queries
from engine.tenancy import TenantMissing, all_tenants, tenant_scope
from tests.integration.helpers import deploy_models

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def two_tenants(engine) -> Iterator[None]:
    with engine.db.begin() as conn:
        for tenant in ("stadt-a", "stadt-b"):
            conn.execute(tenants.insert().values(id=tenant, name=tenant, host=None, path_prefix=None,
                                                 settings={}, connectors={}, active=True, created_at=NOW))
    yield


def test_a_statement_outside_any_scope_is_refused(engine) -> None:
    from engine.tenancy import _SCOPE   # noqa: PLC2701 - the test leaves the fixture's scope on purpose
    token = _SCOPE.set(None)
    try:
        with engine.db.connect() as conn:
            with pytest.raises(TenantMissing):
                conn.execute(select(func.count()).select_from(t.cases))
            with pytest.raises(TenantMissing):   # also inside a subquery
                conn.execute(select(tenants.c.id).where(tenants.c.id.in_(select(t.cases.c.tenant_id))))
            with pytest.raises(TenantMissing):
                conn.execute(update(t.jobs).values(retries=1))
            with conn.begin(), pytest.raises(TenantMissing):
                FastStatement(select(t.cases.c.id).where(t.cases.c.id == "x")).first_column(conn, {})
            conn.execute(select(tenants.c.id)).all()   # not tenant-owned: fine
    finally:
        _SCOPE.reset(token)


def test_criteria_reach_joins_and_subqueries_and_the_cache_keeps_one_statement(engine, two_tenants) -> None:
    query = (select(t.work_items.c.id).join(t.cases, t.cases.c.id == t.work_items.c.case_id)
             .outerjoin(t.jobs, t.jobs.c.case_id == t.cases.c.id)
             .where(t.work_items.c.case_id.in_(select(t.case_fields.c.case_id))))
    sql = str(query)
    for table in ("work_items", "cases", "jobs", "case_fields"):
        assert f"{table}.tenant_id = :amtsflow_tenant" in sql, (table, sql)
    # an outer join's table takes the criterion in its ON clause (in WHERE it would drop the NULL rows)
    assert "LEFT OUTER JOIN jobs ON jobs.case_id = cases.id AND jobs.tenant_id = :amtsflow_tenant" in sql
    definitions = str(select(t.process_definitions.c.id))
    assert "process_definitions.tenant_id IS NULL" in definitions   # shared definitions are visible
    with engine.db.connect() as conn:
        with tenant_scope("stadt-a"):
            conn.execute(query).all()
        with tenant_scope("stadt-b"):
            result = conn.execute(query)
            assert result.context.cache_hit.name == "CACHE_HIT"   # the tenant is a parameter
            result.all()


def test_inserts_take_the_scope_tenant_and_refuse_another(engine, two_tenants) -> None:
    row = {"id": "d1", "created_at": NOW, "created_by": "x", "files": []}
    with tenant_scope("stadt-a"), engine.db.begin() as conn:
        conn.execute(t.deployments.insert(), row)
        with pytest.raises(TenantMissing):
            conn.execute(t.deployments.insert(), {**row, "id": "d2", "tenant_id": "stadt-b"})
    with all_tenants("test"), engine.db.begin() as conn:
        assert conn.execute(select(t.deployments.c.tenant_id)).scalars().all() == ["stadt-a"]
        with pytest.raises(TenantMissing):   # across tenants an insert must say whose row it is
            conn.execute(t.deployments.insert(), {**row, "id": "d3"})
    with tenant_scope("stadt-b"), engine.db.connect() as conn:
        assert conn.execute(select(t.deployments.c.id)).all() == []


def test_cases_tasks_messages_and_signals_stay_in_their_tenant(engine, two_tenants) -> None:
    ids = {}
    for tenant in ("stadt-a", "stadt-b"):
        with tenant_scope(tenant):
            deploy_models(engine, "usertask.bpmn", "messages.bpmn")
            ids[tenant] = {
                "case": cases.start_case(engine, "usertask", {"antragsteller": tenant}, business_key="AZ-1",
                                         internal=True),
                "waiting": cases.start_case(engine, "zahlung", {}, business_key="K-1", internal=True),
            }
    with tenant_scope("stadt-a"):
        [task] = queries.list_tasks(engine, group="sachbearbeitung")
        assert task["case_id"] == ids["stadt-a"]["case"]
        assert {c["id"] for c in queries.list_cases(engine)} == set(ids["stadt-a"].values())
        b_case = ids["stadt-b"]["case"]
        with pytest.raises(NotFound):
            queries.get_case(engine, b_case)
    with tenant_scope("stadt-b"):
        [b] = queries.list_tasks(engine, group="sachbearbeitung")
        b_task = b["id"]
    with tenant_scope("stadt-a"):
        with pytest.raises(NotFound):
            queries.get_task(engine, b_task)
        with pytest.raises(NotFound):
            cases.claim(engine, b_task, "sb1")
        with pytest.raises(NotFound):
            cases.complete_task(engine, b_task, {"ok": True}, actor="sb1", internal=True)
        # a message for K-1 and a signal in A reach A's case only
        assert messages.correlate_message(engine, "zahlung_eingegangen", "K-1", {}).status == "delivered"
        messages.broadcast_signal(engine, "fristverlaengerung", {})
        JobExecutor(engine, "tenant-test").run_until_idle()
        assert queries.get_case(engine, ids["stadt-a"]["waiting"])["status"] == "completed"
        # a message start event in A starts a case in A only
        messages.correlate_message(engine, "antrag_eingegangen", None, {})
    with tenant_scope("stadt-b"):
        JobExecutor(engine, "tenant-test").run_until_idle()
        assert queries.get_case(engine, ids["stadt-b"]["waiting"])["status"] == "waiting"
        assert [c for c in queries.list_cases(engine) if c["process_key"] == "eingang"] == []
        assert queries.get_task(engine, b_task)["state"] == "open"
    with tenant_scope("stadt-a"):
        assert len([c for c in queries.list_cases(engine) if c["process_key"] == "eingang"]) == 1


def test_an_api_token_names_its_tenant(engine, two_tenants) -> None:
    with tenant_scope("stadt-b"):
        identity.create_user(engine, "fachverfahren", "Fachverfahren", roles=["clerk"])
        _id, token = identity.create_api_token(engine, "fachverfahren", "system")
    with tenant_scope("stadt-a"):
        assert identity.tenant_for_token(engine, token) == "stadt-b"
        assert identity.user_for_token(engine, token) is None   # not A's token
    with tenant_scope("stadt-b"):
        user = identity.user_for_token(engine, token)
        assert user is not None and user.username == "fachverfahren"
