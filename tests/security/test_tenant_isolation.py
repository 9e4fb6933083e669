"""Tenant isolation (issue 17): for every route of the URL map (portal, inbox, studio, admin,
/api/v1, /engine-rest) and every method, each user and API token of Musterstadt (A) asking for
an object of Beispieldorf (B) gets what it gets for an object that does not exist: 404 where it
may use the route at all, never B's data, never a 5xx, and B's rows stay as they were; messages and
signals sent in A never reach B. SQLite and PostgreSQL, the world built once per database.

A route whose URL variables cannot name a tenant's object is listed in NOT_TENANT_OWNED
(isolation_routes.py) with the reason, a route without variables that writes in
WRITES_WITHOUT_OBJECT; a new route fails test_every_route_is_classified until it is filled or
listed there."""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from engine.bootstrap import bootstrap
from engine.jobs import JobExecutor
from engine.persistence.db import make_engine
from engine.ports import FakeClock
from engine.persistence import tables as t
from engine.services import cases, messages, queries
from engine.settings import Settings
from engine.tenancy import all_tenants, tenant_scope
from tests.conftest import TEST_COMMAND_SECONDS, truncate_all
from tests.security.isolation_routes import (FILL, FILL_BY_ENDPOINT, GHOST, JSON_BODIES, MARKED, NOT_TENANT_OWNED,
                                             WRITE_METHODS, WRITES_WITHOUT_OBJECT)
from tests.security.isolation_world import (A, ACCOUNTS, B, ONLY_B_KEY, SERVICE_MARK, TOKEN_ROLES, World, build, password,
                                            session_client, tenant_rows)
from tests.web.conftest import make_app

@dataclass
class Actor:
    client: FlaskClient
    headers: dict[str, str]
    csrf: str | None
    username: str | None


@dataclass
class Iso:
    world: World
    app: Flask
    actors: dict[str, Actor]
    markers: list[str]
    b_rows: dict[str, list[tuple[Any, ...]]]     # B's rows as the world built them

    def b(self, kind: str) -> str:
        return self.world.ids[B][kind]


def _url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("isolation") / "isolation.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("pg_url"))
    db = make_engine(url)
    truncate_all(db)
    db.dispose()
    return url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def iso(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Iso]:
    url = _url(request, tmp_path_factory)
    engine = bootstrap(Settings(database_url=url, max_command_seconds=TEST_COMMAND_SECONDS), clock=FakeClock())
    world = build(engine)
    for tenant in (A, B):
        world.ids[tenant]["shared_key"] = "bewohnerparkausweis"
        world.ids[tenant]["tenant"] = tenant
    app = make_app(engine)
    actors = {}
    for role, (username, _roles) in ACCOUNTS.items():
        client, csrf = session_client(app, A, username)
        actors[f"session:{role}"] = Actor(client, {}, csrf, username)
    for role in TOKEN_ROLES:
        actors[f"token:{role}"] = Actor(app.test_client(), {"Authorization": f"Bearer {world.tokens[A][role]}"}, None,
                                        ACCOUNTS[role][0])
    actors["anonymous"] = Actor(app.test_client(), {}, None, None)
    markers = [world.ids[B][kind] for kind in MARKED] + ["Beispieldorf", SERVICE_MARK]   # B's override
    yield Iso(world, app, actors, markers, tenant_rows(engine, B))
    engine.db.dispose()


