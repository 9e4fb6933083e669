"""Public callbacks of the back offices under /api/v1/callbacks: no session, no CSRF, no token.

Each one authenticates by its HMAC signature over "timestamp.body" (constant-time compare, at most
5 minutes old) and is refused with 401 and a short JSON error otherwise. Replays are refused by a
replay guard in the database (``engine.services.replay``), shared by every web process: the
in-process cache of the connectors would let a replay through that reaches another process. The
message ids (payment) and submission ids (FIT-Connect) make a second, freshly signed delivery of
the same outcome harmless as well.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Mapping, cast

from flask import Flask, abort, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState

from connectors.payment import verify_callback
from connectors.signing import CallbackRefused
from engine.services.replay import DatabaseReplayGuard
from engine.tenancy import tenant_or_none
from engine.tenant_connectors import TenantConnectorMissing
from webui.api.blueprint import bp
from webui.auth import engine
from webui.inbound import fitconnect
from webui.inbound.fitconnect import FitConnectInbox, FitConnectInboxes
from webui.inbound.payment import correlate_payment

log = logging.getLogger("amtsflow.callbacks")
MAX_CALLBACK_BYTES = 256 * 1024
INBOX = "amtsflow_fitconnect"


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    state.app.config.setdefault("AMTSFLOW_FITCONNECT", fitconnect.settings_from_env(os.environ))
    state.app.extensions["amtsflow_fitconnect_lock"] = threading.Lock()


def inboxes_of(app: Flask) -> FitConnectInboxes:
    """The web process's FIT-Connect inboxes (the installation's and the tenants' own), built on
    first use."""
    with app.extensions["amtsflow_fitconnect_lock"]:
        if INBOX not in app.extensions:
            app.extensions[INBOX] = FitConnectInboxes(
                app.extensions["amtsflow"], app.extensions["amtsflow_settings"].connector_config,
                app.config["AMTSFLOW_FITCONNECT"], max_upload_bytes=app.config["AMTSFLOW_MAX_UPLOAD_BYTES"])
        return app.extensions[INBOX]  # type: ignore[no-any-return]


def inbox_of(app: Flask, tenant_id: str | None = None) -> FitConnectInbox:
    """The inbox for a callback that reached ``tenant_id``'s address (None: the installation's)."""
    return inboxes_of(app).for_tenant(tenant_id)


@bp.before_app_request
def _start_polling() -> None:
    """Polling for missed FIT-Connect callbacks starts with the first request of this process (and
    takes in tenants whose own FIT-Connect settings were added since, every 30 s at most)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["AMTSFLOW_FITCONNECT"].get("poll_seconds"):
        inboxes_of(app).poll_all()


def _body() -> bytes:
    if (request.content_length or 0) > MAX_CALLBACK_BYTES:
        abort(413)
    body = request.get_data(cache=False)
    if len(body) > MAX_CALLBACK_BYTES:
        abort(413)
    return body


def _refused(source: str, exc: CallbackRefused) -> Any:
    log.warning("%s callback refused from %s: %s", source, request.remote_addr, exc.reason)
    return jsonify(error="Rückruf abgelehnt: Signatur fehlt, ist falsch, veraltet oder wiederholt."), 401


@bp.post("/callbacks/payment")
def payment_callback() -> Any:
    """ePayBL outcome -> message zahlung_gebucht / zahlung_fehlgeschlagen / zahlung_abgebrochen."""
    body = _body()
    # the platform of the tenant whose address the callback came to: its own account's secret, if any
    try:
        settings = engine().tenant_connectors.config(tenant_or_none(), "payment",
                                                     current_app.extensions["amtsflow_settings"].connector_config)
    except TenantConnectorMissing as exc:   # refused: nothing to check the signature with
        return _refused("payment", CallbackRefused(str(exc)))
    secret = settings.get("payment_callback_secret", "")
    try:
        notification = verify_callback(cast(Mapping[str, str], request.headers), body, secret, engine().clock.now(),
                                       DatabaseReplayGuard(engine()))
    except CallbackRefused as exc:
        return _refused("payment", exc)
    outcome = correlate_payment(engine(), notification)
    return jsonify(status=outcome.status if outcome else "ignored")


@bp.post("/callbacks/fitconnect")
def fitconnect_callback() -> Any:
    """New submissions at the Zustelldienst: queued here, processed by the inbox's worker thread."""
    body = _body()
    try:   # the Zustellpunkt of the tenant whose address the callback came to (or the installation's)
        inbox = inbox_of(current_app._get_current_object(), tenant_or_none())  # type: ignore[attr-defined]
        ids = inbox.receive(cast(Mapping[str, str], request.headers), body)
    except TenantConnectorMissing as exc:   # refused: nothing to check the signature with
        return _refused("fitconnect", CallbackRefused(str(exc)))
    except CallbackRefused as exc:
        return _refused("fitconnect", exc)
    return jsonify(status="queued", submissions=len(ids))
