"""POST /api/v1/callbacks/fitconnect against the simulated Zustelldienst over real HTTP: each
submission starts one case (process chosen by LeiKa key), outside the request; tampered, stale and
replayed callbacks are refused; invalid submissions are rejected at the Zustelldienst; polling
finds submissions whose callback was missed."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

from connectors.base import http_client
from connectors.fitconnect import NEW_SUBMISSIONS, SIGNATURE_HEADER, TIMESTAMP_HEADER, Submission
from connectors.signing import sign
from connectors.simulators import fitconnect as fit_sim
from connectors.simulators.common import serve_in_thread
from connectors.simulators.runner import configure_fitconnect_callback
from engine.domain.errors import NotFound
from engine.persistence import tables as t
from engine.services import documents, queries
from engine.services.deploy import deploy, read_paths
from tests.web.conftest import make_app
from tests.web.helpers import MODELS, PDF
from webui.api.callbacks import inbox_of, inboxes_of
from webui.inbound.fitconnect import Route, leika_key, settings_from_env

SECRET = "test-fitconnect-callback-secret"
LEIKA = "urn:de:fim:leika:leistung:99058015000000"
SCHEMA_URI = "urn:xoev-de:fim:formular:bewohnerparkausweis:1.0"
URL = "/api/v1/callbacks/fitconnect"
VALID = {"familienname": "Mustermann", "kennzeichen": "MS-EM 1964"}


@pytest.fixture
def zustelldienst(web_engine: Any, clock: Any) -> Iterator[dict[str, Any]]:
    """Simulator + our app, both on 127.0.0.1; the engine's clock set to the wall clock (signatures)."""
    clock.advance(datetime.now(timezone.utc) - clock.now())
    deploy(web_engine, read_paths([str(MODELS / "fitantrag.bpmn"), str(MODELS / "fitantrag-start.schema.json")]),
           actor="po")
    sim = serve_in_thread(fit_sim.create_app())
    config = {"fitconnect_url": sim.url, "fitconnect_client_id": "amtsflow-receiver",
              "fitconnect_client_secret": "receiver-secret", "fitconnect_destination_id": fit_sim.DEMO_DESTINATION,
              "fitconnect_callback_secret": SECRET, "fitconnect_timeout": "5"}
    routes = {"99058015000000": Route("99058015000000", "fitantrag")}
    app = make_app(web_engine, connector_config=config,
                   AMTSFLOW_FITCONNECT={"routes": routes, "poll_seconds": 0, "retry_delays": (0.05,)})
    web = serve_in_thread(app)
    configure_fitconnect_callback(sim.url, web.url + URL, SECRET)
    yield {"sim": sim, "app": app, "web": web, "inbox": inbox_of(app)}
    inbox_of(app).stop()
    web.stop()
    sim.stop()


def submit(sim_url: str, data: dict[str, Any], attachments: Any = (("nachweis.pdf", "application/pdf", PDF),),
           leika: str = LEIKA) -> str:
    return fit_sim.send_submission(sim_url, fit_sim.DEMO_DESTINATION, leika, "Bewohnerparkausweis", SCHEMA_URI,
                                   data, attachments)["submissionId"]


def sim_json(url: str) -> Any:
    with http_client(timeout=5) as http:
        return http.get(url).json()


