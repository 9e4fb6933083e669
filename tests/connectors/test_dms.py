"""xdomea hand-over to the E-Akte simulator: message shape, package checks, deduplication."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import datetime, timezone
from typing import Callable

import pytest

from connectors import xdomea
from connectors.simulators.dms import read_package
from engine.ports import ConnectorError

from .conftest import Rig, WEB

PDF = b"%PDF-1.7 Bescheid \xe4\xf6\xfc"
PARAMS = {"aktenzeichen": "BPA-2026-000001", "betreff": "Bewohnerparkausweis Erika Mustermann",
          "aktenplan": "32.10.05", "leika": "99058015000000", "abgeschlossen_am": "2026-02-01",
          "dokumente": [{"titel": "Bescheid", "dateiname": "bescheid.pdf",
                         "inhalt_base64": base64.b64encode(PDF).decode()},
                        {"titel": "Antrag", "dateiname": "antrag.json",
                         "inhalt_base64": base64.b64encode(b"{}").decode()}]}


def test_hand_over_is_filed_with_its_documents(rig: Callable[[str], Rig]) -> None:
    r = rig("dms")
    result = r.call("hand_over_case", PARAMS).data
    filed = WEB.get(f"{r.url}/eakte/v1/vorgaenge/{result['dms_referenz']}",
                    headers={"Authorization": "Bearer dms"}).json()
    assert filed["kennzeichen"] == "BPA-2026-000001" and filed["aktenplan"] == "32.10.05"
    assert filed["vorgang_id"] == result["vorgang_id"] and filed["prozess_id"] == result["prozess_id"]
    sizes = sorted(d["bytes"] for d in filed["dokumente"].values())
    assert sizes == [2, len(PDF)] and result["dokumente"] == 2
    assert all(name.split("_", 1)[1] in ("bescheid.pdf", "antrag.json") for name in filed["dokumente"])


def test_new_attempt_of_the_same_case_is_the_same_vorgang(rig: Callable[[str], Rig]) -> None:
    r = rig("dms")
    first = r.call("hand_over_case", PARAMS, key="case-1:task-9:1").data
    second = r.call("hand_over_case", PARAMS, key="case-1:task-9:2").data
    assert first["vorgang_id"] == second["vorgang_id"] and first["prozess_id"] != second["prozess_id"]


def test_invalid_base64_is_a_model_error(rig: Callable[[str], Rig]) -> None:
    r = rig("dms")
    bad = dict(PARAMS, dokumente=[{"titel": "X", "dateiname": "x.pdf", "inhalt_base64": "kein base64!"}])
    with pytest.raises(ConnectorError, match="not valid base64"):
        r.call("hand_over_case", bad)
    assert r.actions() == {}


def _package(files: dict[str, bytes], prozess_id: str = "11111111-2222-4333-8444-555555555555") -> bytes:
    doc = xdomea.Document("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "Bescheid",
                          "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee_bescheid.pdf", "bescheid.pdf", "pdf", PDF)
    party = xdomea.Party("x", "X")
    message = xdomea.build_abgabe(prozess_id, datetime.now(timezone.utc), party, party, "v-1",
                                  {"aktenzeichen": "A", "betreff": "B", "aktenplan": "32.10"}, [doc])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{prozess_id}_Abgabe.Abgabe.0401.xml", message)
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_package_checks_of_the_records_system() -> None:
    ok = _package({"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee_bescheid.pdf": PDF})
    prozess_id, root, members = read_package(ok)
    assert prozess_id == "11111111-2222-4333-8444-555555555555" and len(members) == 1
    assert root.findtext("x:Kopf/x:Nachrichtentyp/x:code", namespaces={"x": xdomea.NS}) == "0401"
    with pytest.raises(xdomea.XdomeaError, match="missing"):
        read_package(_package({}))
    with pytest.raises(xdomea.XdomeaError, match="not referenced"):
        read_package(_package({"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee_bescheid.pdf": PDF, "extra.txt": b"x"}))
    with pytest.raises(xdomea.XdomeaError, match="not a ZIP"):
        read_package(b"PK nope")


def test_xml_with_doctype_is_refused() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(xdomea.XdomeaError, match="DOCTYPE"):
        xdomea.parse_xml(evil)


def test_import_confirmation_round_trip() -> None:
    party = xdomea.Party("eakte", "E-Akte")
    ack = xdomea.build_import_ack("p-1", datetime.now(timezone.utc), party, party, "v-1", False,
                                  "AKTENPLAN_UNBEKANNT: x")
    parsed = xdomea.parse_import_ack(ack)
    assert (parsed.prozess_id, parsed.objekt_id, parsed.erfolgreich, parsed.fehlermeldung) == \
        ("p-1", "v-1", False, "AKTENPLAN_UNBEKANNT: x")
