"""Simulator of the records system (E-Akte) of Musterstadt, receiving xdomea hand-overs.

    POST /eakte/v1/abgaben   application/zip with an Abgabe.Abgabe.0401 package (Idempotency-Key)
         -> 201 Abgabe.ImportBestaetigen.0402 (Location: /eakte/v1/vorgaenge/<reference>);
            a package that is not a valid 0401 package -> 400 problem;
            an unknown Aktenplan entry -> 0402 with Erfolgreich=false "AKTENPLAN_UNBEKANNT: ..."
    GET  /eakte/v1/vorgaenge/<reference>  -> what was filed

A package with a ProzessID that was imported before is not imported again (the 0402 is repeated).
Run on its own: ``python -m connectors.simulators.dms --port 8104``.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, request

from connectors import xdomea
from connectors.simulators.common import (Knobs, Simulator, as_json, cli_args, idempotent, knobs_from, make_app,
                                          problem, run_forever)

FILE_PLAN = {"32.10": "Straßenverkehr", "32.10.05": "Bewohnerparken", "33.20": "Meldewesen",
             "33.20.01": "An-, Ab- und Ummeldungen", "22.30": "Hundesteuer", "32.40": "Gewerbeangelegenheiten"}
EAKTE = xdomea.Party("musterstadt-eakte", "Stadt Musterstadt, E-Akte")
UUID_NAME = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_")
MAX_PACKAGE = 50 * 1024 * 1024


def _package_fingerprint() -> str:
    """Idempotency fingerprint: the document members (the message carries a fresh timestamp)."""
    try:
        with zipfile.ZipFile(io.BytesIO(request.get_data())) as zf:
            parts = sorted(f"{i.filename}:{i.CRC}:{i.file_size}" for i in zf.infolist()
                           if not i.filename.endswith(".xml"))
    except zipfile.BadZipFile:
        return hashlib.sha256(request.get_data()).hexdigest()
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def read_package(data: bytes) -> tuple[str, Any, dict[str, bytes]]:
    """Validate a 0401 package; return (ProzessID, message root, documents by file name)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise xdomea.XdomeaError("the body is not a ZIP archive") from None
    with zf:
        if sum(i.file_size for i in zf.infolist()) > MAX_PACKAGE:
            raise xdomea.XdomeaError("package too large")
        members = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    messages = [n for n in members if n.endswith(f"_{xdomea.MSG_ABGABE}.xml")]
    if len(messages) != 1:
        raise xdomea.XdomeaError(f"expected exactly one *_{xdomea.MSG_ABGABE}.xml, found {len(messages)}")
    root = xdomea.parse_xml(members.pop(messages[0]))
    if root.tag != xdomea.q(xdomea.MSG_ABGABE):
        raise xdomea.XdomeaError(f"root element must be {xdomea.MSG_ABGABE} in namespace {xdomea.NS}")
    prozess_id = xdomea.text(root, "x:Kopf/x:ProzessID")
    if messages[0] != f"{xdomea.package_name(prozess_id)}.xml":
        raise xdomea.XdomeaError("message file name does not match the ProzessID")
    if xdomea.text(root, "x:Kopf/x:Nachrichtentyp/x:code") != "0401":
        raise xdomea.XdomeaError("Nachrichtentyp must be 0401")
    names = [n.strip() for n in root.xpath("//x:Primaerdokument/x:Dateiname/text()", namespaces={"x": xdomea.NS})]
    for name in names:
        if not UUID_NAME.match(name):
            raise xdomea.XdomeaError(f"file name {name!r} does not start with a UUID")
        if not members.get(name):
            raise xdomea.XdomeaError(f"document {name!r} is referenced but missing or empty in the package")
    extra = set(members) - set(names)
    if extra:
        raise xdomea.XdomeaError(f"files not referenced by the message: {', '.join(sorted(extra))}")
    return prozess_id, root, members


def create_app(seed: int = 1, knobs: Knobs | None = None, token: str | None = None) -> Flask:
    state = Simulator("dms", seed=seed, knobs=knobs or Knobs(), token=token)
    app = make_app(state)
    filed: dict[str, dict[str, Any]] = {}          # reference -> filed Vorgang
    by_process: dict[str, tuple[str, bytes]] = {}  # ProzessID -> (reference, 0402)

    @app.post("/eakte/v1/abgaben")
    @idempotent(_package_fingerprint)
    def hand_over() -> Response:
        try:
            prozess_id, root, members = read_package(request.get_data())
            vorgang_id = xdomea.text(root, "x:Schriftgutobjekt/x:Vorgang/x:Identifikation/x:ID")
            plan = xdomea.text(root, "x:Schriftgutobjekt/x:Vorgang/x:Aktenplaneinheit/x:Kennzeichen")
            sender = xdomea.Party(xdomea.text(root, "x:Kopf/x:Absender/x:Behoerdenkennung/x:Kennung/x:code"),
                                  xdomea.text(root, "x:Kopf/x:Absender/x:Institution/x:Name"))
        except xdomea.XdomeaError as exc:
            return problem(400, "Ungültige xdomea-Abgabe", str(exc))
        now = datetime.now(timezone.utc)
        with state.lock:
            if prozess_id in by_process:
                reference, ack = by_process[prozess_id]
                return _ack_response(ack, reference)
            if plan not in FILE_PLAN:
                ack = xdomea.build_import_ack(prozess_id, now, EAKTE, sender, vorgang_id, False,
                                              f"AKTENPLAN_UNBEKANNT: Das Aktenplankennzeichen {plan} ist im "
                                              "Aktenplan der Stadt Musterstadt nicht vorhanden.")
                return Response(ack, status=200, content_type="application/xml; charset=utf-8")
            reference = f"EA-{now.year}-{len(filed) + 1:05d}"
            filed[reference] = {
                "referenz": reference, "prozess_id": prozess_id, "vorgang_id": vorgang_id, "aktenplan": plan,
                "betreff": xdomea.text(root, "x:Schriftgutobjekt/x:Vorgang/x:AllgemeineMetadaten/x:Betreff"),
                "kennzeichen": xdomea.text(root, "x:Schriftgutobjekt/x:Vorgang/x:AllgemeineMetadaten/x:Kennzeichen"),
                "dokumente": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                              for name, data in members.items()}}
            ack = xdomea.build_import_ack(prozess_id, now, EAKTE, sender, vorgang_id, True)
            by_process[prozess_id] = (reference, ack)
            state.count("abgabe")
            return _ack_response(ack, reference)

    @app.get("/eakte/v1/vorgaenge/<reference>")
    def show(reference: str) -> Response:
        with state.lock:
            found = filed.get(reference)
            return as_json(found) if found else problem(404, "Vorgang unbekannt", reference)

    return app


def _ack_response(ack: bytes, reference: str) -> Response:
    resp = Response(ack, status=201, content_type="application/xml; charset=utf-8")
    resp.headers["Location"] = f"/eakte/v1/vorgaenge/{reference}"
    return resp


def main() -> None:
    args = cli_args("Musterstadt records system (E-Akte) simulator, xdomea hand-over")
    run_forever(create_app(args.seed, knobs_from(args), args.token), args)


if __name__ == "__main__":
    main()
