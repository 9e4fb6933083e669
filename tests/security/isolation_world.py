"""Two municipalities on one installation with one object of every tenant-owned kind each, for
the tenant isolation suite (tests/security/test_tenant_isolation.py, issue 17).

Both tenants get the same accounts (same user names, roles and groups), the same processes and
the same business keys, so that nothing but the tenant tells their objects apart: a request of
Musterstadt (A) that names an object of Beispieldorf (B) must find nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from engine.bootstrap import Engine
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.persistence.schema import metadata
from engine.runtime.parsing import SourceFile
from engine.services import case_migration, cases, documents, identity, incidents, overrides, queries, tenants
from engine.services.case_migration import MigrationPlan
from engine.services.deploy import deploy, read_paths
from engine.services.external_tasks import TopicRequest, fetch_and_lock
from engine.tenancy import all_tenants, tenant_scope
from tests.fakes import FakeConnector

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "tests" / "models"
SHARED = ROOT / "processes" / "bewohnerparkausweis"
A, B = "musterstadt", "beispieldorf"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# who acts, by role; the same user names exist in both tenants
ACCOUNTS = {"citizen": ("buerger", ["citizen"]), "clerk": ("sb", ["clerk"]), "owner": ("po", ["owner"]),
            "admin": ("admin", ["admin"])}
TOKEN_ROLES = ("clerk", "owner", "admin")
SERVICE_MARK = "Gebuehrensatzung-7Q"   # a value only B's override of the service description has
ONLY_B_KEY = "NUR-B-1"
WORKER = "iso-worker"            # the external worker id that holds both tenants' external tasks


def password(tenant: str) -> str:
    """The clerk sb's password in ``tenant`` (each tenant's sb is another person)."""
    return f"passwort-von-sb-in-{tenant}"


@dataclass
class World:
    engine: Engine
    ids: dict[str, dict[str, str]] = field(default_factory=dict)         # tenant -> kind -> id
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)      # tenant -> role -> bearer token


def _deploy(engine: Engine, *names: str) -> dict[str, str]:
    result = deploy(engine, read_paths([str(MODELS / n) for n in names]), actor="po")
    ids = {p.key: p.definition_id for p in result.processes}
    with engine.db.connect() as conn:
        deployment = conn.execute(select(t.process_definitions.c.deployment_id)
                                  .where(t.process_definitions.c.id == ids[result.processes[0].key])).scalar_one()
    return ids | {"deployment": deployment}


def _tenant_objects(world: World, tenant: str, connector: FakeConnector) -> None:
    engine = world.engine
    identity.create_group(engine, "sachbearbeitung", "Sachbearbeitung")
    for _role, (username, roles) in ACCOUNTS.items():
        identity.create_user(engine, username, username.title(), roles=roles, trust_level="substantial"
                             if "citizen" in roles else None, groups_=["sachbearbeitung"] if "clerk" in roles else [],
                             password=password(tenant) if username == "sb" else None)
    world.tokens[tenant] = {role: identity.create_api_token(engine, ACCOUNTS[role][0], "isolation")[1]
                            for role in TOKEN_ROLES}
    own = _deploy(engine, "usertask.bpmn", "messages.bpmn", "service.bpmn", "semantics/messages_throw.bpmn")
    migration_v1 = deploy(engine, [SourceFile("migration_test.bpmn", (MODELS / "migration" / "v1.bpmn").read_bytes())],
                          actor="po")
    ids = {"definition": own["usertask"], "deployment": own["deployment"]}
    deploy(engine, read_paths([str(ROOT / "tests" / "engine_rest" / "models" / "pruefung-extern.bpmn")]), actor="po")
    ids["case"] = cases.start_case(engine, "usertask", {"antragsteller": "Erika"}, business_key="AZ-1",
                                   actor="buerger", internal=True)
    [task] = queries.list_tasks(engine, case_id=ids["case"])
    ids["task"] = task["id"]
    ids["document"] = documents.store(engine, "bescheid.pdf", PDF, uploaded_by="sb", case_id=ids["case"],
                                      kind="decision").id
    ids["link"] = identity.create_case_link(engine, ids["case"], "buerger")
    ids["variable"] = "antragsteller"   # a variable of the case (the same name in both tenants)
    ids["waiting"] = cases.start_case(engine, "zahlung", {}, business_key="K-1", internal=True)
    ids["waiting_thrown"] = cases.start_case(engine, "ausweis", {}, business_key="PA-1", internal=True)
    ids["waiting_storm"] = cases.start_case(engine, "sturm_wartend", {}, internal=True)
    connector.answer("lookup", bpmn_error="UNBEKANNT")
    ids["incident_case"] = cases.start_case(engine, "service", {"name": "Erika"}, business_key="ST-1", internal=True)
    ids["extern_case"] = cases.start_case(engine, "pruefung-extern", {"antragsteller": "Erika", "betrag": 1},
                                          internal=True)
    migrating = cases.start_case(engine, "migration_test", {}, internal=True)
    deploy(engine, [SourceFile("migration_test.bpmn", (MODELS / "migration" / "v2.bpmn").read_bytes())], actor="po")
    ids["migrating"] = migrating
    ids["batch"] = case_migration.start_batch(engine, MigrationPlan("migration_test", 1, 2, {}), actor="po",
                                              comment="Isolationstest", case_ids=[migrating])
    ids["migration_v1"] = migration_v1.processes[0].definition_id
    world.ids[tenant] = ids


def _after_jobs(world: World, tenant: str) -> None:
    engine, ids = world.engine, world.ids[tenant]
    [incident] = incidents.list_incidents(engine, case_id=ids["incident_case"])
    ids["incident"] = incident["id"]
    [external] = fetch_and_lock(engine, WORKER, [TopicRequest("pruefen", 3_600_000)], 1)   # locked by WORKER
    assert external.case_id == ids["extern_case"]
    ids["external_task"] = external.id
    if tenant == B:                       # and one free for anyone who fetches (in B only)
        ids["extern_free"] = cases.start_case(engine, "pruefung-extern", {"antragsteller": "Erika", "betrag": 2},
                                              internal=True)
    ids["user_only_b"] = "nur-" + tenant
    identity.create_user(engine, ids["user_only_b"], "Nur Hier", roles=["clerk"])
    ids["token_id"] = identity.create_api_token(engine, ids["user_only_b"], "nur hier")[0]
    ids["only_key"] = "wait"
    if tenant == B:
        _deploy(engine, "wait.bpmn")        # a process only B has
        ids["only_b_case"] = cases.start_case(engine, "usertask", {"antragsteller": "Erika"}, business_key=ONLY_B_KEY,
                                              actor="buerger", internal=True)       # a business key only B has


def build(engine: Engine) -> World:
    world = World(engine)
    tenants.add_tenant(engine, A, "Stadt Musterstadt", path_prefix=A)
    tenants.add_tenant(engine, B, "Gemeinde Beispieldorf", path_prefix=B)
    deploy(engine, read_paths([str(SHARED)]), actor="provider", shared=True)
    fees = (SHARED / "gebuehr.dmn").read_bytes().replace(b"18000", b"17000")
    service = (SHARED / "service.toml").read_bytes().replace(b'quelle = "gebuehr.dmn"', f'quelle = "{SERVICE_MARK}"'.encode())
    # before the test connector: an override is checked against the connectors there are.
    # Both override the fees; only B the service description (a file name A has no override of)
    with tenant_scope(A):
        overrides.upload(engine, A, "bewohnerparkausweis", "gebuehr.dmn", fees, actor="po")
    with tenant_scope(B):
        overrides.upload(engine, B, "bewohnerparkausweis", "gebuehr.dmn", fees, actor="po")
        overrides.upload(engine, B, "bewohnerparkausweis", "service.toml", service, actor="po")
    connector = FakeConnector()
    engine.connectors["test"] = connector
    for tenant in (A, B):
        with tenant_scope(tenant):
            _tenant_objects(world, tenant, connector)
            world.ids[tenant]["override"] = "gebuehr.dmn" if tenant == A else "service.toml"
    with all_tenants("isolation test: run every tenant's jobs"):
        JobExecutor(engine, "isolation").run_until_idle()
    connector.answer("lookup", {"found": True, "name": "Erika"})
    for tenant in (A, B):
        with tenant_scope(tenant):
            _after_jobs(world, tenant)
    return world


def tenant_rows(engine: Engine, tenant: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a tenant owns, table by table (to see that another tenant's requests changed nothing)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with all_tenants("isolation test: compare a tenant's rows"), engine.db.connect() as conn:
        for table in metadata.sorted_tables:
            if "tenant_id" not in table.c:
                continue
            found = conn.execute(select(table).where(table.c.tenant_id == tenant)).all()
            rows[table.name] = sorted((tuple(map(repr, r)) for r in found))
    return rows


def session_client(app: Flask, tenant: str, username: str) -> tuple[FlaskClient, str]:
    """A browser signed in to ``tenant`` as ``username`` (the signed cookie its sign-in would set),
    and the CSRF token of its session."""
    client = app.test_client()
    raw = secrets.token_hex(20)                      # as flask_wtf.csrf.generate_csrf keeps it in the session
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    cookie = serializer.dumps({"user": username, "auth": "password", "tenant": tenant, "csrf_token": raw})
    client.set_cookie(f"{app.config['SESSION_COOKIE_NAME']}_{tenant}", cookie, path=f"/{tenant}")
    return client, URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
