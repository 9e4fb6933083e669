"""Discovery through the entry-point group, the CLI listing and the demo runner."""

from __future__ import annotations

import json
import sys
import types
from importlib.metadata import EntryPoint
from typing import Any, Iterator, Mapping

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from connectors import registry
from engine import plugins
from connectors.base import BaseConnector, obj, operation
from connectors.cli import commands, connectors_command
from connectors.registry import ConnectorLoadError, close_connectors, describe, load_connectors
from connectors.simulators import runner
from connectors.simulators import fitconnect as fit_sim
from engine.ports import ConnectorError, ServiceRequest

BUILTIN_NAMES = {"http", "mail", "documents", "melderegister", "kfz", "payment", "dms", "fitconnect"}


class Gewerbe(BaseConnector):
    name = "gewerbe"

    @operation("anzeigen", "Gewerbeanzeige weiterleiten", params=obj({"art": {"enum": ["an", "ab"]}}, ("art",)),
               result=obj({"ok": {"type": "boolean"}}, ("ok",)), errors=("ABGELEHNT",))
    def anzeigen(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        return {"ok": True}


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    module = types.ModuleType("amtsflow_gewerbe_plugin")
    module.create = lambda config: Gewerbe()                      # type: ignore[attr-defined]
    module.broken = lambda config: object()                       # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    eps = [EntryPoint("gewerbe", "amtsflow_gewerbe_plugin:create", registry.GROUP)]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps if group == registry.GROUP else [])
    yield
    eps.clear()


def test_builtins_load_without_configuration() -> None:
    connectors = load_connectors({})
    try:
        assert set(connectors) == BUILTIN_NAMES
        assert all(c.name == name for name, c in connectors.items())
    finally:
        close_connectors(connectors)


def test_every_operation_declares_valid_schemas() -> None:
    connectors = load_connectors({})
    try:
        rows = describe(connectors)
    finally:
        close_connectors(connectors)
    assert len(rows) >= 14
    for row in rows:
        Draft202012Validator.check_schema(row["params_schema"])
        Draft202012Validator.check_schema(row["result_schema"])
        assert row["description"] and row["operation"].startswith(row["connector"] + ".")
        assert all(code.isupper() for code in row["errors"] if code != "*")


def test_third_party_connector_via_entry_point(plugin: None) -> None:
    connectors = load_connectors({}, names=["gewerbe", "kfz"])
    assert set(connectors) == {"gewerbe", "kfz"}
    result = connectors["gewerbe"].call("anzeigen", ServiceRequest("gewerbe.anzeigen", {"art": "an"}, "k", "c"))
    assert result.data == {"ok": True}
    close_connectors(connectors)


def test_broken_factory_fails_loudly_or_is_skipped(plugin: None, monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [EntryPoint("gewerbe", "amtsflow_gewerbe_plugin:broken", registry.GROUP),
           EntryPoint("missing", "no_such_module_xyz:create", registry.GROUP)]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps)
    with pytest.raises(ConnectorLoadError, match="gewerbe"):
        load_connectors({}, names=["gewerbe"])
    with pytest.raises(ConnectorLoadError, match="cannot be imported"):
        load_connectors({}, names=["missing"])
    loaded = load_connectors({}, strict=False)
    assert set(loaded) == BUILTIN_NAMES
    close_connectors(loaded)


def test_cli_lists_operations_with_schemas(plugin: None) -> None:
    assert {c.name for c in commands} == {"connectors", "simulators"}
    text = CliRunner().invoke(connectors_command, [])
    assert text.exit_code == 0, text.output
    assert "melderegister.find_person(familienname*, vornamen, geburtsdatum*)" in text.output
    assert "BPMN-Fehler: PERSON_NICHT_GEFUNDEN" in text.output and "gewerbe.anzeigen(art*)" in text.output
    as_json = CliRunner().invoke(connectors_command, ["--json"])
    rows = {row["operation"]: row for row in json.loads(as_json.output)}
    assert rows["gewerbe.anzeigen"]["errors"] == ["ABGELEHNT"]
    assert rows["kfz.get_holder"]["params_schema"]["required"] == ["kennzeichen"]
    assert "x-bpmn-errors" not in rows["kfz.get_holder"]["result_schema"]


def test_demo_runner_wires_every_connector_to_its_simulator() -> None:
    urls = runner.start_all(seed=3)
    try:
        assert set(urls) == {"melderegister", "kfz", "payment", "dms", "rest", "fitconnect", "mail", "mailbox"}
        config = runner.connector_config(urls, payment_callback_url="http://127.0.0.1:9/payment/callback")
        connectors = load_connectors(config)
        call = lambda op, params: connectors[op.split(".")[0]].call(          # noqa: E731
            op.split(".")[1], ServiceRequest(op, params, f"demo:{op}", "case-demo"))
        try:
            assert call("melderegister.find_person", {"familienname": "Mustermann", "vornamen": "Max",
                                                      "geburtsdatum": "1962-03-01"}).data["person_id"] == "MS-0000002"
            assert call("kfz.get_holder", {"kennzeichen": "MS-AB 123"}).data["halter"]["vornamen"] == "Max"
            tx = call("payment.create_transaction", {"betrag_cent": 3050, "verwendungszweck": "Demo",
                                                     "kassenzeichen": "5.0100.000777.7"}).data
            assert tx["zahlungs_url"].startswith(urls["payment"])
            doc = call("documents.render", {"template": "bescheinigung_bewohnerparkausweis", "aktenzeichen": "BPA-1",
                                            "empfaenger": {"name": "Max Mustermann"},
                                            "variables": {"zone": "A", "kennzeichen": "MS-AB 123", "gueltig_ab":
                                                          "2026-01-05", "gueltig_bis": "2027-01-04",
                                                          "ausweisnummer": "A-0001"}}).data
            handed = call("dms.hand_over_case", {"aktenzeichen": "BPA-1", "betreff": "Demo", "aktenplan": "32.10.05",
                                                 "dokumente": [{"titel": "Ausweis", "dateiname": doc["filename"],
                                                                "inhalt_base64": doc["content_base64"]}]})
            assert handed.data["dms_referenz"].startswith("EA-")
            assert call("mail.send", {"template": "eingangsbestaetigung", "to": "max.mustermann@example.org",
                                      "variables": {"empfaenger_name": "Herr Mustermann", "leistung": "Demo",
                                                    "aktenzeichen": "BPA-1", "eingang": "05.01.2026",
                                                    "portal_url": "http://x"}}).bpmn_error is None
            assert call("http.request", {"method": "GET", "url": f"{urls['rest']}/api/v1/status",
                                         "credential": "fachverfahren"}).data["body"] == {"status": "ok"}
            runner.configure_fitconnect_callback(urls["fitconnect"], "http://127.0.0.1:9/fitconnect/callback")
            sid = fit_sim.send_submission(urls["fitconnect"], fit_sim.DEMO_DESTINATION, "urn:x", "Demo", "urn:s",
                                          {"a": 1})["submissionId"]
            assert call("fitconnect.accept_submission", {"submission_id": sid}).data["status"] == "accepted"
            assert runner.set_knobs(urls["kfz"], latency=0.0)["latency"] == 0.0
        finally:
            close_connectors(connectors)
    finally:
        runner.stop()


def test_a_connector_bug_becomes_a_technical_error() -> None:
    class Buggy(Gewerbe):
        def anzeigen(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
            raise KeyError("oops")

    with pytest.raises(ConnectorError, match="internal error: KeyError"):
        Buggy().call("gewerbe.anzeigen", ServiceRequest("gewerbe.anzeigen", {"art": "ab"}, "k", "c"))
    with pytest.raises(ConnectorError, match="no operation 'gibtsnicht'"):
        Gewerbe().call("gibtsnicht", ServiceRequest("gewerbe.gibtsnicht", {}, "k", "c"))