def wait_for_callbacks(sim_url: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60   # never reached when it works; a loaded machine is slow
    while time.monotonic() < deadline:
        delivered = sim_json(f"{sim_url}/_admin/callbacks")
        if len(delivered) >= count:
            return delivered  # type: ignore[no-any-return]
        time.sleep(0.02)
    raise AssertionError(f"expected {count} callback deliveries")


def cases_started(web_engine: Any) -> list[dict[str, Any]]:
    return queries.list_cases(web_engine, process_key="fitantrag")


def test_submission_starts_one_case_with_its_attachments(zustelldienst, web_engine):
    sid = submit(zustelldienst["sim"].url, VALID)
    [delivery] = wait_for_callbacks(zustelldienst["sim"].url, 1)
    assert delivery["answer"] == 200                               # answered at once, processed afterwards
    assert zustelldienst["inbox"].wait_idle()
    [case] = cases_started(web_engine)
    view = queries.get_case(web_engine, case["id"])
    assert view["data"] == VALID and view["started_by"] == "fitconnect" and view["business_key"].startswith("20")
    [doc] = documents.list_for_case(web_engine, case["id"])
    assert doc.filename == "nachweis.pdf" and doc.media_type == "application/pdf"
    assert [t["element_id"] for t in view["open_tasks"]] == ["pruefen"]
    assert sim_json(f"{zustelldienst['sim'].url}/_admin/stats")["actions"] == {"submission": 1, "accept": 1}
    with web_engine.db.connect() as conn:
        assert conn.execute(select(t.messages.c.delivered_case_id).where(
            t.messages.c.message_id == f"fitconnect:{sid}")).scalar() == case["id"]


def test_the_same_submission_twice_starts_one_case(zustelldienst, web_engine):
    sid = submit(zustelldienst["sim"].url, VALID)
    wait_for_callbacks(zustelldienst["sim"].url, 1)
    inbox = zustelldienst["inbox"]
    assert inbox.wait_idle()
    first = cases_started(web_engine)[0]["id"]
    assert inbox.process(sid) is None                              # no longer waiting at the Zustelldienst
    # a crash between the start and the accept: the same submission is started again
    again = inbox._start(Submission(sid, "c", fit_sim.DEMO_DESTINATION, LEIKA, "Bewohnerparkausweis", SCHEMA_URI,
                                    dict(VALID), []))
    assert again == first and len(cases_started(web_engine)) == 1


def test_invalid_submission_is_rejected_at_the_zustelldienst(zustelldienst, web_engine):
    submit(zustelldienst["sim"].url, {"familienname": "Mustermann", "kennzeichen": "B-XY 1"})
    wait_for_callbacks(zustelldienst["sim"].url, 1)
    assert zustelldienst["inbox"].wait_idle()
    assert cases_started(web_engine) == []
    assert sim_json(f"{zustelldienst['sim'].url}/_admin/stats")["actions"]["reject"] == 1


@pytest.mark.parametrize("leika,attachments", [
    ("urn:de:fim:leika:leistung:99999999999999", (("nachweis.pdf", "application/pdf", PDF),)),
    (LEIKA, (("programm.exe", "application/octet-stream", b"MZ\x90\x00" + b"\0" * 64),)),
])
def test_unmapped_service_or_forbidden_attachment_is_rejected(zustelldienst, web_engine, leika, attachments):
    submit(zustelldienst["sim"].url, VALID, attachments, leika=leika)
    wait_for_callbacks(zustelldienst["sim"].url, 1)
    assert zustelldienst["inbox"].wait_idle()
    assert cases_started(web_engine) == []
    assert sim_json(f"{zustelldienst['sim'].url}/_admin/stats")["actions"]["reject"] == 1


def _announce(sid: str, ts: float, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"type": NEW_SUBMISSIONS, "submissionIds": [sid]}).encode()
    return body, {"Content-Type": "application/json", TIMESTAMP_HEADER: str(int(ts)),
                  SIGNATURE_HEADER: sign(secret, int(ts), body, "sha512")}


@pytest.mark.parametrize("change", ["body", "secret", "stale", "unsigned", "not-a-notification"])
def test_tampered_stale_unsigned_callbacks_are_refused(zustelldienst, web_engine, clock, change):
    client = zustelldienst["app"].test_client()
    body, headers = _announce("3f0b8c2e-1111-4a2b-9c3d-123456789abc", clock.now().timestamp())
    if change == "body":
        body = body.replace(b"3f0b", b"3f0c")
    elif change == "secret":
        body, headers = _announce("3f0b8c2e-1111", clock.now().timestamp(), "falsches-geheimnis-123")
    elif change == "stale":
        body, headers = _announce("3f0b8c2e-1111", clock.now().timestamp() - 301)
    elif change == "unsigned":
        headers = {"Content-Type": "application/json"}
    else:
        body = b'{"type": "anders"}'
        headers = {**headers, SIGNATURE_HEADER: sign(SECRET, headers[TIMESTAMP_HEADER], body, "sha512")}
    answer = client.post(URL, data=body, headers=headers)
    assert answer.status_code == 401 and set(answer.json) == {"error"}


