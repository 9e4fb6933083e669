"""FIT-Connect intake: callback authentication (tampered, replayed, stale refused) and the
submission flow through the simulated Zustelldienst (one case per submission, invalid ones rejected)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any, Callable

import pytest

from connectors.fitconnect import (NEW_SUBMISSIONS, SIGNATURE_HEADER, TIMESTAMP_HEADER, CallbackRefused,
                                   SubmissionRejected, build_metadata, parse_submission, verify_callback)
from connectors.fitconnect_client import FitConnectIntake, create_intake
from connectors.signing import ReplayCache, sign
from connectors.simulators import fitconnect as fit_sim
from connectors.simulators.runner import configure_fitconnect_callback

from .conftest import FIT_SECRET, Receiver, Rig, WEB

SCHEMA_URI = "urn:xoev-de:fim:formular:bewohnerparkausweis:1.0"
FORM = {"type": "object", "required": ["familienname", "kennzeichen"], "additionalProperties": False,
        "properties": {"familienname": {"type": "string", "minLength": 1},
                       "kennzeichen": {"type": "string", "pattern": "^MS-"}}}
LEIKA = "urn:de:fim:leika:leistung:99058015000000"
NOW = 1_767_600_000.0
BODY = json.dumps({"type": NEW_SUBMISSIONS, "submissionIds": ["3f0b8c2e-1111-4a2b-9c3d-123456789abc"]}).encode()


def signed(body: bytes = BODY, ts: float = NOW, secret: str = FIT_SECRET) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(int(ts)), SIGNATURE_HEADER: sign(secret, int(ts), body, "sha512")}


class TestCallbackAuthentication:
    def test_authentic_callback_passes(self) -> None:
        verify_callback(signed(), BODY, FIT_SECRET, NOW)

    def test_header_names_are_case_insensitive(self) -> None:
        headers = {k.upper(): v for k, v in signed().items()}
        verify_callback(headers, BODY, FIT_SECRET, NOW)

    def test_tampered_body_is_refused(self) -> None:
        tampered = BODY.replace(b"3f0b", b"3f0c")
        with pytest.raises(CallbackRefused, match="signature"):
            verify_callback(signed(), tampered, FIT_SECRET, NOW)

    def test_tampered_timestamp_is_refused(self) -> None:
        headers = dict(signed(), **{TIMESTAMP_HEADER: str(int(NOW) - 1)})
        with pytest.raises(CallbackRefused, match="signature"):
            verify_callback(headers, BODY, FIT_SECRET, NOW)

    def test_wrong_secret_is_refused(self) -> None:
        with pytest.raises(CallbackRefused, match="signature"):
            verify_callback(signed(secret="someone-else"), BODY, FIT_SECRET, NOW)

    def test_replayed_callback_is_refused_the_second_time(self) -> None:
        cache = ReplayCache(clock=lambda: NOW)
        headers = signed()
        verify_callback(headers, BODY, FIT_SECRET, NOW, replay_guard=cache)
        with pytest.raises(CallbackRefused, match="replay"):
            verify_callback(headers, BODY, FIT_SECRET, NOW + 10, replay_guard=cache)

    def test_same_body_with_a_new_timestamp_is_a_new_callback(self) -> None:
        cache = ReplayCache(clock=lambda: NOW)
        verify_callback(signed(), BODY, FIT_SECRET, NOW, replay_guard=cache)
        verify_callback(signed(ts=NOW + 1), BODY, FIT_SECRET, NOW + 1, replay_guard=cache)

    @pytest.mark.parametrize("age", [301, 3600, -301])
    def test_stale_or_future_callback_is_refused(self, age: int) -> None:
        with pytest.raises(CallbackRefused, match="stale"):
            verify_callback(signed(ts=NOW - age), BODY, FIT_SECRET, NOW)

    def test_callback_just_inside_five_minutes_passes(self) -> None:
        verify_callback(signed(ts=NOW - 299), BODY, FIT_SECRET, NOW)

    @pytest.mark.parametrize("headers", [{}, {TIMESTAMP_HEADER: str(int(NOW))}, {SIGNATURE_HEADER: "ab"},
                                         {TIMESTAMP_HEADER: "gestern", SIGNATURE_HEADER: "ab"}])
    def test_missing_or_broken_headers_are_refused(self, headers: dict[str, str]) -> None:
        with pytest.raises(CallbackRefused):
            verify_callback(headers, BODY, FIT_SECRET, NOW)

    def test_empty_secret_refuses_everything(self) -> None:
        with pytest.raises(CallbackRefused, match="secret"):
            verify_callback(signed(secret=""), BODY, "", NOW)


def _raw(data: dict[str, Any], attachments: list[tuple[str, str, str, bytes]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    raw = json.dumps(data).encode()
    return {"submissionId": "s-1", "caseId": "c-1", "destinationId": "d-1",
            "serviceType": {"name": "Bewohnerparkausweis", "identifier": LEIKA},
            "attachments": [a[0] for a in attachments], "metadata": build_metadata(raw, SCHEMA_URI, list(attachments)),
            "data": base64.b64encode(raw).decode()}


class TestParseSubmission:
    def schema_for(self, uri: str) -> dict[str, Any] | None:
        return FORM if uri == SCHEMA_URI else None

    def test_valid_submission(self) -> None:
        att = ("a-1", "nachweis.pdf", "application/pdf", b"%PDF-1.7")
        sub = parse_submission(_raw({"familienname": "Müller", "kennzeichen": "MS-AB 123"}, [att]),
                               {"a-1": b"%PDF-1.7"}, self.schema_for)
        assert sub.data["familienname"] == "Müller" and sub.leika == LEIKA
        assert sub.attachments[0].filename == "nachweis.pdf" and sub.attachments[0].content == b"%PDF-1.7"

    def test_data_hash_mismatch(self) -> None:
        raw = _raw({"familienname": "Müller", "kennzeichen": "MS-AB 123"})
        raw["data"] = base64.b64encode(b'{"familienname": "Meier", "kennzeichen": "MS-AB 123"}').decode()
        with pytest.raises(SubmissionRejected) as err:
            parse_submission(raw, {}, self.schema_for)
        assert err.value.problems[0].type == "hash-mismatch"

    def test_attachment_hash_mismatch_and_missing(self) -> None:
        atts = [("a-1", "x.pdf", "application/pdf", b"echt"), ("a-2", "y.pdf", "application/pdf", b"fehlt")]
        with pytest.raises(SubmissionRejected) as err:
            parse_submission(_raw({"familienname": "M", "kennzeichen": "MS-1"}, atts), {"a-1": b"falsch"},
                             self.schema_for)
        assert {p.type for p in err.value.problems} == {"hash-mismatch", "missing-attachments"}

    def test_schema_violation_and_unknown_schema(self) -> None:
        with pytest.raises(SubmissionRejected) as err:
            parse_submission(_raw({"familienname": "", "kennzeichen": "B-XY 1"}), {}, self.schema_for)
        assert [p.type for p in err.value.problems] == ["schema-violation", "schema-violation"]
        with pytest.raises(SubmissionRejected) as err:
            parse_submission(_raw({"familienname": "M", "kennzeichen": "MS-1"}), {}, lambda uri: None)
        assert err.value.problems[0].type == "unsupported-schema"


@pytest.fixture
def zustelldienst(rig: Callable[[str], Rig], receiver: Receiver) -> tuple[Rig, FitConnectIntake]:
    r = rig("fitconnect")
    configure_fitconnect_callback(r.url, receiver.url, FIT_SECRET)
    intake = create_intake({"fitconnect_url": r.url, "fitconnect_client_id": "amtsflow-receiver",
                            "fitconnect_client_secret": "receiver-secret",
                            "fitconnect_destination_id": fit_sim.DEMO_DESTINATION,
                            "fitconnect_callback_secret": FIT_SECRET}, lambda uri: FORM if uri == SCHEMA_URI else None)
    yield r, intake
    intake.client.close()


def _submit(r: Rig, data: dict[str, Any]) -> str:
    attachment = ("meldebescheinigung.pdf", "application/pdf", b"%PDF-1.7 Nachweis")
    return fit_sim.send_submission(r.url, fit_sim.DEMO_DESTINATION, LEIKA, "Bewohnerparkausweis", SCHEMA_URI, data,
                                   [attachment])["submissionId"]


def test_submission_delivered_twice_starts_one_case(zustelldienst: tuple[Rig, FitConnectIntake],
                                                    receiver: Receiver) -> None:
    r, intake = zustelldienst
    sid = _submit(r, {"familienname": "Mustermann", "kennzeichen": "MS-EM 1964"})
    headers, body = receiver.wait(1)[0]
    assert intake.handle_callback(headers, body) == [sid]
    with pytest.raises(CallbackRefused, match="replay"):
        intake.handle_callback(headers, body)                    # the very same callback again
    cases: dict[str, str] = {}

    def start(sub: Any) -> str:                                  # the engine's message start, idempotent per id
        return cases.setdefault(sub.submission_id, f"case-{len(cases) + 1}")

    assert intake.process(sid, start) == "case-1"
    # a second, freshly signed notification about the same submission (Zustelldienst retry)
    ts = str(int({k.lower(): v for k, v in headers.items()}[TIMESTAMP_HEADER]) + 1)
    again = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(FIT_SECRET, ts, body, "sha512")}
    for announced in intake.handle_callback(again, body):
        assert intake.process(announced, start) is None          # no longer waiting: already accepted
    assert cases == {sid: "case-1"}
    assert intake.pending() == []
    assert r.actions() == {"submission": 1, "accept": 1}


def test_invalid_submission_is_rejected_at_the_zustelldienst(zustelldienst: tuple[Rig, FitConnectIntake],
                                                             receiver: Receiver) -> None:
    r, intake = zustelldienst
    sid = _submit(r, {"familienname": "Mustermann", "kennzeichen": "B-XY 1"})
    receiver.wait(1)
    with pytest.raises(SubmissionRejected):
        intake.process(sid, lambda sub: pytest.fail("no case for an invalid submission"))
    assert r.actions()["reject"] == 1 and intake.pending() == []


def test_polling_finds_submissions_without_callback(zustelldienst: tuple[Rig, FitConnectIntake],
                                                    receiver: Receiver) -> None:
    r, intake = zustelldienst
    receiver.handler = lambda headers, body: 503                # our endpoint is down
    sid = _submit(r, {"familienname": "Mustermann", "kennzeichen": "MS-EM 1964"})
    receiver.wait(2)                                            # the Zustelldienst retried
    assert intake.pending() == [sid]
    sub = intake.fetch(sid)
    assert sub.attachments[0].content == b"%PDF-1.7 Nachweis" and sub.data["kennzeichen"] == "MS-EM 1964"


def test_callback_delivered_by_the_simulator_is_signed_correctly(zustelldienst: tuple[Rig, FitConnectIntake],
                                                                 receiver: Receiver) -> None:
    r, intake = zustelldienst
    _submit(r, {"familienname": "Mustermann", "kennzeichen": "MS-EM 1964"})
    headers, body = receiver.wait(1)[0]
    verify_callback(headers, body, FIT_SECRET, time.time())
    with pytest.raises(CallbackRefused):
        verify_callback(headers, body + b" ", FIT_SECRET, time.time())
    token = WEB.post(f"{r.url}/token", data={"grant_type": "client_credentials", "client_id": "portal-sender",
                                               "client_secret": "wrong"})
    assert token.status_code == 401
