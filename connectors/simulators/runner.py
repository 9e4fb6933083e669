"""Start every back-office simulator in this process (tests, ``amtsflow demo``).

    urls = start_all(seed=1)                 # {"melderegister": "http://127.0.0.1:41234", ...}
    config = connector_config(urls, payment_callback_url=..., verify_url=...)
    connectors = load_connectors(config)
    configure_fitconnect_callback(urls["fitconnect"], "http://127.0.0.1:5000/fitconnect/callback")
    ...
    stop()

Every HTTP simulator requires a demo bearer token (so the demo exercises authentication); the
matching tokens and shared secrets are in ``DEMO_SECRETS`` and in ``connector_config``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from connectors.base import http_client
from connectors.simulators import dms, fitconnect, kfz, melderegister, payment, rest
from connectors.simulators.common import Knobs, RunningServer, serve_in_thread
from connectors.simulators.mailbox import Mailbox

DEMO_SECRETS = {
    "melderegister_token": "demo-ewo-token",
    "kfz_token": "demo-zfzr-token",
    "payment_token": "demo-epaybl-token",
    "payment_callback_secret": "demo-epaybl-callback-secret-2026",
    "dms_token": "demo-eakte-token",
    "rest_token": "demo-fachverfahren-token",
    "fitconnect_client_id": "amtsflow-receiver",
    "fitconnect_client_secret": "receiver-secret",
    "fitconnect_callback_secret": "demo-fitconnect-callback-secret-2026",
    "documents_verification_key": "demo-document-verification-key-change-me",
}

_lock = threading.Lock()
_servers: list[RunningServer] = []
_mailboxes: list[Mailbox] = []


# the order in which fixed ports are handed out: base, base + 1, ... (``amtsflow demo --simulator-port``)
PORT_ORDER = ("melderegister", "kfz", "payment", "dms", "rest", "fitconnect", "mailbox", "mail")


def fixed_ports(base: int) -> dict[str, int]:
    """name -> port for every simulator, counting up from ``base`` (0: free ports)."""
    return {name: (base + i if base else 0) for i, name in enumerate(PORT_ORDER)}


def start_all(seed: int = 1, knobs: dict[str, Knobs] | None = None, *, ports: dict[str, int] | None = None,
              state_dir: Path | None = None) -> dict[str, str]:
    """Start all simulators on 127.0.0.1; returns name -> base URL (``mail`` is
    ``smtp://host:port``, ``mailbox`` the HTTP view of the received mails).

    ``ports`` fixes a simulator's port (missing or 0: a free one). With ``state_dir`` the payment
    platform keeps its transactions in a file there, so that a restarted demo on the same ports
    still knows the payment links its cases stored."""
    knobs = knobs or {}
    ports = ports or {}
    s = DEMO_SECRETS
    payment_state = state_dir / "payment.json" if state_dir is not None else None
    factories: dict[str, Callable[[], Any]] = {
        "melderegister": lambda: melderegister.create_app(seed, knobs.get("melderegister"), s["melderegister_token"]),
        "kfz": lambda: kfz.create_app(seed, knobs.get("kfz"), s["kfz_token"]),
        "payment": lambda: payment.create_app(seed, knobs.get("payment"), s["payment_token"],
                                              s["payment_callback_secret"], state_file=payment_state),
        "dms": lambda: dms.create_app(seed, knobs.get("dms"), s["dms_token"]),
        "rest": lambda: rest.create_app(seed, knobs.get("rest"), s["rest_token"]),
        "fitconnect": lambda: fitconnect.create_app(seed, knobs.get("fitconnect"),
                                                    {s["fitconnect_client_id"]: s["fitconnect_client_secret"],
                                                     **fitconnect.DEMO_CLIENTS}),
    }
    urls: dict[str, str] = {}
    with _lock:
        for name, factory in factories.items():
            server = serve_in_thread(factory(), port=ports.get(name, 0))
            _servers.append(server)
            urls[name] = server.url
        box = Mailbox(seed, knobs.get("mailbox"), smtp_port=ports.get("mail", 0), http_port=ports.get("mailbox", 0))
        _mailboxes.append(box)
    urls["mail"], urls["mailbox"] = box.smtp_url, box.http.url
    return urls


def stop() -> None:
    """Stop every simulator started by ``start_all``."""
    with _lock:
        while _servers:
            _servers.pop().stop()
        while _mailboxes:
            _mailboxes.pop().stop()


def connector_config(urls: dict[str, str], *, payment_callback_url: str | None = None,
                     verify_url: str | None = None) -> dict[str, str]:
    """The connector configuration that points every built-in connector at the simulators."""
    smtp_host, _, smtp_port = urls["mail"].removeprefix("smtp://").rpartition(":")
    config = {
        "melderegister_url": urls["melderegister"], "kfz_url": urls["kfz"], "payment_url": urls["payment"],
        "dms_url": urls["dms"], "fitconnect_url": urls["fitconnect"],
        "fitconnect_destination_id": fitconnect.DEMO_DESTINATION,
        "mail_host": smtp_host, "mail_port": smtp_port,
        "mail_from": "Stadt Musterstadt <buergeramt@musterstadt.example>",
        "http_credential_fachverfahren_url": urls["rest"] + "/api/",
        "http_credential_fachverfahren_bearer": DEMO_SECRETS["rest_token"],
        **{k: v for k, v in DEMO_SECRETS.items() if k != "rest_token"},
    }
    if payment_callback_url:
        config["payment_callback_url"] = payment_callback_url
    if verify_url:
        config["documents_verify_url"] = verify_url
    return config


def configure_fitconnect_callback(fitconnect_url: str, callback_url: str,
                                  secret: str = DEMO_SECRETS["fitconnect_callback_secret"]) -> None:
    """Register our callback endpoint at the simulated Zustelldienst (the self-service portal step)."""
    with http_client(base_url=fitconnect_url, timeout=10) as http:
        token = http.post("/token", data={"grant_type": "client_credentials",
                                          "client_id": DEMO_SECRETS["fitconnect_client_id"],
                                          "client_secret": DEMO_SECRETS["fitconnect_client_secret"]})
        token.raise_for_status()
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        http.put(f"/v1/destinations/{fitconnect.DEMO_DESTINATION}/callback",
                 json={"url": callback_url, "secret": secret}, headers=bearer).raise_for_status()


def set_knobs(base_url: str, **values: Any) -> dict[str, Any]:
    """Change a running simulator's knobs (latency, error_rate, down, malformed, lost_response_rate)."""
    with http_client(timeout=10) as http:
        resp = http.post(f"{base_url}/_admin/knobs", json=values)
        resp.raise_for_status()
    return resp.json()  # type: ignore[no-any-return]
