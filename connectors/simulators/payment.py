"""Simulator of the ePayBL payment platform.

    POST /epaybl/v1/transaktionen                (Idempotency-Key) -> 201 transaction with zahlungs_url;
                                                 a Kassenzeichen is unique within its ``mandant``
                                                 (409 KASSENZEICHEN_BEREITS_VERWENDET)
    GET  /epaybl/v1/transaktionen/<id>           -> transaction (404 TRANSAKTION_UNBEKANNT)
    POST /epaybl/v1/transaktionen/<id>/storno    (Idempotency-Key) -> CANCELED (409 BEREITS_GEBUCHT)
    GET  /bezahlen/<id>   the citizen's payment page (German)
    POST /bezahlen/<id>   aktion=bezahlen|fehlschlag|abbrechen -> BOOKED|FAILED|CANCELED, then the signed
                          callback is posted to the transaction's benachrichtigungs_url and the
                          citizen is sent back to rueckkehr_url
    GET  /_admin/callbacks   delivery log of the callbacks

Run on its own: ``python -m connectors.simulators.payment --port 8103 --secret S``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from flask import Flask, Response, redirect, request
from markupsafe import escape

from connectors.base import http_client
from connectors.payment import SIGNATURE_HEADER, TIMESTAMP_HEADER
from connectors.signing import sign
from connectors.simulators.common import (Knobs, Simulator, as_json, cli_args, idempotent, knobs_from, make_app,
                                          problem, run_forever, sim)

MAX_AMOUNT_CENT = 1_000_000          # online payments above 10.000 EUR are refused (business rule)
OUTCOME = {"bezahlen": "BOOKED", "fehlschlag": "FAILED", "abbrechen": "CANCELED"}


@dataclass
class Tx:
    transaktions_id: str
    kassenzeichen: str
    betrag_cent: int
    verwendungszweck: str
    rueckkehr_url: str | None
    benachrichtigungs_url: str | None
    fachverfahren_referenz: str | None
    zahlungs_url: str
    status: str = "INITIAL"
    erstellt: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    gebucht_am: str | None = None
    mandant: str = ""          # the municipality's account ("" in files written before there were several)

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>")


def _load(path: Path | None) -> dict[str, Tx]:
    if path is None or not path.exists():
        return {}
    return {key: Tx(**value) for key, value in json.loads(path.read_text("utf-8")).items()}


def _save(path: Path | None, txs: dict[str, Tx]) -> None:
    """Write the transactions (caller holds the lock); a new file replaces the old one whole."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps({k: v.public() for k, v in txs.items()}, ensure_ascii=False), "utf-8")
    os.replace(scratch, path)


