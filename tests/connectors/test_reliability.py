"""Every HTTP connector against its simulator: success, business error, timeout, 5xx, downtime,
malformed answers, idempotency (same key -> the action runs once, also after a lost answer),
invalid parameters and an unreachable back office."""

from __future__ import annotations

import base64
import socket
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from connectors.simulators import fitconnect as fit_sim
from engine.ports import ConnectorError

from .conftest import SHORT_TIMEOUT, Rig

ERIKA = {"familienname": "Mustermann", "vornamen": "Erika", "geburtsdatum": "1964-08-12"}
MOVE = {"person_id": "MS-0000004", "einzugsdatum": "2026-01-15",
        "anschrift": {"strasse": "Marktplatz", "hausnummer": "8", "postleitzahl": "12345", "wohnort": "Musterstadt"}}
PDF = base64.b64encode(b"%PDF-1.7 Bescheid").decode()
HAND_OVER = {"aktenzeichen": "BPA-2026-000001", "betreff": "Bewohnerparkausweis Erika Mustermann",
             "aktenplan": "32.10.05", "dokumente": [{"titel": "Bescheid", "dateiname": "bescheid.pdf",
                                                     "inhalt_base64": PDF}]}
TX = {"betrag_cent": 3050, "verwendungszweck": "Bewohnerparkausweis Zone A", "kassenzeichen": "5.0100.000123.4"}


def _fit_submission(rig: Rig) -> dict[str, Any]:
    ids = fit_sim.send_submission(rig.url, fit_sim.DEMO_DESTINATION, "urn:de:fim:leika:leistung:99",
                                  "Bewohnerparkausweis", "urn:test:form", {"name": "Erika"})
    return {"submission_id": ids["submissionId"]}


@dataclass(frozen=True)
class Case:
    name: str
    success: tuple[str, Callable[[Rig], dict[str, Any]]]
    business: tuple[str, dict[str, Any], str]
    mutation: tuple[str, Callable[[Rig], dict[str, Any]], str]
    malformed: tuple[str, ...] = ("html", "json")
    invalid: tuple[str, dict[str, Any]] = ("", {})


CASES = [
    Case("melderegister", ("find_person", lambda r: ERIKA),
         ("find_person", dict(ERIKA, familienname="Niemand"), "PERSON_NICHT_GEFUNDEN"),
         ("register_move", lambda r: MOVE, "anmeldung"), invalid=("find_person", {"familienname": "X"})),
    Case("kfz", ("get_holder", lambda r: {"kennzeichen": "MS-AB 123"}),
         ("get_holder", {"kennzeichen": "MS-ZZ 9999"}, "FAHRZEUG_NICHT_GEFUNDEN"),
         ("get_holder", lambda r: {"kennzeichen": "MS-AB 123"}, "halterabfrage"),
         invalid=("get_holder", {"kennzeichen": "Kein Kennzeichen"})),
    Case("payment", ("create_transaction", lambda r: TX),
         ("get_status", {"transaktions_id": "00000000-0000-4000-8000-000000000000"}, "TRANSAKTION_UNBEKANNT"),
         ("create_transaction", lambda r: TX, "transaktion"), invalid=("create_transaction", dict(TX, betrag_cent=0))),
    Case("dms", ("hand_over_case", lambda r: HAND_OVER),
         ("hand_over_case", dict(HAND_OVER, aktenplan="99.99"), "AKTENPLAN_UNBEKANNT"),
         ("hand_over_case", lambda r: HAND_OVER, "abgabe"), invalid=("hand_over_case", dict(HAND_OVER, dokumente=[]))),
    Case("http", ("request", lambda r: {"method": "POST", "url": f"{r.url}/api/v1/antraege", "body": {"a": 1},
                                        "credential": "fv"}),
         ("request", {"method": "GET", "url": "{url}/api/v1/antraege/FV-999999", "credential": "fv",
                      "error_codes": {"404": "ANTRAG_UNBEKANNT"}}, "ANTRAG_UNBEKANNT"),
         ("request", lambda r: {"method": "POST", "url": f"{r.url}/api/v1/antraege", "body": {"a": 1},
                                "credential": "fv"}, "antrag"),
         malformed=("html",), invalid=("request", {"method": "TRACE", "url": "http://x"})),
    Case("fitconnect", ("accept_submission", _fit_submission),
         ("accept_submission", {"submission_id": "00000000-0000-4000-8000-000000000000"}, "EINREICHUNG_UNBEKANNT"),
         ("accept_submission", _fit_submission, "accept"), invalid=("accept_submission", {})),
]
IDS = [c.name for c in CASES]


