"""amtsflow demo with two municipalities (issue 17): Musterstadt and Beispieldorf beside the
default tenant, each under its path prefix, each charging its own parking-permit fee from its
own fee table (an override of the shared process), each with its own staff and demo cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.registry import close_connectors, load_connectors
from connectors.simulators import runner
from engine.bootstrap import bootstrap
from engine.jobs import JobExecutor
from engine.services import identity, overrides, queries, tenants
from engine.settings import Settings
from webui.demo_cli import deploy_process_library
from webui.demo_data import seed_demo_cases
from webui.demo_tenants import DEMO_TENANTS, create_tenant_staff, seed_tenants
from engine.tenancy import all_tenants, tenant_scope

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
FEES = {"musterstadt": "200,00 EUR", "beispieldorf": "60,00 EUR"}


@pytest.fixture
def demo_engine(sqlite_url: str) -> Any:
    urls = runner.start_all(seed=1)
    connectors = load_connectors(runner.connector_config(urls))
    engine = bootstrap(Settings(database_url=sqlite_url, demo=True), connectors=connectors)
    deploy_process_library(engine, PROCESSES)
    yield engine
    engine.db.dispose()
    close_connectors(connectors)
    runner.stop()


def test_two_municipalities_with_their_own_fees_staff_and_cases(demo_engine: Any) -> None:
    lines = seed_tenants(demo_engine)
    assert lines == ["musterstadt: override bewohnerparkausweis/gebuehr.dmn v1",
                     "beispieldorf: override bewohnerparkausweis/gebuehr.dmn v1"]
    assert seed_tenants(demo_engine) == []          # a restart uploads nothing new
    routes = tenants.routing_table(demo_engine)
    assert sorted(routes.by_prefix) == ["beispieldorf", "musterstadt"] and routes.default is not None
    staff = create_tenant_staff(demo_engine)
    assert sorted(staff) == ["po-beispieldorf", "po-musterstadt", "sb-beispieldorf", "sb-musterstadt"]
    with tenant_scope("musterstadt"):   # a tenant's staff signs in at the tenant's portal only
        assert identity.authenticate(demo_engine, "sb-musterstadt", staff["sb-musterstadt"]) is not None
    assert identity.authenticate(demo_engine, "sb-musterstadt", staff["sb-musterstadt"]) is None

    cases = seed_demo_cases(demo_engine, [t.id for t in DEMO_TENANTS])
    assert not [line for line in cases if line.startswith("skipped")], cases
    for tenant_id, fee in FEES.items():
        assert any(line.endswith(f"{tenant_id}: waits for the payment of {fee}") for line in cases), cases
    with all_tenants("the test compares the tenants' fees"):
        fees = sorted(queries.get_case(demo_engine, c["id"])["data"].get("gebuehr_cent") or 0
                      for c in queries.list_cases(demo_engine) if c["process_key"] == "bewohnerparkausweis")
    assert 20000 in fees and 6000 in fees and 18000 in fees   # each tenant's, and the shared one (default)
    comparison = overrides.compare(demo_engine, "beispieldorf", "bewohnerparkausweis", "gebuehr.dmn")
    assert any(line.startswith("+") and "<text>6000</text>" in line for line in comparison.diff)

    # the worker runs what the demo's cases wait for: each municipality's first permit has the
    # Aktenzeichen BP-<year>-000001 and so the same Kassenzeichen, each on its own Mandant
    JobExecutor(demo_engine).run_until_idle()
    with all_tenants("the test looks at every tenant's cases"):
        failed = [(c["business_key"], c["process_key"]) for c in queries.list_cases(demo_engine)
                  if c["status"] == "failed"]
    assert failed == []


def test_the_portals_answer_under_their_path_prefixes(demo_engine: Any) -> None:
    from tests.web.conftest import make_app

    seed_tenants(demo_engine)
    client = make_app(demo_engine).test_client()
    for path in ("/", "/musterstadt/", "/beispieldorf/"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert client.get("/nirgendwo/").status_code == 404