def _rules() -> list[Rule]:
    engine = bootstrap(Settings(database_url="sqlite://"), clock=FakeClock())
    rules = sorted(make_app(engine).url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    engine.db.dispose()
    return rules


RULES = _rules()
OBJECT_ROUTES = [(r, m) for r in RULES for m in sorted(r.methods - {"HEAD", "OPTIONS"})
                 if r.arguments and r.endpoint not in NOT_TENANT_OWNED]
LISTS = [r for r in RULES if not r.arguments and "GET" in r.methods]


def _fill(rule: Rule, ids: dict[str, str] | None, own: dict[str, str] | None = None, only: str | None = None) -> str:
    """The rule's path with every variable naming an object of ``ids`` (None: one that does not
    exist); with ``only``, just that variable, the others naming A's own objects (``own``)."""
    kinds = {**FILL, **FILL_BY_ENDPOINT.get(rule.endpoint, {})}
    values = {}
    for name in rule.arguments:
        source = ids if only in (None, name) else own
        values[name] = GHOST if source is None else source[kinds[name]]
    return rule.rule.replace("<", "{").replace(">", "}").format(**values)


def _request(iso: Iso, actor: Actor, method: str, path: str, endpoint: str) -> TestResponse:
    if method == "GET" or actor.csrf is None:
        body = {k: v.format(username=actor.username) if isinstance(v, str) else v
                for k, v in JSON_BODIES.get(endpoint, {}).items()}
        return actor.client.open(f"/{A}{path}", method=method, headers=actor.headers,
                                 json=None if method == "GET" else body)
    return actor.client.open(f"/{A}{path}", method=method, headers=actor.headers, data={"csrf_token": actor.csrf})


def _shown(response: TestResponse) -> str:
    return response.get_data(as_text=True) + response.headers.get("Location", "")


def _refused(response: TestResponse) -> bool:
    login = response.status_code == 302 and "/anmelden" in response.headers.get("Location", "")
    return response.status_code in (401, 403) or login


def _actors(iso: Iso, rule: Rule, method: str) -> dict[str, Actor]:
    """A's people and systems who could use the route: /engine-rest takes no browser sessions,
    only the shared status link is for anyone."""
    chosen = {}
    for name, actor in iso.actors.items():
        if rule.rule.startswith("/engine-rest") and name.startswith("session:"):
            continue
        if name == "anonymous" and not rule.endpoint.startswith("portal.shared_"):
            continue
        api = rule.rule.startswith(("/api/", "/engine-rest/"))
        if name.startswith("token:") and not api and method in WRITE_METHODS:
            continue     # a page's form needs the session's CSRF token: a bare token is refused with 400
        chosen[name] = actor
    return chosen


def _problems(iso: Iso, rule: Rule, method: str) -> list[str]:
    """Every variable B's; and, for a route with several, each alone B's and the others A's own
    (A's case with B's document must not find it either)."""
    problems, own = [], iso.world.ids[A]
    kinds = {**FILL, **FILL_BY_ENDPOINT.get(rule.endpoint, {})}
    mixed = [a for a in sorted(rule.arguments) if iso.world.ids[B][kinds[a]] != own[kinds[a]]]   # not a shared key
    for only in [None, *(mixed if len(rule.arguments) > 1 else [])]:
        b_path, ghost_path = _fill(rule, iso.world.ids[B], own, only), _fill(rule, None, own, only)
        problems += _answers(iso, rule, method, b_path, ghost_path, _fill(rule, own))
    return problems


def _answers(iso: Iso, rule: Rule, method: str, b_path: str, ghost_path: str, own_path: str) -> list[str]:
    problems = []
    for name, actor in _actors(iso, rule, method).items():
        got = _request(iso, actor, method, b_path, rule.endpoint)
        ghost = got if got.status_code == 404 else _request(iso, actor, method, ghost_path, rule.endpoint)
        said = f"{method} {rule.rule} as {name} of {A} for {B}'s object ({b_path}): {got.status_code}"
        leaked = [m for m in iso.markers if m in _shown(got) and m not in b_path]   # echoing the URL is no leak
        if got.status_code >= 500:
            problems.append(f"{said}: server error")
        elif leaked:
            problems.append(f"{said}: the answer shows {B}'s {leaked}")
        elif got.status_code != ghost.status_code:
            problems.append(f"{said}, but {ghost.status_code} for an object that does not exist")
        elif method == "GET" and not _refused(got) and got.status_code != 404:
            own = _request(iso, actor, method, own_path, rule.endpoint)
            if not _refused(own) and own.status_code != 404:    # A may use the route: B's object must be missing
                problems.append(f"{said}, {own.status_code} for A's own object: expected 404")
    return problems


@pytest.mark.parametrize("rule,method", [pytest.param(r, m, id=f"{m} {r.rule}") for r, m in OBJECT_ROUTES])
def test_an_object_of_b_is_not_found_in_a(iso: Iso, rule: Rule, method: str) -> None:
    problems = _problems(iso, rule, method)
    assert not problems, "\n".join(problems)
    if method in WRITE_METHODS:
        before, iso.b_rows = iso.b_rows, tenant_rows(iso.world.engine, B)
        changed = [name for name in before if before[name] != iso.b_rows[name]]
        assert not changed, f"{method} {rule.rule} from {A} changed {B}'s rows in {changed}"


@pytest.mark.parametrize("rule", [pytest.param(r, id=r.rule) for r in LISTS])
def test_lists_and_pages_of_a_show_nothing_of_b(iso: Iso, rule: Rule) -> None:
    for name, actor in iso.actors.items():
        got = actor.client.get(f"/{A}{rule.rule}", headers=actor.headers)
        leaked = [m for m in iso.markers if m in _shown(got)]
        not_ready = rule.endpoint == "ops.ready" and got.status_code == 503     # no worker in this test
        assert got.status_code < 500 or not_ready, f"GET {rule.rule} as {name} of {A}: {got.status_code}"
        assert not leaked, f"GET {rule.rule} as {name} of {A} shows {B}'s {leaked}"


def test_override_lists_show_only_the_tenants_own(iso: Iso) -> None:
    owner = iso.actors["token:owner"]
    listed = owner.client.get(f"/{A}/api/v1/processes/bewohnerparkausweis/overrides", headers=owner.headers)
    assert listed.status_code == 200 and "gebuehr.dmn" in listed.get_data(as_text=True)
    assert "service.toml" not in listed.get_data(as_text=True), f"{B}'s override listed in {A}"
    shown = owner.client.get(f"/{A}/api/v1/processes/bewohnerparkausweis/overrides/service.toml", headers=owner.headers)
    assert shown.status_code == 200 and shown.get_json()["versions"] == [], f"{B}'s override shown in {A}"
    assert SERVICE_MARK not in shown.get_data(as_text=True)
    page = iso.actors["session:owner"].client.get(f"/{A}/studio/prozesse/bewohnerparkausweis/anpassungen")
    assert page.status_code == 200 and SERVICE_MARK not in page.get_data(as_text=True)


def test_every_route_is_classified() -> None:
    kinds = set(FILL) | {k for m in FILL_BY_ENDPOINT.values() for k in m}
    unclassified = [f"{r.rule} ({r.endpoint})" for r in RULES if r.endpoint not in NOT_TENANT_OWNED
                    and not set(r.arguments) <= kinds]
    unlisted = [f"{sorted(r.methods & set(WRITE_METHODS))} {r.rule} ({r.endpoint})" for r in RULES
                if not r.arguments and r.methods & set(WRITE_METHODS) and r.endpoint not in WRITES_WITHOUT_OBJECT]
    stale = sorted((set(NOT_TENANT_OWNED) | set(WRITES_WITHOUT_OBJECT) | set(FILL_BY_ENDPOINT))
                   - {r.endpoint for r in RULES})
    assert not stale, f"classified endpoints the application no longer has: {stale}"
    assert not unclassified, f"routes whose URL variables the isolation suite cannot fill: {unclassified}"
    assert not unlisted, f"writing routes without an object in the URL, not classified: {unlisted}"


def test_messages_and_signals_stay_in_their_tenant(iso: Iso) -> None:
    engine, token = iso.world.engine, iso.world.tokens[A]["clerk"]
    bearer = {"Authorization": f"Bearer {token}"}
    with all_tenants("isolation test: run every tenant's jobs"):
        JobExecutor(engine, "isolation").run_until_idle()
    before = tenant_rows(engine, B)
    with tenant_scope(A):
        messages.correlate_message(engine, "zahlung_eingegangen", "K-1", {})
        messages.broadcast_signal(engine, "fristverlaengerung", {})
        messages.correlate_message(engine, "antrag_eingegangen", None, {})
        # thrown by processes of A: a message (to PA-1), a signal, a message that starts a case
        cases.start_case(engine, "melder", {"ausweis": "PA-1", "zweiter": "PA-2", "dritter": "PA-3"}, internal=True)
        cases.start_case(engine, "sturm_melder", {"stufe": 3}, internal=True)
        cases.start_case(engine, "meldung_sender", {}, internal=True)
    client = iso.app.test_client()
    for path in (f"/{A}/api/v1/messages", f"/{B}/api/v1/messages", "/api/v1/messages"):   # a token acts for its tenant
        sent = client.post(path, json={"name": "zahlung_eingegangen", "key": "K-1"}, headers=bearer)
        assert sent.status_code < 500, (path, sent.status_code)
        signal = client.post(path.replace("messages", "signals"), json={"name": "fristverlaengerung"}, headers=bearer)
        assert signal.status_code == 200, (path, signal.get_data(as_text=True))
    kept = client.post(f"/{A}/api/v1/messages", json={"name": "zahlung_eingegangen", "key": "K-9"}, headers=bearer)
    assert kept.status_code == 202, kept.get_json()              # nothing waits for K-9 in A: kept for A's cases
    rest = client.post(f"/{B}/engine-rest/message", json={"messageName": "zahlung_eingegangen", "businessKey": "K-1"},
                       headers=bearer)
    assert rest.status_code == 400 and "Cannot correlate" in rest.get_data(as_text=True)   # nothing waits in A now
    for path in (f"/{A}/engine-rest/signal", f"/{B}/engine-rest/signal"):   # the token's tenant, A
        thrown = client.post(path, json={"name": "fristverlaengerung"}, headers=bearer)
        assert thrown.status_code == 204, (path, thrown.get_data(as_text=True))
    foreign = client.post(f"/{A}/engine-rest/signal", json={"name": "fristverlaengerung", "tenantId": B}, headers=bearer)
    assert foreign.status_code == 403, foreign.get_data(as_text=True)   # B named by A's token: refused
    with all_tenants("isolation test: run every tenant's jobs"):
        JobExecutor(engine, "isolation").run_until_idle()
    with tenant_scope(A):            # each reached its case in A
        assert queries.get_case(engine, iso.world.ids[A]["waiting"])["status"] == "completed"
        for waiting in ("waiting_thrown", "waiting_storm"):
            assert queries.get_case(engine, iso.world.ids[A][waiting], with_history=False)["open_tasks"], waiting
    changed = {name for name, rows in tenant_rows(engine, B).items() if rows != before[name]}
    assert not changed, f"messages and signals sent in {A} changed {B}'s rows in {sorted(changed)}"
    with tenant_scope(B):             # a case of B that starts waiting for K-9 later does not get A's kept message
        later = cases.start_case(engine, "zahlung", {}, business_key="K-9", internal=True)
        JobExecutor(engine, "isolation").run_until_idle()
        with engine.db.connect() as conn:
            waiting = conn.execute(select(t.subscriptions.c.name)
                                   .where(t.subscriptions.c.case_id == later)).scalars().all()
        assert waiting == ["zahlung_eingegangen"], f"A's kept message K-9 reached {B}'s case: it waits for {waiting}"


def test_the_next_free_task_is_one_of_the_callers_tenant(iso: Iso) -> None:
    """"Nächste Aufgabe übernehmen" (inbox and API) claims a task of A only, also when its filters
    name B's business key or a process only B has; B's rows stay as they were."""
    engine, client = iso.world.engine, iso.app.test_client()
    token = {"Authorization": f"Bearer {iso.world.tokens[A]['clerk']}"}
    clerk = iso.actors["session:clerk"]
    before = tenant_rows(engine, B)
    for query in ({"q": ONLY_B_KEY}, {"process_key": "wait"}):
        got = client.post(f"/{A}/api/v1/tasks/claim-next", headers=token, query_string=query)
        assert got.status_code == 204, (query, got.get_data(as_text=True))
    page = clerk.client.post(f"/{A}/inbox/naechste-aufgabe", data={"csrf_token": clerk.csrf, "q": ONLY_B_KEY})
    assert page.status_code == 303 and "/inbox/aufgaben/" not in page.headers["Location"]
    taken = []
    got = client.post(f"/{A}/api/v1/tasks/claim-next", headers=token)
    if got.status_code == 200:
        taken.append(got.get_json()["id"])
    page = clerk.client.post(f"/{A}/inbox/naechste-aufgabe", data={"csrf_token": clerk.csrf})
    if "/inbox/aufgaben/" in page.headers["Location"]:
        taken.append(page.headers["Location"].rsplit("/", 1)[1])
    assert taken, f"no free task of {A} was taken"
    with tenant_scope(A):                                    # A's tasks (a task of B is not found in A)
        for task_id in taken:
            assert queries.get_task(engine, task_id)["assignee"] == ACCOUNTS["clerk"][0]
            cases.unclaim(engine, task_id, ACCOUNTS["clerk"][0])        # as the world built them, for the tests after
    changed = {name for name, rows in tenant_rows(engine, B).items() if rows != before[name]}
    assert not changed, f"taking the next task in {A} changed {B}'s rows in {sorted(changed)}"


def test_write_bodies_naming_b(iso: Iso) -> None:
    """Objects of B named in a request's body or query (not its path) are as unknown in A."""
    client, owner = iso.app.test_client(), {"Authorization": f"Bearer {iso.world.tokens[A]['owner']}"}
    clerk = {"Authorization": f"Bearer {iso.world.tokens[A]['clerk']}"}
    before = tenant_rows(iso.world.engine, B)
    dry_run = client.post(f"/{A}/api/v1/migrations", headers=owner, json={
        "process_key": "migration_test", "source_version": 1, "target_version": 2, "dry_run": True,
        "case_ids": [iso.b("migrating")]})
    assert dry_run.status_code == 404, ("POST /api/v1/migrations (dry run) with B's case", dry_run.get_json())
    rest = client.post(f"/{A}/engine-rest/message", headers=clerk, json={
        "messageName": "zahlung_eingegangen", "processInstanceId": iso.b("waiting")})
    assert rest.status_code == 400 and "Cannot correlate" in rest.get_data(as_text=True), rest.get_json()
    fetched = client.post(f"/{A}/engine-rest/external-task/fetchAndLock", headers=clerk, json={
        "workerId": "other-worker", "maxTasks": 5, "topics": [{"topicName": "pruefen", "lockDuration": 1000}]})
    assert fetched.status_code == 200 and fetched.get_json() == [], f"fetchAndLock in {A} took {fetched.get_json()}"
    filters = {"processInstanceId": iso.b("case"), "processInstanceIds": iso.b("case"), "case_id": iso.b("case"),
               "processDefinitionId": iso.b("definition"), "deploymentId": iso.b("deployment"), "id": iso.b("case"),
               "key": "wait", "processDefinitionKey": "wait", "taskId": iso.b("task"), "tenantIdIn": B, "tenantId": B,
               "tenant": B}
    filters |= {"aktenzeichen": ONLY_B_KEY, "businessKey": ONLY_B_KEY, "business_key": ONLY_B_KEY, "q": ONLY_B_KEY}
    for rule in LISTS:
        actors = [iso.actors[n] for n in ("token:owner", "session:citizen", "session:clerk", "session:owner")]
        for actor in actors if not rule.rule.startswith(("/api/", "/engine-rest/")) else actors[:1]:
            got = actor.client.get(f"/{A}{rule.rule}", query_string=filters, headers=actor.headers)
            leaked = [m for m in iso.markers if m in _shown(got) and m not in filters.values()]   # not an echo
            assert got.status_code < 500 or rule.endpoint == "ops.ready", f"GET {rule.rule} filtered: {got.status_code}"
            assert not leaked, f"GET {rule.rule} filtered by B's ids and keys: {got.status_code} shows {leaked}"
    changed = {name for name, rows in tenant_rows(iso.world.engine, B).items() if rows != before[name]}
    assert not changed, f"requests of {A} naming B's objects changed {B}'s rows in {sorted(changed)}"


def test_a_password_of_a_signs_in_to_a_only(iso: Iso) -> None:
    """HTTP Basic on /engine-rest: A's clerk sb and B's clerk sb are two people; A's password,
    accepted (and remembered) in A, opens nothing in B."""
    raw = base64.b64encode(f"sb:{password(A)}".encode()).decode()
    basic = {"Authorization": f"Basic {raw}"}
    client = iso.app.test_client()
    assert client.get(f"/{A}/engine-rest/task", headers=basic).status_code == 200
    in_b = client.get(f"/{B}/engine-rest/task", headers=basic)
    assert in_b.status_code == 401, f"A's password of sb signed in to {B}: {in_b.status_code} {in_b.get_data()[:200]!r}"


def test_guessing_at_an_account_of_a_does_not_hold_up_the_same_name_in_b(iso: Iso) -> None:
    """Failed HTTP Basic sign-ins are counted per account (and address): per tenant's account."""
    from webui.app import create_app

    settings = Settings(database_url=str(iso.world.engine.db.url.render_as_string(hide_password=False)),
                        secret_key="test-secret")
    app = create_app(settings, engine=iso.world.engine, test_config={
        "TESTING": True, "RATELIMIT_ENABLED": True, "AMTSFLOW_LOGIN_RATE_LIMIT": "2 per minute",
        "AMTSFLOW_FITCONNECT": {"routes": {}}})
    client = app.test_client()

    def basic(tenant: str, secret: str, address: str) -> int:
        raw = base64.b64encode(f"sb:{secret}".encode()).decode()
        return client.get(f"/{tenant}/engine-rest/version", headers={"Authorization": f"Basic {raw}"},
                          environ_base={"REMOTE_ADDR": address}).status_code

    assert [basic(A, f"falsch-{n}", f"10.9.0.{n}") for n in range(3)] == [401, 401, 429]   # A's sb is held up
    assert basic(B, password(B), "10.9.1.1") == 200, f"guessing at {A}'s sb held up {B}'s sb"


def test_a_credential_of_a_presented_at_bs_address_acts_for_a_or_nobody(iso: Iso) -> None:
    """B's portal address does not turn A's sign-in into B's: A's session cookie under B's cookie
    name is no sign-in there; A's API token still acts for A (and finds none of B's objects)."""
    citizen = iso.actors["session:citizen"]
    cookie = citizen.client.get_cookie(f"{iso.app.config['SESSION_COOKIE_NAME']}_{A}", path=f"/{A}")
    assert cookie is not None
    client = iso.app.test_client()
    client.set_cookie(f"{iso.app.config['SESSION_COOKIE_NAME']}_{B}", cookie.value, path=f"/{B}")
    mine = client.get(f"/{B}/meine-antraege/{iso.b('case')}")
    assert mine.status_code == 302 and "/anmelden" in mine.headers["Location"], mine.status_code
    owner = iso.actors["token:owner"]
    for path in (f"/api/v1/cases/{iso.b('case')}", f"/engine-rest/process-instance/{iso.b('case')}",
                 f"/engine-rest/task/{iso.b('task')}", f"/studio/vorgaenge/{iso.b('case')}"):
        got = owner.client.get(f"/{B}{path}", headers=owner.headers)
        assert got.status_code == 404, f"GET /{B}{path} with {A}'s token: {got.status_code}"