def test_replayed_callback_is_refused_also_by_another_web_process(zustelldienst, web_engine, clock):
    sid = submit(zustelldienst["sim"].url, VALID)
    wait_for_callbacks(zustelldienst["sim"].url, 1)
    assert zustelldienst["inbox"].wait_idle()
    body, headers = _announce(sid, clock.now().timestamp() - 30)   # a retry, signed anew by the Zustelldienst
    client = zustelldienst["app"].test_client()
    assert client.post(URL, data=body, headers=headers).json == {"status": "queued", "submissions": 1}
    assert client.post(URL, data=body, headers=headers).status_code == 401
    other = make_app(web_engine, connector_config=zustelldienst["app"].extensions["amtsflow_settings"].connector_config)
    assert other.test_client().post(URL, data=body, headers=headers).status_code == 401
    assert zustelldienst["inbox"].wait_idle()
    assert len(cases_started(web_engine)) == 1


def test_polling_picks_up_submissions_whose_callback_was_missed(zustelldienst, web_engine):
    configure_fitconnect_callback(zustelldienst["sim"].url, "http://127.0.0.1:9/unerreichbar", SECRET)
    submit(zustelldienst["sim"].url, VALID)
    submit(zustelldienst["sim"].url, dict(VALID, familienname="Musterfrau"))
    inbox = zustelldienst["inbox"]
    assert inbox.poll_once() == 2
    assert inbox.wait_idle()
    assert sorted(queries.get_case(web_engine, c["id"])["data"]["familienname"] for c in cases_started(web_engine)) \
        == ["Musterfrau", "Mustermann"]
    assert inbox.poll_once() == 0


def test_a_process_not_yet_deployed_keeps_the_submission_waiting(web_engine, clock):
    clock.advance(datetime.now(timezone.utc) - clock.now())
    sim = serve_in_thread(fit_sim.create_app())
    try:
        config = {"fitconnect_url": sim.url, "fitconnect_client_id": "amtsflow-receiver",
                  "fitconnect_client_secret": "receiver-secret",
                  "fitconnect_destination_id": fit_sim.DEMO_DESTINATION, "fitconnect_callback_secret": SECRET}
        settings = settings_from_env({"AMTSFLOW_FITCONNECT_LEIKA_99058015000000": "fitantrag",
                                      "AMTSFLOW_FITCONNECT_SCHEMA_99058015000000": SCHEMA_URI})
        app = make_app(web_engine, connector_config=config, AMTSFLOW_FITCONNECT={**settings, "retry_delays": ()})
        inbox = inbox_of(app)
        configure_fitconnect_callback(sim.url, "http://127.0.0.1:9/unerreichbar", SECRET)
        sid = submit(sim.url, VALID)
        with pytest.raises(NotFound, match="not deployed"):
            inbox.process(sid)
        assert inbox.intake.pending() == [sid]                     # still waiting: nothing lost
        deploy(web_engine, read_paths([str(MODELS / "fitantrag.bpmn"), str(MODELS / "fitantrag-start.schema.json")]),
               actor="po")
        assert inbox.process(sid) is not None and inbox.intake.pending() == []
        inbox.stop()
    finally:
        sim.stop()


def test_leika_configuration_from_the_environment():
    settings = settings_from_env({"AMTSFLOW_FITCONNECT_LEIKA_99058015000000": "bewohnerparkausweis",
                                  "AMTSFLOW_FITCONNECT_SCHEMA_99058015000000": SCHEMA_URI,
                                  "AMTSFLOW_FITCONNECT_LEIKA_99102013000000": " hundesteuer ",
                                  "AMTSFLOW_FITCONNECT_POLL_SECONDS": "60", "AMTSFLOW_OTHER": "x"})
    assert settings["routes"] == {"99058015000000": Route("99058015000000", "bewohnerparkausweis", SCHEMA_URI),
                                  "99102013000000": Route("99102013000000", "hundesteuer", None)}
    assert settings["poll_seconds"] == 60.0
    assert settings["tenant"] == "default"
    assert settings_from_env({"AMTSFLOW_FITCONNECT_TENANT": "musterstadt"})["tenant"] == "musterstadt"
    assert leika_key(LEIKA) == "99058015000000"


