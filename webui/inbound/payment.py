"""Payment outcomes (ePayBL callbacks) reach the waiting case as messages.

Convention of the process library (processes/bewohnerparkausweis, tests/processes): BOOKED ->
``zahlung_gebucht``, FAILED -> ``zahlung_fehlgeschlagen``, CANCELED -> ``zahlung_abgebrochen``,
with the data ``zahlung_status``, ``zahlung_betrag_cent`` and ``zahlung_transaktions_id``.
The correlation key is the business key of the case named in the notification's reference
(``fachverfahren_referenz`` = our case id, sent when the transaction was created); without a
known reference, the Kassenzeichen (the standard processes use the business key as Kassenzeichen).
``message_id`` = ``payment:<transaction>:<status>``: a repeated delivery changes nothing.
"""

from __future__ import annotations

from typing import Any

from connectors.payment import PaymentNotification
from engine.bootstrap import Engine
from engine.domain.errors import NotFound
from engine.services import messages, queries
from engine.services.messages import MessageOutcome

MESSAGE_NAMES = {"BOOKED": "zahlung_gebucht", "FAILED": "zahlung_fehlgeschlagen", "CANCELED": "zahlung_abgebrochen"}
ACTOR = "epaybl"


def correlation_key(engine: Engine, notification: PaymentNotification) -> str:
    return _target(engine, notification)[0]


def _target(engine: Engine, notification: PaymentNotification) -> tuple[str, str | None]:
    """(correlation key, our case id if the notification names a case of ours)."""
    if notification.referenz:
        try:
            view = queries.get_case(engine, str(notification.referenz), with_history=False)
        except NotFound:
            view = None
        if view is not None and view.get("business_key"):
            return str(view["business_key"]), str(view["id"])
    return notification.kassenzeichen, None


def message_data(notification: PaymentNotification) -> dict[str, Any]:
    return {"zahlung_status": notification.status, "zahlung_betrag_cent": notification.betrag_cent,
            "zahlung_transaktions_id": notification.transaktions_id}


def correlate_payment(engine: Engine, notification: PaymentNotification) -> MessageOutcome | None:
    """Deliver the outcome to its case; None for INITIAL (nothing happened yet)."""
    name = MESSAGE_NAMES.get(notification.status)
    if name is None:
        return None
    key, case_id = _target(engine, notification)
    return messages.correlate_message(engine, name, key, message_data(notification),
                                      message_id=notification.message_id, actor=ACTOR, to_case=case_id)
