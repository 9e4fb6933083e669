"""Authorisation matrix: every route x every role, allowed or refused."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine.bootstrap import Engine, bootstrap
from engine.ports import FakeClock
from engine.services import cases, queries
from engine.settings import Settings
from tests.web.conftest import csrf_token, login_as

ROLES = {"anon": None, "citizen": "erika", "clerk": "sb1", "clerk_kasse": "kasse1", "owner": "po", "admin": "admin"}
PUBLIC = {r: 200 for r in ROLES}
OK, LOGIN, NO, GONE, UNAUTH, SEE_OTHER = 200, 302, 403, 404, 401, 303


def only(role_status: dict[str, int], anon: int = LOGIN, default: int = NO) -> dict[str, int]:
    table = {r: default for r in ROLES}
    table["anon"] = anon
    table.update(role_status)
    return table


GET_MATRIX: list[tuple[str, dict[str, int]]] = [
    ("/", PUBLIC),
    ("/barrierefreiheit", PUBLIC),
    ("/impressum", PUBLIC),
    ("/anmelden", PUBLIC),
    ("/anmelden/buerger", PUBLIC),
    ("/leistungen/webantrag/antrag", only({"citizen": OK})),
    ("/meine-antraege", only({"citizen": OK})),
    ("/meine-antraege/{case}", only({"citizen": OK})),
    ("/meine-antraege/{case}/eingang", only({"citizen": OK})),
    ("/meine-antraege/{case}/dokumente/{doc}", only({"citizen": OK})),
    ("/inbox/", only({"clerk": OK, "clerk_kasse": OK, "owner": OK})),   # owners: tasks nobody else gets
    ("/inbox/aufgaben/{task}", only({"clerk": OK, "clerk_kasse": GONE, "owner": GONE})),
    ("/inbox/vorgaenge/{case}", only({"clerk": OK, "clerk_kasse": GONE, "owner": GONE})),
    ("/inbox/vorgaenge/{case}/diagramm.json", only({"clerk": OK, "clerk_kasse": GONE, "owner": GONE})),
    ("/inbox/vorgaenge/{case}/dokumente/{doc}", only({"clerk": OK, "clerk_kasse": GONE, "owner": GONE})),
    ("/studio/", only({"owner": OK})),
    ("/studio/prozesse/webantrag", only({"owner": OK})),
    ("/studio/definitionen/{definition}/diagramm.json", only({"owner": OK})),
    ("/admin/", only({"admin": OK})),
    ("/admin/benutzer/neu", only({"admin": OK})),
    ("/admin/benutzer/sb1", only({"admin": OK})),
    ("/api/v1/openapi.json", PUBLIC),
    ("/api/v1/process-definitions", only({r: OK for r in ROLES if r != "anon"}, anon=UNAUTH)),
    ("/api/v1/tasks", only({"clerk": OK, "clerk_kasse": OK, "owner": OK}, anon=UNAUTH)),
    ("/api/v1/cases/{case}", only({"citizen": OK, "clerk": OK}, anon=UNAUTH, default=GONE)),
    ("/pruefen", PUBLIC),
    ("/pruefen?code=ABCDEFGHJKLM-ABCD-EFGH-JKLM-NPQR", PUBLIC),
    ("/meine-antraege/{case}/zahlung", only({"citizen": OK})),
    ("/meine-antraege/{case}/bezahlen", only({"citizen": SEE_OTHER})),        # no payment open: back to the case
    ("/zahlung/zurueck?aktenzeichen=2026-TEST01", only({"citizen": SEE_OTHER})),
    ("/studio/stoerungen", only({"owner": OK, "admin": OK})),
    ("/studio/stoerungen/{incident}", only({"owner": OK, "admin": OK})),
    ("/studio/prozesse/webantrag/aenderungen", only({"owner": OK})),
    ("/studio/prozesse/webantrag/kennzahlen", only({"owner": OK})),
    ("/studio/prozesse/webantrag/kennzahlen?format=csv&figure=wochen", only({"owner": OK})),
    ("/api/v1/incidents", only({"owner": OK, "admin": OK}, anon=UNAUTH)),          # sessions; tokens below
    ("/api/v1/incidents/{incident}", only({"owner": OK, "admin": OK}, anon=UNAUTH)),
    ("/studio/vorgaenge", only({"owner": OK, "admin": OK})),
    ("/studio/vorgaenge.csv", only({"owner": OK, "admin": OK})),
    ("/studio/vorgaenge/{case}", only({"owner": OK, "admin": OK})),
    ("/api/v1/cases", only({"owner": OK, "admin": OK}, anon=UNAUTH)),
    ("/studio/prozesse/webantrag/migration", only({"owner": OK})),
    ("/studio/prozesse/webantrag/anpassungen", only({"owner": OK})),
    ("/health/live", PUBLIC),
    ("/metrics", only({"admin": OK}, anon=UNAUTH)),                                # operators only
    # tenants (issue 17): only the provider role, which none of these accounts has; branding is public
    ("/anbieter/", only({})),
    ("/anbieter/mandanten/neu", only({})),
    ("/anbieter/mandanten/default", only({})),
    ("/assets/mandant/stil.css", PUBLIC),
    ("/assets/mandant/logo", {r: GONE for r in ROLES}),
]

# POSTs with a valid CSRF token; the body is deliberately minimal (bad input has its own tests).
POST_MATRIX: list[tuple[str, dict[str, str], dict[str, int]]] = [
    ("/leistungen/webantrag/antrag", {}, only({"citizen": 400})),
    ("/meine-antraege/{case}/statuslink", {}, only({"citizen": OK})),
    ("/inbox/aufgaben/{task}/uebernehmen", {}, only({"clerk": 303, "clerk_kasse": GONE, "owner": GONE})),
    ("/inbox/aufgaben/{task}", {}, only({"clerk": 400, "clerk_kasse": GONE, "owner": GONE})),
    ("/inbox/vorgaenge/{case}/dokumente", {}, only({"clerk": 303, "clerk_kasse": GONE, "owner": GONE})),
    ("/inbox/vorgaenge/{case}/kommentare", {}, only({"clerk": 303, "clerk_kasse": GONE, "owner": GONE})),
    ("/studio/bereitstellen", {}, only({"owner": 400})),
    ("/studio/prozesse/webantrag/anpassungen", {}, only({"owner": SEE_OTHER})),      # no file: back with a note
    ("/studio/prozesse/webantrag/anpassungen/entscheidung.dmn/zurueckziehen", {}, only({"owner": GONE})),
    ("/admin/gruppen", {}, only({"admin": 400})),
    ("/admin/tokens", {}, only({"admin": 400})),
    ("/admin/benutzer/neu", {}, only({"admin": 400})),
    ("/pruefen", {}, {r: 400 for r in ROLES}),                                  # public; empty form: German error
    ("/studio/stoerungen/{incident}/wiederholen", {}, only({"owner": SEE_OTHER, "admin": SEE_OTHER})),
    ("/studio/stoerungen/{incident}/erledigt", {}, only({"owner": SEE_OTHER, "admin": SEE_OTHER})),
    ("/studio/vorgaenge/{case}/anhalten", {}, only({"owner": SEE_OTHER, "admin": SEE_OTHER})),  # no reason: refused
    ("/studio/vorgaenge/{case}/abbrechen", {}, only({"owner": SEE_OTHER, "admin": SEE_OTHER})),
    ("/studio/vorgaenge/{case}/daten", {}, only({"owner": SEE_OTHER, "admin": SEE_OTHER})),
    ("/api/v1/messages", {}, only({}, anon=UNAUTH)),                            # systems with a token only
    ("/api/v1/signals", {}, only({}, anon=UNAUTH)),
    ("/api/v1/incidents/{incident}/retry", {}, only({"owner": OK, "admin": OK}, anon=UNAUTH)),
    ("/api/v1/incidents/{incident}/resolve", {}, only({"owner": OK, "admin": OK}, anon=UNAUTH)),
    ("/api/v1/callbacks/payment", {}, {r: UNAUTH for r in ROLES}),             # signature, not session
    ("/api/v1/callbacks/fitconnect", {}, {r: UNAUTH for r in ROLES}),
    ("/anbieter/wechseln", {"tenant": "default"}, only({})),
    ("/anbieter/mandanten/neu", {"id": "x", "name": "X"}, only({})),
]

# API routes with a Bearer token of each role's account (how systems call; no CSRF, no session).
TOKEN_MATRIX: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("POST", "/api/v1/messages", {"name": "niemand_wartet", "key": "K-1"}, only({}, default=202) | {"citizen": NO}),
    ("POST", "/api/v1/signals", {"name": "niemand_wartet"}, only({}, default=OK) | {"citizen": NO}),
    ("GET", "/api/v1/incidents", None, only({}, default=OK) | {"citizen": NO}),
    ("GET", "/api/v1/incidents/{incident}", None, only({}, default=OK) | {"citizen": NO}),
    ("POST", "/api/v1/incidents/{incident}/retry", {}, only({}, default=OK) | {"citizen": NO}),
    ("POST", "/api/v1/incidents/{incident}/resolve", {}, only({}, default=OK) | {"citizen": NO}),
    ("POST", "/api/v1/callbacks/payment", {}, only({}, default=UNAUTH)),
]


@pytest.fixture(scope="module")
def world_template(web_template: tuple[Path, dict[str, str]],
                   tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The objects every row addresses (a case with its task and decision, a definition, an open
    incident), made once: each test works on its own copy of this database (writes included)."""
    from engine.services import documents
    from tests.web.conftest import deploy_webantrag, make_incident
    from tests.web.helpers import PDF
    path = tmp_path_factory.mktemp("matrix") / "world.sqlite"
    shutil.copy(web_template[0], path)
    eng = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=FakeClock())
    try:
        definition = deploy_webantrag(eng).processes[0].definition_id
        failed = make_incident(eng)
        case_id = cases.start_case(eng, "webantrag", {
            "name": "Erika Mustermann", "kennzeichen": "M-AB 1234", "anzahl": 1, "zustellung": "online",
            "einwilligung": True, "adresse": {"strasse": "Hauptstraße 1", "plz": "80331"}}, actor="erika",
            business_key="2026-TEST01")
        [task] = queries.list_tasks(eng, case_id=case_id)
        doc = documents.store(eng, "bescheid.pdf", PDF, uploaded_by="sb1", case_id=case_id, kind="decision")
    finally:
        eng.db.dispose()
    return path, {"case": case_id, "task": task["id"], "definition": definition, "doc": doc.id,
                  "incident": failed["incident"]}