def _params(params: dict[str, Any], rig: Rig) -> dict[str, Any]:
    return {k: (v.replace("{url}", rig.url) if isinstance(v, str) else v) for k, v in params.items()}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_success(rig: Callable[[str], Rig], case: Case) -> None:
    r = rig(case.name)
    result = r.call(case.success[0], case.success[1](r))
    assert result.bpmn_error is None and isinstance(result.data, dict)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_business_error_becomes_bpmn_error(rig: Callable[[str], Rig], case: Case) -> None:
    r = rig(case.name)
    op, params, code = case.business
    result = r.call(op, _params(params, r))
    assert result.bpmn_error == code and result.data is None and result.error_message


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_timeout_is_technical(rig: Callable[[str], Rig], case: Case) -> None:
    r = rig(case.name, timeout=SHORT_TIMEOUT)   # the one place a short client timeout is the point
    params = case.success[1](r)
    r.knobs(latency=1.5)
    with pytest.raises(ConnectorError, match="timed out"):
        r.call(case.success[0], params)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("knob,status", [({"error_rate": 1.0}, "500"), ({"down": True}, "503")])
def test_server_errors_are_technical(rig: Callable[[str], Rig], case: Case, knob: dict[str, Any], status: str) -> None:
    r = rig(case.name)
    params = case.success[1](r)
    r.knobs(**knob)
    with pytest.raises(ConnectorError, match=f"HTTP {status}"):
        r.call(case.success[0], params)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("mode", ["html", "json"])
def test_malformed_answers_are_technical(rig: Callable[[str], Rig], case: Case, mode: str) -> None:
    if mode not in case.malformed:
        pytest.skip("any JSON is a valid answer of a generic REST call")
    r = rig(case.name)
    params = case.success[1](r)
    r.knobs(malformed=mode)
    with pytest.raises(ConnectorError, match="malformed|expected JSON"):
        r.call(case.success[0], params)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_same_idempotency_key_acts_once(rig: Callable[[str], Rig], case: Case) -> None:
    r = rig(case.name)
    op, make, action = case.mutation
    params = make(r)
    first = r.call(op, params, key="case-1:task-7:1")
    second = r.call(op, params, key="case-1:task-7:1")
    assert first == second and first.bpmn_error is None
    if case.name != "kfz":                      # a read: nothing to deduplicate, counted per call
        assert r.actions()[action] == 1


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "kfz"], ids=[i for i in IDS if i != "kfz"])
def test_retry_after_lost_answer_acts_once(rig: Callable[[str], Rig], case: Case) -> None:
    """The back office acted but its answer was lost (502): the retry with the same key gets the
    original answer and the action is not repeated."""
    r = rig(case.name)
    op, make, action = case.mutation
    params = make(r)
    r.knobs(lost_response_rate=1.0)
    with pytest.raises(ConnectorError, match="HTTP 502"):
        r.call(op, params, key="case-1:task-8:1")
    r.knobs(lost_response_rate=0.0)
    assert r.call(op, params, key="case-1:task-8:1").bpmn_error is None
    assert r.actions()[action] == 1


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_invalid_parameters_are_refused_before_calling(rig: Callable[[str], Rig], case: Case) -> None:
    r = rig(case.name)
    with pytest.raises(ConnectorError, match="invalid parameters"):
        r.call(*case.invalid)
    assert r.actions() == {}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_unreachable_back_office_is_technical(rig: Callable[[str], Rig], case: Case) -> None:
    r = rig(case.name)
    params = case.success[1](r)
    r.server.stop()
    with socket.socket() as probe:                 # the port is closed now: connection refused
        assert probe.connect_ex(("127.0.0.1", r.server.server.server_port)) != 0
    with pytest.raises(ConnectorError, match="failed"):
        r.call(case.success[0], params)
