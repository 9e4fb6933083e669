"""REST API (tokens, JSON errors, OpenAPI), studio uploads (report, ZIP safety, KPIs), OIDC configuration."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse

import pytest

from engine.domain.errors import ConfigurationError
from engine.services import identity, queries
from tests.web.conftest import csrf_token, login_as, make_app
from tests.web.helpers import MODELS, WEBANTRAG

START = {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1, "zustellung": "post", "einwilligung": True}


def _bearer(web_engine: Any, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.create_api_token(web_engine, username, 'test')[1]}"}


def test_api_flow_with_tokens(client, web_engine):
    owner, clerk, citizen = (_bearer(web_engine, u) for u in ("po", "sb1", "erika"))
    files = [(io.BytesIO((MODELS / n).read_bytes()), n) for n in WEBANTRAG]
    response = client.post("/api/v1/deployments", data={"files": files}, headers=owner,
                           content_type="multipart/form-data")
    assert response.status_code == 201 and response.json["processes"][0]["key"] == "webantrag"
    assert client.get("/api/v1/process-definitions", headers=clerk).json[0]["version"] == 1
    bad = client.post("/api/v1/cases", json={"key": "webantrag", "data": {"anzahl": "zwei"}}, headers=citizen)
    assert bad.status_code == 422 and "ganze Zahl" in bad.json["errors"]["anzahl"][0]
    assert bad.mimetype == "application/problem+json"
    case_id = client.post("/api/v1/cases", json={"key": "webantrag", "data": START}, headers=citizen).json["id"]
    [task] = client.get("/api/v1/tasks", headers=clerk).json
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=clerk).json["assignee"] == "sb1"
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=_bearer(web_engine, "sb2")).status_code == 409
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"entscheidung": "x"}},
                       headers=clerk).status_code == 422
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"entscheidung": "genehmigt"}},
                       headers=clerk)
    assert done.status_code == 200 and done.json["state"] == "completed"
    assert client.get(f"/api/v1/cases/{case_id}", headers=citizen).json["status"] == "completed"
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer falsch"}).status_code == 401
    assert client.post("/api/v1/deployments", headers=clerk).status_code == 403


def test_openapi_document_describes_every_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in doc["paths"][path], f"{method} {path} missing from openapi.json"


def _upload(client: Any, files: list[tuple[bytes, str]]) -> Any:
    login_as(client, "po")
    token = csrf_token(client, "/studio/")
    return client.post("/studio/bereitstellen", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": [(io.BytesIO(b), n) for b, n in files]})


def test_studio_deploys_a_zip_and_reports_versions(client, web_engine):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in WEBANTRAG:
            archive.writestr(f"webantrag/{name}", (MODELS / name).read_bytes())
    response = _upload(client, [(buffer.getvalue(), "webantrag.zip")])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "webantrag v1" in page and "neue Version" in page
    page = _upload(client, [(buffer.getvalue(), "webantrag.zip")]).get_data(as_text=True)
    assert "unverändert" in page
    assert "Antrag prüfen" in client.get("/studio/prozesse/webantrag").get_data(as_text=True)


@pytest.mark.parametrize("name,content,message", [
    ("broken.bpmn", (MODELS / "broken.bpmn").read_bytes(), "broken.bpmn:7: rechnen:"),
    ("notiz.txt", b"hallo", "not a BPMN, DMN"),
    ("kaputt.zip", b"PK\x03\x04kaputt", "not a valid ZIP archive"),
])
def test_studio_reports_problems_and_deploys_nothing(client, web_engine, name, content, message):
    response = _upload(client, [(content, name)])
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert "Nicht bereitgestellt" in response.get_data(as_text=True)
    assert queries.list_definitions(web_engine) == []


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("entries,message", [
    ([("../../etc/boese.bpmn", b"<x/>")], "unsafe path"),
    ([("bombe.bpmn", b"\0" * (30 * 1024 * 1024))], "zip bomb"),
    ([(f"f{i}.json", b"{}") for i in range(201)], "at most 200"),
])
def test_zip_bombs_and_path_traversal_are_refused(client, web_engine, entries, message):
    response = _upload(client, [(_zip(entries), "paket.zip")])
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert queries.list_definitions(web_engine) == []


def test_kpis_lead_time_and_deadline_breaches(client, web_engine, deployed, clock):
    from datetime import timedelta
    from engine.services import cases
    from engine.services import kpis
    for hours in (1, 2, 10):
        case_id = cases.start_case(web_engine, "webantrag", START, actor="erika")
        clock.advance(timedelta(hours=hours))
        [task] = queries.list_tasks(web_engine, case_id=case_id)
        cases.complete_task(web_engine, task["id"], {"entscheidung": "genehmigt"}, actor="sb1")
    lead = kpis.lead_times(web_engine)
    assert lead["count"] == 3 and lead["median"] == timedelta(hours=2) and lead["p90"] == timedelta(hours=10)
    assert kpis.cases_by_status(web_engine) == {"completed": 3}
    login_as(client, "po")
    html = client.get("/studio/").get_data(as_text=True)
    assert "2 Std." in html and "10 Std." in html


class _Provider(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_port}"
        body = json.dumps({"issuer": base, "authorization_endpoint": f"{base}/auth",
                           "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_oidc_is_configured_from_the_environment(web_engine, provider, monkeypatch):
    monkeypatch.setenv("AMTSFLOW_OIDC_ISSUER", provider)
    monkeypatch.setenv("AMTSFLOW_OIDC_CLIENT_ID", "amtsflow")
    monkeypatch.setenv("AMTSFLOW_OIDC_CLIENT_SECRET", "geheim")
    client = make_app(web_engine).test_client()
    assert "Mit BundID anmelden" in client.get("/anmelden/buerger").get_data(as_text=True)
    response = client.get("/anmelden/oidc")
    target = urlparse(response.headers["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider}/auth"
    assert query["client_id"] == ["amtsflow"] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    assert query["redirect_uri"] == ["http://localhost/anmelden/oidc/zurueck"]
    assert client.get("/anmelden/oidc/zurueck?state=falsch&code=x").status_code == 400


def test_oidc_needs_client_credentials(web_engine, monkeypatch):
    monkeypatch.setenv("AMTSFLOW_OIDC_ISSUER", "https://id.example")
    with pytest.raises(ConfigurationError, match="AMTSFLOW_OIDC_CLIENT_ID"):
        make_app(web_engine)
