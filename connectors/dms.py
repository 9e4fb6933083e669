"""``dms``: hand a closed case over to the records system (e-Akte), xdomea-shaped.

``hand_over_case`` builds an ``Abgabe.Abgabe.0401`` message plus the documents as a ZIP, posts it
to the records system and reads its ``Abgabe.ImportBestaetigen.0402`` answer. The ProzessID is
derived from the idempotency key and the document members of the ZIP are byte-stable, so the records
system recognises a retried hand-over (same ProzessID, same documents) and imports it once.

Configuration: ``dms_url``, ``dms_token`` (bearer), ``dms_timeout``, ``dms_sender_id`` and
``dms_sender_name`` (our Behördenkennung and name), ``dms_receiver_id`` and ``dms_receiver_name``.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any, Mapping

from connectors import xdomea
from connectors.base import BackOffice, BaseConnector, BusinessError, config_float, obj, operation
from engine.ports import ConnectorError, ServiceRequest

NAMESPACE = uuid.UUID("5b0f3c3e-9a51-4d0e-8f7c-3f1c7a0d2e11")
S = {"type": "string", "minLength": 1}
DOC = obj({"titel": S, "dateiname": {"type": "string", "pattern": r"^[^/\\]{1,120}\.[A-Za-z0-9]{1,8}$"},
           "inhalt_base64": {"type": "string", "minLength": 1, "contentEncoding": "base64"}},
          ("titel", "dateiname", "inhalt_base64"))
UNKNOWN_PLAN = "AKTENPLAN_UNBEKANNT"
REFUSED = "ABGABE_ABGELEHNT"
CODED = re.compile(r"^([A-Z][A-Z_]{2,60}):\s*(.*)$", re.S)


def _documents(case_id: str, docs: list[Mapping[str, Any]]) -> list[xdomea.Document]:
    result = []
    for index, doc in enumerate(docs):
        try:
            content = base64.b64decode(doc["inhalt_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ConnectorError(f"dms.hand_over_case: dokumente/{index}/inhalt_base64 is not valid base64 "
                                 "(invalid parameter from the process model)") from None
        original = PurePosixPath(doc["dateiname"]).name
        doc_id = str(uuid.uuid5(NAMESPACE, f"dokument:{case_id}:{index}:{original}"))
        result.append(xdomea.Document(doc_id, doc["titel"], f"{doc_id}_{original}", original,
                                      original.rsplit(".", 1)[1].lower(), content))
    return result


class DmsConnector(BaseConnector):
    name = "dms"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__()
        token = config.get("dms_token")
        self.sender = xdomea.Party(config.get("dms_sender_id", "musterstadt-buergeramt"),
                                   config.get("dms_sender_name", "Stadt Musterstadt, Bürgeramt"))
        self.receiver = xdomea.Party(config.get("dms_receiver_id", "musterstadt-eakte"),
                                     config.get("dms_receiver_name", "Stadt Musterstadt, E-Akte"))
        self.api = BackOffice(self.name, config.get("dms_url"), timeout=config_float(config, "dms_timeout", 30.0),
                              headers={"Authorization": f"Bearer {token}"} if token else None)

    def close(self) -> None:
        self.api.close()

    @operation("hand_over_case", "Abgeschlossenen Vorgang mit Dokumenten an die E-Akte abgeben (xdomea 0401)",
               params=obj({"aktenzeichen": S, "betreff": S,
                           "aktenplan": {"type": "string", "pattern": r"^\d+(\.\d+)*$"},
                           "leika": {"type": "string", "pattern": r"^\d{14}$"},
                           "abgeschlossen_am": {"type": "string", "format": "date"},
                           "dokumente": {"type": "array", "items": DOC, "minItems": 1, "maxItems": 200}},
                          ("aktenzeichen", "betreff", "aktenplan", "dokumente")),
               result=obj({"prozess_id": S, "vorgang_id": S, "dms_referenz": S,
                           "dokumente": {"type": "integer", "minimum": 1}},
                          ("prozess_id", "vorgang_id", "dms_referenz", "dokumente")),
               errors=(UNKNOWN_PLAN, REFUSED))
    def hand_over_case(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        prozess_id = str(uuid.uuid5(NAMESPACE, f"prozess:{request.idempotency_key}"))
        vorgang_id = str(uuid.uuid5(NAMESPACE, f"vorgang:{request.case_id}"))
        docs = _documents(request.case_id, params["dokumente"])
        case = {"aktenzeichen": params["aktenzeichen"], "betreff": params["betreff"],
                "aktenplan": params["aktenplan"], "leika": params.get("leika", ""),
                "ende": params.get("abgeschlossen_am", "")}
        message = xdomea.build_abgabe(prozess_id, datetime.now(timezone.utc), self.sender, self.receiver,
                                      vorgang_id, case, docs)
        package = xdomea.build_package(prozess_id, message, docs)
        disposition = f'attachment; filename="{xdomea.package_name(prozess_id)}.zip"'
        resp = self.api.send("POST", "/eakte/v1/abgaben", content=package, idempotency_key=request.idempotency_key,
                             headers={"Content-Type": "application/zip", "Content-Disposition": disposition})
        try:
            ack = xdomea.parse_import_ack(resp.content)
        except xdomea.XdomeaError as exc:
            raise ConnectorError(f"dms: malformed import confirmation from the records system: {exc}") from exc
        if ack.prozess_id != prozess_id or ack.objekt_id != vorgang_id:
            raise ConnectorError(f"dms: import confirmation is for another hand-over "
                                 f"(ProzessID {ack.prozess_id}, object {ack.objekt_id})")
        if not ack.erfolgreich:
            coded = CODED.match(ack.fehlermeldung)
            if coded and coded.group(1) == UNKNOWN_PLAN:
                raise BusinessError(UNKNOWN_PLAN, coded.group(2))
            raise BusinessError(REFUSED, ack.fehlermeldung or "Die E-Akte hat die Abgabe abgelehnt.")
        location = resp.headers.get("Location", "")
        return {"prozess_id": prozess_id, "vorgang_id": vorgang_id,
                "dms_referenz": location.rsplit("/", 1)[-1] or None, "dokumente": len(docs)}


def create(config: Mapping[str, str]) -> DmsConnector:
    return DmsConnector(config)