@pytest.fixture
def web_engine(world_template: tuple[Path, dict[str, str]], tmp_path: Path, clock: FakeClock) -> Iterator[Engine]:
    """This module's engine: a copy of the world (overrides tests/web/conftest.py's empty one)."""
    from tests.fakes import FakeConnector
    path = tmp_path / "web.sqlite"
    shutil.copy(world_template[0], path)
    eng = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)
    connector = FakeConnector()
    connector.answer("lookup", {"found": True, "name": "Erika"})    # a retried incident succeeds
    eng.connectors["test"] = connector
    yield eng
    eng.db.dispose()


@pytest.fixture
def world(world_template: tuple[Path, dict[str, str]], web_engine: Engine) -> dict[str, str]:
    return world_template[1]


def _cases(matrix: list[Any]) -> list[Any]:
    return [pytest.param(row, role, id=f"{row[0]}-{role}") for row in matrix for role in ROLES]


@pytest.mark.parametrize("row,role", _cases(GET_MATRIX))
def test_get_matrix(client: Any, world: dict[str, str], row: tuple[str, dict[str, int]], role: str) -> None:
    path, expected = row
    login_as(client, ROLES[role])
    response = client.get(path.format(**world))
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]
    if expected[role] == LOGIN:
        assert "/anmelden" in response.headers["Location"]


