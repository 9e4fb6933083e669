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
from webui.api.callbacks import inbox_of
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
