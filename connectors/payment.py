"""``payment``: ePayBL/XBezahldienste-shaped e-payment.

The back office registers a receivable (Kassenzeichen, amount in cents, purpose) and gets a
payment page URL to redirect the citizen to; the payment platform reports the outcome by a
signed callback (HMAC-SHA256 over ``"<timestamp>.<body>"``, headers ``X-ePayBL-Timestamp`` and
``X-ePayBL-Signature: sha256=<hex>``) and answers status queries. Statuses: INITIAL, BOOKED,
FAILED, CANCELED (the FIT-Connect paymentInformation statuses).

Configuration: ``payment_url``, ``payment_token`` (bearer), ``payment_timeout``,
``payment_callback_url`` (where the platform posts outcomes: our web endpoint),
``payment_callback_secret`` (shared secret for the callback signature),
``payment_mandant_<tenant>`` (the municipality's account on the platform, its ePayBL Mandant;
``-`` in the tenant id written as ``_``; default: the tenant id). A Kassenzeichen is unique
within one Mandant: the municipalities of one installation count their Aktenzeichen each from 1,
so every receivable names the Mandant of its case's municipality.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import quote

from connectors.base import BackOffice, BaseConnector, BusinessError, config_float, obj, operation
from connectors.signing import CallbackRefused, ReplayGuard, verify_signed
from engine.ports import ServiceRequest
from engine.tenancy import DEFAULT_TENANT

STATUSES = ["INITIAL", "BOOKED", "FAILED", "CANCELED"]
SIGNATURE_HEADER = "X-ePayBL-Signature"
TIMESTAMP_HEADER = "X-ePayBL-Timestamp"
S = {"type": "string", "minLength": 1}
TX_ID = {"type": "string", "pattern": r"^[A-Za-z0-9-]{8,64}$"}
KASSENZEICHEN = {"type": "string", "pattern": r"^[A-Z0-9][A-Z0-9./-]{3,34}$"}
TX = obj({"transaktions_id": TX_ID, "status": {"enum": STATUSES}, "kassenzeichen": KASSENZEICHEN,
          "betrag_cent": {"type": "integer", "minimum": 1}, "zahlungs_url": {"type": "string", "format": "uri"},
          "gebucht_am": {"type": ["string", "null"]}},
         ("transaktions_id", "status", "kassenzeichen", "betrag_cent"))

MANDANT_PREFIX = "payment_mandant_"
USED = "KASSENZEICHEN_BEREITS_VERWENDET"
AMOUNT = "BETRAG_UNZULAESSIG"
UNKNOWN = "TRANSAKTION_UNBEKANNT"
FAILED = "ZAHLUNG_FEHLGESCHLAGEN"
CANCELED = "ZAHLUNG_ABGEBROCHEN"
BOOKED = "BEREITS_GEBUCHT"


@dataclass(frozen=True)
class PaymentNotification:
    """A verified outcome from the payment platform; correlate it to the waiting case."""

    transaktions_id: str
    kassenzeichen: str
    status: str
    betrag_cent: int
    referenz: str | None          # our case id, sent when the transaction was created

    @property
    def message_id(self) -> str:
        """Deduplicates repeated deliveries of the same outcome."""
        return f"payment:{self.transaktions_id}:{self.status}"


def _tx(answer: Any) -> Any:
    if not isinstance(answer, Mapping):
        return answer
    return {k: answer.get(k) for k in ("transaktions_id", "status", "kassenzeichen", "betrag_cent",
                                       "zahlungs_url", "gebucht_am") if k in answer}


class PaymentConnector(BaseConnector):
    name = "payment"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__()
        token = config.get("payment_token")
        self.callback_url = config.get("payment_callback_url") or None
        self.mandants = {key[len(MANDANT_PREFIX):]: value.strip() for key, value in config.items()
                         if key.startswith(MANDANT_PREFIX) and value.strip()}
        self.api = BackOffice(self.name, config.get("payment_url"),
                              timeout=config_float(config, "payment_timeout", 10.0),
                              headers={"Authorization": f"Bearer {token}"} if token else None)

    def close(self) -> None:
        self.api.close()

    def mandant(self, tenant_id: str | None) -> str:
        """The platform account of the case's municipality (see the module's text)."""
        tenant = tenant_id or DEFAULT_TENANT
        return self.mandants.get(tenant.replace("-", "_"), tenant)

    @operation("create_transaction", "Zahlvorgang anlegen (Betrag in Cent, Verwendungszweck, Kassenzeichen); "
               "liefert die URL der Bezahlseite",
               params=obj({"betrag_cent": {"type": "integer", "minimum": 1, "maximum": 100_000_000},
                           "verwendungszweck": {"type": "string", "minLength": 1, "maxLength": 140},
                           "kassenzeichen": KASSENZEICHEN,
                           "rueckkehr_url": {"type": "string", "format": "uri", "pattern": "^https?://"}},
                          ("betrag_cent", "verwendungszweck", "kassenzeichen")),
               result=dict(TX, required=["transaktions_id", "status", "kassenzeichen", "betrag_cent",
                                         "zahlungs_url"]),
               errors=(USED, AMOUNT))
    def create_transaction(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        body = {"mandant": self.mandant(request.tenant_id),
                "kassenzeichen": params["kassenzeichen"], "betrag_cent": params["betrag_cent"], "waehrung": "EUR",
                "verwendungszweck": params["verwendungszweck"], "rueckkehr_url": params.get("rueckkehr_url"),
                "benachrichtigungs_url": self.callback_url, "fachverfahren_referenz": request.case_id}
        return _tx(self.api.json("POST", "/epaybl/v1/transaktionen", json=body,
                                 idempotency_key=request.idempotency_key))

    @operation("get_status", "Status eines Zahlvorgangs abfragen; mit fail_on_unpaid werden FAILED und "
               "CANCELED zu BPMN-Fehlern",
               params=obj({"transaktions_id": TX_ID, "fail_on_unpaid": {"type": "boolean"}}, ("transaktions_id",)),
               result=TX, errors=(UNKNOWN, FAILED, CANCELED))
    def get_status(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        tx = _tx(self.api.json("GET", f"/epaybl/v1/transaktionen/{quote(params['transaktions_id'])}"))
        if params.get("fail_on_unpaid") and isinstance(tx, Mapping):
            if tx.get("status") == "FAILED":
                raise BusinessError(FAILED, "Die Zahlung ist fehlgeschlagen.")
            if tx.get("status") == "CANCELED":
                raise BusinessError(CANCELED, "Die Zahlung wurde abgebrochen.")
        return tx

    @operation("cancel_transaction", "Offenen Zahlvorgang stornieren (z. B. bei Rücknahme des Antrags)",
               params=obj({"transaktions_id": TX_ID}, ("transaktions_id",)),
               result=TX, errors=(UNKNOWN, BOOKED))
    def cancel_transaction(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        return _tx(self.api.json("POST", f"/epaybl/v1/transaktionen/{quote(params['transaktions_id'])}/storno",
                                 idempotency_key=request.idempotency_key))


def verify_callback(headers: Mapping[str, str], body: bytes, secret: str, now: datetime | float,
                    replay_guard: ReplayGuard | None = None) -> PaymentNotification:
    """Authenticate a payment-platform callback and parse it; raises ``CallbackRefused``."""
    verify_signed(headers, body, secret, now, signature_header=SIGNATURE_HEADER, timestamp_header=TIMESTAMP_HEADER,
                  digest="sha256", prefix="sha256=", replay_guard=replay_guard)
    try:
        data = json.loads(body)
        status = str(data["status"])
        if status not in STATUSES:
            raise ValueError(status)
        return PaymentNotification(str(data["transaktions_id"]), str(data["kassenzeichen"]), status,
                                   int(data["betrag_cent"]), data.get("fachverfahren_referenz"))
    except (ValueError, KeyError, TypeError) as exc:
        raise CallbackRefused(f"callback body is not a payment notification: {exc}") from None


def create(config: Mapping[str, str]) -> PaymentConnector:
    return PaymentConnector(config)