@pytest.mark.parametrize("row,role", _cases(POST_MATRIX))
def test_post_matrix(client: Any, world: dict[str, str], row: tuple[str, dict[str, str], dict[str, int]],
                     role: str) -> None:
    path, body, expected = row
    login_as(client, ROLES[role])
    token = csrf_token(client, "/anmelden")
    response = client.post(path.format(**world), data={"csrf_token": token, **body})
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("row,role", [pytest.param(row, role, id=f"{row[0]} {row[1]}-{role}")
                                      for row in TOKEN_MATRIX for role in ROLES if role != "anon"])
def test_token_matrix(client: Any, web_engine: Any, world: dict[str, str],
                      row: tuple[str, str, dict[str, Any] | None, dict[str, int]], role: str) -> None:
    from engine.services import identity
    method, path, body, expected = row
    token = identity.create_api_token(web_engine, ROLES[role], "matrix")[1]
    response = client.open(path.format(**world), method=method, json=body,
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]


def test_a_refused_page_says_who_is_signed_in_and_where_to_go(client: Any, world: dict[str, str]) -> None:
    """A clerk who follows the portal's "Antrag stellen" and a citizen who opens the inbox learn
    as whom they are signed in, which role the page is for and the way to their own area."""
    login_as(client, "sb1")
    clerk = client.get("/leistungen/webantrag/antrag")
    page = clerk.get_data(as_text=True)
    assert clerk.status_code == 403
    assert "Diese Seite ist der Rolle Bürgerin/Bürger (citizen) vorbehalten." in page
    assert 'id="forbidden-citizen"' in page and 'href="/inbox/"' in page
    login_as(client, "erika")
    citizen = client.get("/inbox/")
    page = citizen.get_data(as_text=True)
    assert citizen.status_code == 403 and "Sachbearbeitung (clerk)" in page
    assert 'id="forbidden-citizen"' not in page and 'href="/meine-antraege"' in page


@pytest.mark.parametrize("path", ["/studio/stoerungen", "/studio/vorgaenge"])
def test_the_studio_pages_an_administrator_reaches_lead_back_to_the_administration(client: Any, world: dict[str, str],
                                                                                   path: str) -> None:
    login_as(client, "admin")                       # not a process owner: the studio's start page is refused
    page = client.get(path).get_data(as_text=True)
    assert "Zurück zur Verwaltung" in page and 'href="/studio/"' not in page
    assert client.get("/studio/").status_code == 403
    login_as(client, "po")
    assert 'href="/studio/"' in client.get(path).get_data(as_text=True)