def test_callbacks_need_no_csrf_token_and_no_session(zustelldienst, web_engine):
    with web_engine.db.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.messages)).scalar()
    answer = zustelldienst["app"].test_client().post(URL, data=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status_code == 401 and "Set-Cookie" not in answer.headers
    with web_engine.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.messages)).scalar() == before


MS_DESTINATION = "5a1d6f0e-0c3b-4d7e-8e55-2b9f1c0d4e61"
MS_SECRET = "musterstadt-fitconnect-callback-secret"


def _register_callback(sim_url: str, destination: str, callback_url: str, secret: str) -> None:
    with http_client(base_url=sim_url, timeout=10) as http:
        token = http.post("/token", data={"grant_type": "client_credentials", "client_id": "musterstadt-empfang",
                                          "client_secret": "musterstadt-client-secret"}).json()["access_token"]
        http.put(f"/v1/destinations/{destination}/callback", json={"url": callback_url, "secret": secret},
                 headers={"Authorization": f"Bearer {token}"}).raise_for_status()


@pytest.fixture
def two_destinations(web_engine: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """One Zustelldienst, two Zustellpunkte: the installation's (default tenant) and Musterstadt's,
    whose destination, client and callback secret are the tenant's own connector settings."""
    from engine.services import tenants
    from engine.tenancy import tenant_scope

    clock.advance(datetime.now(timezone.utc) - clock.now())
    monkeypatch.setenv("TEST_MS_FIT_DEST", MS_DESTINATION)
    monkeypatch.setenv("TEST_MS_FIT_CLIENT", "musterstadt-empfang")
    monkeypatch.setenv("TEST_MS_FIT_CLIENT_SECRET", "musterstadt-client-secret")
    monkeypatch.setenv("TEST_MS_FIT_CALLBACK", MS_SECRET)
    tenants.add_tenant(web_engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt", connectors={
        "fitconnect": {"secrets": {"destination_id": "TEST_MS_FIT_DEST", "client_id": "TEST_MS_FIT_CLIENT",
                                   "client_secret": "TEST_MS_FIT_CLIENT_SECRET", "callback_secret": "TEST_MS_FIT_CALLBACK"}}})
    files = read_paths([str(MODELS / "fitantrag.bpmn"), str(MODELS / "fitantrag-start.schema.json")])
    deploy(web_engine, files, actor="po")
    with tenant_scope("musterstadt"):
        deploy(web_engine, files, actor="po")
    sim = serve_in_thread(fit_sim.create_app(
        clients={**fit_sim.DEMO_CLIENTS, "musterstadt-empfang": "musterstadt-client-secret"},
        destinations={fit_sim.DEMO_DESTINATION: {}, MS_DESTINATION: {}}))
    config = {"fitconnect_url": sim.url, "fitconnect_client_id": "amtsflow-receiver",
              "fitconnect_client_secret": "receiver-secret", "fitconnect_destination_id": fit_sim.DEMO_DESTINATION,
              "fitconnect_callback_secret": SECRET, "fitconnect_timeout": "5"}
    app = make_app(web_engine, connector_config=config, AMTSFLOW_FITCONNECT={
        "routes": {"99058015000000": Route("99058015000000", "fitantrag")}, "poll_seconds": 0, "retry_delays": (0.05,)})
    web = serve_in_thread(app)
    configure_fitconnect_callback(sim.url, web.url + URL, SECRET)
    _register_callback(sim.url, MS_DESTINATION, web.url + "/musterstadt" + URL, MS_SECRET)
    yield {"sim": sim, "app": app, "web": web}
    inboxes_of(app).stop()
    web.stop()
    sim.stop()