def create_app(seed: int = 1, knobs: Knobs | None = None, token: str | None = None, secret: str = "",
               state_file: Path | None = None) -> Flask:
    """``state_file``: keep the transactions there (a restarted platform still knows them)."""
    state = Simulator("payment", seed=seed, knobs=knobs or Knobs(), token=token, exempt=("/bezahlen/",))
    app = make_app(state)
    txs: dict[str, Tx] = _load(state_file)
    deliveries: list[dict[str, Any]] = []

    def deliver(tx: Tx) -> None:
        if not tx.benachrichtigungs_url:
            return
        body = json.dumps({"transaktions_id": tx.transaktions_id, "kassenzeichen": tx.kassenzeichen,
                           "status": tx.status, "betrag_cent": tx.betrag_cent,
                           "fachverfahren_referenz": tx.fachverfahren_referenz}).encode()
        for attempt in range(4):
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: ts,
                       SIGNATURE_HEADER: "sha256=" + sign(secret, ts, body, "sha256")}
            status: int | str
            try:
                with http_client(timeout=5) as http:
                    status = http.post(tx.benachrichtigungs_url, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                status = f"{type(exc).__name__}"
            with state.lock:
                deliveries.append({"transaktions_id": tx.transaktions_id, "status": tx.status,
                                   "attempt": attempt + 1, "answer": status})
            if isinstance(status, int) and status < 300 or state.stopping.wait(0.2 * 2 ** attempt):
                return

    def find(tx_id: str) -> Tx | Response:
        tx = txs.get(tx_id)
        return tx if tx else problem(404, "Transaktion unbekannt", f"Keine Transaktion {tx_id}",
                                     "TRANSAKTION_UNBEKANNT")

    @app.post("/epaybl/v1/transaktionen")
    @idempotent()
    def create_tx() -> Response:
        body = request.get_json(silent=True) or {}
        try:
            amount, kz, purpose = int(body["betrag_cent"]), str(body["kassenzeichen"]), str(body["verwendungszweck"])
        except (KeyError, TypeError, ValueError):
            return problem(400, "Ungültige Anfrage", "betrag_cent, kassenzeichen und verwendungszweck fehlen")
        if amount > MAX_AMOUNT_CENT or amount < 1:
            return problem(422, "Betrag unzulässig", "Online-Zahlungen sind bis 10.000 EUR möglich.",
                           "BETRAG_UNZULAESSIG")
        mandant = str(body.get("mandant") or "")
        with state.lock:
            if any(t.kassenzeichen == kz and t.mandant == mandant and t.status in ("INITIAL", "BOOKED")
                   for t in txs.values()):
                return problem(409, "Kassenzeichen bereits verwendet",
                               f"Zum Kassenzeichen {kz} besteht bereits ein offener oder gebuchter Zahlvorgang.",
                               "KASSENZEICHEN_BEREITS_VERWENDET")
            tx_id = str(uuid.uuid4())
            tx = Tx(tx_id, kz, amount, purpose, body.get("rueckkehr_url"), body.get("benachrichtigungs_url"),
                    body.get("fachverfahren_referenz"), f"{request.host_url}bezahlen/{tx_id}", mandant=mandant)
            txs[tx_id] = tx
            _save(state_file, txs)
            state.count("transaktion")
            return as_json(tx.public(), status=201)

    @app.get("/epaybl/v1/transaktionen/<tx_id>")
    def get_tx(tx_id: str) -> Response:
        with state.lock:
            tx = find(tx_id)
            return tx if isinstance(tx, Response) else as_json(tx.public())

    @app.post("/epaybl/v1/transaktionen/<tx_id>/storno")
    @idempotent()
    def cancel_tx(tx_id: str) -> Response:
        with state.lock:
            tx = find(tx_id)
            if isinstance(tx, Response):
                return tx
            if tx.status == "BOOKED":
                return problem(409, "Bereits gebucht", "Gebuchte Zahlungen können nicht storniert werden.",
                               "BEREITS_GEBUCHT")
            tx.status = "CANCELED" if tx.status == "INITIAL" else tx.status
            _save(state_file, txs)
            state.count("storno")
            return as_json(tx.public())

    @app.get("/bezahlen/<tx_id>")
    def pay_page(tx_id: str) -> Response | str:
        tx = txs.get(tx_id)
        if tx is None:
            return Response(_page("Zahlung nicht gefunden", "<p>Dieser Zahlvorgang ist unbekannt.</p>"), 404)
        euro = f"{tx.betrag_cent / 100:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")
        if tx.status != "INITIAL":
            return _page("Zahlung abgeschlossen", f"<p>Status: {escape(tx.status)}</p>")
        buttons = "".join(f'<button name="aktion" value="{a}">{label}</button> ' for a, label in
                          (("bezahlen", "Jetzt bezahlen"), ("fehlschlag", "Zahlung scheitern lassen"),
                           ("abbrechen", "Abbrechen")))
        return _page("ePayBL Bezahlseite (Simulator)",
                     f"<dl><dt>Verwendungszweck</dt><dd>{escape(tx.verwendungszweck)}</dd>"
                     f"<dt>Kassenzeichen</dt><dd>{escape(tx.kassenzeichen)}</dd>"
                     f"<dt>Betrag</dt><dd>{escape(euro)}</dd></dl>"
                     f'<form method="post">{buttons}</form>')

    @app.post("/bezahlen/<tx_id>")
    def pay(tx_id: str) -> Any:
        outcome = OUTCOME.get(request.form.get("aktion", ""))
        with state.lock:
            tx = txs.get(tx_id)
            if tx is None or outcome is None:
                return Response(_page("Ungültige Anfrage", "<p>Zahlvorgang oder Aktion unbekannt.</p>"), 400)
            if tx.status != "INITIAL":
                return Response(_page("Bereits abgeschlossen", f"<p>Status: {escape(tx.status)}</p>"), 409)
            tx.status = outcome
            if outcome == "BOOKED":
                tx.gebucht_am = datetime.now(timezone.utc).isoformat(timespec="seconds")
            _save(state_file, txs)
            sim().count(f"zahlung_{outcome.lower()}")
        threading.Thread(target=deliver, args=(tx,), daemon=True, name="payment-callback").start()
        if tx.rueckkehr_url:
            sep = "&" if "?" in tx.rueckkehr_url else "?"
            return redirect(f"{tx.rueckkehr_url}{sep}{urlencode({'transaktion': tx_id, 'status': outcome})}", 303)
        return _page("Vielen Dank", f"<p>Status der Zahlung: {escape(outcome)}</p>")

    @app.get("/_admin/callbacks")
    def callbacks() -> Response:
        with state.lock:
            return as_json(list(deliveries))

    return app


def main() -> None:
    args = cli_args("ePayBL payment platform simulator",
                    lambda p: p.add_argument("--secret", default="demo-epaybl-callback-secret-2026"))
    run_forever(create_app(args.seed, knobs_from(args), args.token, args.secret), args)


if __name__ == "__main__":
    main()
