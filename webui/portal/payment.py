"""Portal: paying a fee online (redirect to the payment platform) and coming back.

A process that charges a fee creates the transaction with the ``payment.create_transaction``
connector and keeps the answer in the case data (the standard processes: ``zahlung`` with
``zahlungs_url``, ``kassenzeichen``, ``betrag_cent``). The outcome arrives by the signed callback
(/api/v1/callbacks/payment) as a message that sets ``zahlung_status``; the parking permit also sets
``bezahlt``. The return page only reads the case: the query string the platform appends is not
trusted, it only tells whether to wait for the callback. The page waits a few seconds for the
booking (AMTSFLOW_PAYMENT_WAIT_SECONDS), and if the booking is still missing it says "being
booked" and asks /zahlung/stand.json until the status changes, then shows it (js/payment-wait.js).

A model that wants the citizen back passes ``rueckkehr_url`` = ``<portal>/zahlung/zurueck?aktenzeichen=<business
key>`` to ``create_transaction`` (it knows its business key, not the case id); that address finds the
signed-in citizen's case and shows its return page.
"""

from __future__ import annotations

import time
from typing import Any, Mapping

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.services import queries
from webui import casework
from webui.auth import engine, require_roles
from webui.portal.blueprint import bp, signed_in_user

N_ = str                                          # marks text for the catalogue; translated when shown
LABELS = {"INITIAL": N_("noch nicht bezahlt"), "BOOKED": N_("bezahlt"), "FAILED": N_("Zahlung fehlgeschlagen"),
          "CANCELED": N_("Zahlung abgebrochen")}
URL_KEYS = ("zahlungs_url", "redirect_url")


def euro(cents: Any) -> str:
    if not isinstance(cents, int) or isinstance(cents, bool):
        return "–"
    whole, rest = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{rest:02d} €"


def payment_of(view: Mapping[str, Any]) -> dict[str, Any] | None:
    """The case's online payment as the citizen should see it, or None without one."""
    data = view.get("data") or {}
    transaction = data.get("zahlung")
    if not isinstance(transaction, Mapping):
        return None
    url = next((transaction[k] for k in URL_KEYS if isinstance(transaction.get(k), str)), None)
    if url is not None and not url.startswith(("https://", "http://")):
        url = None
    status = data.get("zahlung_status") or ("BOOKED" if data.get("bezahlt") is True else None) \
        or transaction.get("status") or "INITIAL"
    status = status if status in LABELS else "INITIAL"
    running = view.get("status") in ("running", "waiting") and not view.get("ended_at")
    return {"status": status, "label": _(LABELS[status]), "amount": euro(transaction.get("betrag_cent")),
            "kassenzeichen": transaction.get("kassenzeichen") or "–", "url": url,
            "open": status == "INITIAL" and url is not None and running}


@bp.get("/meine-antraege/<case_id>/bezahlen")
@require_roles("citizen")
def pay(case_id: str) -> Any:
    """Redirect to the payment platform's page for this case's open payment."""
    payment = payment_of(casework.own_case(engine(), case_id, signed_in_user()))
    if payment is None or not payment["open"]:
        flash(_("Für diesen Antrag ist keine Zahlung offen."), "info")
        return redirect(url_for("portal.case", case_id=case_id), 303)
    return redirect(payment["url"], 303)


@bp.get("/meine-antraege/<case_id>/zahlung")
@require_roles("citizen")
def payment_return(case_id: str) -> Any:
    """Where the payment platform sends the citizen back: the status as the case knows it."""
    view = casework.own_case(engine(), case_id, signed_in_user())
    payment = payment_of(view)
    if request.args.get("status", "") == "BOOKED":
        deadline = time.monotonic() + current_app.config["AMTSFLOW_PAYMENT_WAIT_SECONDS"]
        while payment is not None and payment["status"] == "INITIAL" and time.monotonic() < deadline:
            time.sleep(0.25)                  # the platform's signed callback is usually under way
            view = casework.own_case(engine(), case_id, signed_in_user())
            payment = payment_of(view)
    pending = payment is not None and payment["status"] == "INITIAL" and request.args.get("status") == "BOOKED"
    return render_template("portal/payment.html", case=view, payment=payment, pending=pending)


@bp.get("/meine-antraege/<case_id>/zahlung/stand.json")
@require_roles("citizen")
def payment_state(case_id: str) -> Any:
    """The payment's status for the waiting return page."""
    payment = payment_of(casework.own_case(engine(), case_id, signed_in_user()))
    return jsonify(status=payment["status"] if payment else None)


@bp.get("/zahlung/zurueck")
@require_roles("citizen")
def payment_back() -> Any:
    """Return address by business key: the signed-in citizen's case with that Aktenzeichen."""
    business_key = request.args.get("aktenzeichen", "")
    own = [c for c in queries.list_cases(engine(), started_by=signed_in_user().username, limit=500)
           if business_key and c["business_key"] == business_key]
    if not own:
        flash(_("Zu diesem Aktenzeichen haben wir keinen Antrag von Ihnen gefunden."), "warning")
        return redirect(url_for("portal.my_cases"), 303)
    status = request.args.get("status")
    extra: dict[str, Any] = {"status": status} if status else {}
    return redirect(url_for("portal.payment_return", case_id=own[0]["id"], **extra), 303)