def _cases_of(web_engine: Any, tenant: str) -> list[dict[str, Any]]:
    from engine.tenancy import tenant_scope

    with tenant_scope(tenant):
        return [queries.get_case(web_engine, c["id"]) for c in cases_started(web_engine)]


def test_a_municipality_with_its_own_destination_gets_its_submissions(two_destinations, web_engine):
    """Musterstadt's submissions arrive at its address, are checked with its callback secret,
    fetched from its destination and start cases in Musterstadt; the installation's go on to
    the default tenant (before, every tenant's callbacks were checked with the installation's
    secret and fetched from its destination)."""
    sim = two_destinations["sim"].url
    fit_sim.send_submission(sim, MS_DESTINATION, LEIKA, "Bewohnerparkausweis", SCHEMA_URI,
                            dict(VALID, familienname="Musterstädterin"), [])
    submit(sim, VALID)
    deliveries = wait_for_callbacks(sim, 2)
    assert sorted(d["answer"] for d in deliveries) == [200, 200], deliveries
    app = two_destinations["app"]
    for inbox in inboxes_of(app).inboxes():
        assert inbox.wait_idle()
    assert [c["data"]["familienname"] for c in _cases_of(web_engine, "musterstadt")] == ["Musterstädterin"]
    assert [c["data"]["familienname"] for c in _cases_of(web_engine, "default")] == ["Mustermann"]
    assert inbox_of(app, "musterstadt") is not inbox_of(app) and inbox_of(app, "default") is inbox_of(app)
    assert inbox_of(app, "musterstadt").intake.destination_id == MS_DESTINATION


def test_a_municipality_s_callback_needs_its_own_secret(two_destinations, web_engine):
    body = json.dumps({"type": NEW_SUBMISSIONS, "submissionIds": ["x"]}).encode()
    stamp = str(int(time.time()))
    client = two_destinations["app"].test_client()
    for secret, path, status in ((SECRET, "/musterstadt" + URL, 401), (MS_SECRET, URL, 401),
                                 (MS_SECRET, "/musterstadt" + URL, 200)):
        answer = client.post(path, data=body, headers={
            "Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(secret, stamp, body)})
        assert answer.status_code == status, (secret, path, answer.get_data(as_text=True))


def test_a_municipality_s_unset_secret_refuses_its_callbacks(two_destinations, monkeypatch):
    """Its settings name an environment variable this process lacks: refused (nothing to check
    the signature with), not checked with the installation's secret."""
    monkeypatch.delenv("TEST_MS_FIT_CALLBACK")
    body = json.dumps({"type": NEW_SUBMISSIONS, "submissionIds": ["x"]}).encode()
    stamp = str(int(time.time()))
    for secret in (MS_SECRET, SECRET):
        answer = two_destinations["app"].test_client().post("/musterstadt" + URL, data=body, headers={
            "Content-Type": "application/json", TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body)})
        assert answer.status_code == 401


def test_polling_covers_every_municipality_s_destination(two_destinations, web_engine):
    sim = two_destinations["sim"].url
    configure_fitconnect_callback(sim, "http://127.0.0.1:9/unerreichbar", SECRET)
    _register_callback(sim, MS_DESTINATION, "http://127.0.0.1:9/unerreichbar", MS_SECRET)
    fit_sim.send_submission(sim, MS_DESTINATION, LEIKA, "Bewohnerparkausweis", SCHEMA_URI, VALID, [])
    app = two_destinations["app"]
    app.config["AMTSFLOW_FITCONNECT"]["poll_seconds"] = 0.05
    inboxes = inboxes_of(app)
    inboxes.settings["poll_seconds"] = 0.05
    inboxes.poll_all()
    deadline = time.monotonic() + 30
    while not _cases_of(web_engine, "musterstadt") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [c["data"]["familienname"] for c in _cases_of(web_engine, "musterstadt")] == ["Mustermann"]
    assert _cases_of(web_engine, "default") == []
