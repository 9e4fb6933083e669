"""Simulator of the town's mail server: a real SMTP server (aiosmtpd) plus a small HTTP view.

SMTP: recipients whose local part starts with ``unzustellbar`` or whose domain is
``invalid.example`` are refused with 550; messages are stored once per Message-ID (a retried
send is dropped as a duplicate). Knobs: ``latency`` delays the answer to DATA, ``error_rate``
answers 451, ``down`` refuses MAIL FROM with 421, ``malformed`` answers DATA with a line that
is no SMTP reply.

HTTP: ``GET /messages`` (stored mails), ``/_admin/knobs``, ``/_admin/stats``.
Run on its own: ``python -m connectors.simulators.mailbox --port 8107 --smtp-port 2525``.
"""

from __future__ import annotations

import asyncio
import threading
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask, Response

from connectors.simulators.common import (Knobs, RunningServer, Simulator, as_json, cli_args, knobs_from, make_app,
                                          serve_in_thread)

HOSTNAME = "postfach.musterstadt.example"


class MailboxHandler:
    def __init__(self, state: Simulator) -> None:
        self.state = state
        self.messages: dict[str, dict[str, Any]] = {}

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if self.state.knobs.down:
            return "421 4.3.2 Service not available, closing transmission channel"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        local, _, domain = address.rpartition("@")
        if local.lower().startswith("unzustellbar") or domain.lower() == "invalid.example":
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        knobs = self.state.knobs
        if knobs.latency > 0:
            await asyncio.sleep(knobs.latency)
        with self.state.lock:
            fail = self.state.rng.random() < knobs.error_rate
        if fail:
            return "451 4.3.0 Temporary local problem, try again later"
        if knobs.malformed:
            return "Hallo, hier spricht der Anrufbeantworter"
        raw = envelope.original_content or envelope.content or b""
        msg = message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=policy.default)
        message_id = str(msg.get("Message-ID") or f"<generated-{len(self.messages)}@{HOSTNAME}>")
        with self.state.lock:
            if message_id in self.messages:
                self.state.count("duplicate_dropped")
                return "250 2.0.0 OK (duplicate dropped)"
            body = msg.get_body(preferencelist=("plain",))
            self.messages[message_id] = {
                "message_id": message_id, "from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                "subject": str(msg.get("Subject", "")), "body": body.get_content() if body else "",
                "attachments": [p.get_filename() for p in msg.iter_attachments()]}
            self.state.count("delivered")
        return "250 2.0.0 OK: queued"


class SmtpServer:
    """aiosmtpd on its own event loop thread, bound to a free port."""

    def __init__(self, handler: MailboxHandler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(self.loop.create_server(
            lambda: SMTP(handler, hostname=HOSTNAME, loop=self.loop), host, port))
        self.host, self.port = host, self.server.sockets[0].getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, name="mailbox-smtp", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


def create_app(handler: MailboxHandler) -> Flask:
    app = make_app(handler.state)

    @app.get("/messages")
    def messages() -> Response:
        with handler.state.lock:
            return as_json(list(handler.messages.values()))

    return app


class Mailbox:
    """SMTP server + HTTP view, started together (tests, demo)."""

    def __init__(self, seed: int = 1, knobs: Knobs | None = None, smtp_port: int = 0, http_port: int = 0) -> None:
        self.state = Simulator("mailbox", seed=seed, knobs=knobs or Knobs(), exempt=("/messages",))
        self.handler = MailboxHandler(self.state)
        self.smtp = SmtpServer(self.handler, port=smtp_port)
        self.http: RunningServer = serve_in_thread(create_app(self.handler), port=http_port)

    @property
    def smtp_url(self) -> str:
        return f"smtp://{self.smtp.host}:{self.smtp.port}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.handler.messages.values())

    def stop(self) -> None:
        self.state.stopping.set()
        self.smtp.stop()
        self.http.stop()


def main() -> None:
    args = cli_args("Musterstadt mail server simulator (SMTP + HTTP view)",
                    lambda p: p.add_argument("--smtp-port", type=int, default=2525))
    box = Mailbox(args.seed, knobs_from(args), smtp_port=args.smtp_port, http_port=args.port)
    print(f"mailbox: SMTP {box.smtp_url}, messages at {box.http.url}/messages", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        box.stop()


if __name__ == "__main__":
    main()
