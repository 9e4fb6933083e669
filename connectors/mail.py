"""``mail``: German notification mails over SMTP from templates in ``connectors/templates/mail``.

A template's first line is ``Betreff: ...``; the rest is the plain-text body (Jinja2, sandboxed,
undefined variables are an error). The Message-ID is derived from the idempotency key, so a
retried send carries the same Message-ID and the receiving side can drop the duplicate.

SMTP answers: all recipients refused permanently (5xx) -> BPMN error EMPFAENGER_ABGELEHNT;
temporary refusals (4xx), timeouts, refused connections and broken dialogues -> ConnectorError.

Configuration: ``mail_host``, ``mail_port`` (25), ``mail_from``, ``mail_user``, ``mail_password``,
``mail_starttls`` (true/false), ``mail_timeout``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any, Mapping

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from connectors.base import BaseConnector, BusinessError, config_float, obj, operation
from engine.ports import ConnectorError, ServiceRequest

TEMPLATES = Path(__file__).parent / "templates" / "mail"
EMAIL = {"type": "string", "pattern": r"^[^@\s<>,;]+@[^@\s<>,;]+\.[A-Za-z]{2,}$", "maxLength": 254}
REFUSED = "EMPFAENGER_ABGELEHNT"
# Flowable's mail fields: one address, several separated by commas, or a list
ADDRESSES = {"anyOf": [{"type": "string", "maxLength": 2000}, {"type": "array", "items": EMAIL, "maxItems": 50},
                       {"type": "null"}]}


def _addresses(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(a).strip() for a in items if str(a).strip()]


def euro(cents: Any) -> str:
    value = f"{int(cents) / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{value} €"


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.txt"))


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["euro"] = euro
    return env


def render(template: str, variables: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of a mail template; ``ConnectorError`` for a missing variable."""
    source = (TEMPLATES / f"{template}.txt").read_text(encoding="utf-8")
    try:
        text = _environment().from_string(source).render(**variables)
    except TemplateError as exc:
        raise ConnectorError(f"mail: template '{template}' cannot be rendered: {exc}") from exc
    first, _, body = text.partition("\n")
    if not first.startswith("Betreff:"):
        raise ConnectorError(f"mail: template '{template}' does not start with 'Betreff:'")
    return first[len("Betreff:"):].strip(), body.lstrip("\n")


class MailConnector(BaseConnector):
    name = "mail"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__()
        self.host = config.get("mail_host", "")
        self.port = int(config.get("mail_port") or 25)
        self.sender = config.get("mail_from", "Stadt Musterstadt <buergeramt@musterstadt.example>")
        self.user, self.password = config.get("mail_user"), config.get("mail_password", "")
        self.starttls = config.get("mail_starttls", "false").lower() in ("1", "true", "yes")
        self.timeout = config_float(config, "mail_timeout", 10.0)

    def message(self, params: Mapping[str, Any], request: ServiceRequest) -> EmailMessage:
        subject, body = render(params["template"], params.get("variables") or {})
        msg = self._envelope(params, request, subject)
        msg.set_content(body)
        for index, att in enumerate(params.get("attachments") or []):
            try:
                content = base64.b64decode(att["content_base64"], validate=True)
            except (binascii.Error, ValueError):
                raise ConnectorError(f"mail: attachments/{index}/content_base64 is not valid base64") from None
            maintype, _, subtype = att.get("mime_type", "application/octet-stream").partition("/")
            msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=att["filename"])
        return msg

    def text_message(self, params: Mapping[str, Any], request: ServiceRequest) -> EmailMessage:
        """A mail whose subject and text the model gives (Flowable's mail task)."""
        for name in ("to", "cc", "bcc"):
            bad = [a for a in _addresses(params.get(name)) if not re.fullmatch(str(EMAIL["pattern"]), a)]
            if bad:
                raise BusinessError(REFUSED, f"Ungültige E-Mail-Adresse in '{name}': {', '.join(bad)}")
        if not any(_addresses(params.get(name)) for name in ("to", "cc", "bcc")):
            raise BusinessError(REFUSED, "Die E-Mail hat keinen Empfänger (to, cc und bcc sind leer).")
        msg = self._envelope({"to": ", ".join(_addresses(params.get("to"))) or None,
                              "cc": _addresses(params.get("cc"))}, request, str(params.get("subject") or ""))
        if params.get("text") or not params.get("html"):
            msg.set_content(str(params.get("text") or ""))
        if params.get("html"):
            if params.get("text"):
                msg.add_alternative(str(params["html"]), subtype="html")
            else:
                msg.set_content(str(params["html"]), subtype="html")
        bcc = _addresses(params.get("bcc"))
        if bcc:
            msg["Bcc"] = ", ".join(bcc)
        return msg

    def _envelope(self, params: Mapping[str, Any], request: ServiceRequest, subject: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        if params.get("to"):
            msg["To"] = params["to"]
        if params.get("cc"):
            msg["Cc"] = ", ".join(params["cc"])
        if params.get("reply_to"):
            msg["Reply-To"] = params["reply_to"]
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "amtsflow.invalid"
        msg["Message-ID"] = f"<{hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:40]}@{domain}>"
        msg["Auto-Submitted"] = "auto-generated"
        msg["Content-Language"] = "de"
        return msg

    @operation("send", "E-Mail aus einer deutschen Vorlage senden (" + ", ".join(template_names()) + ")",
               params=obj({"template": {"enum": template_names()}, "to": EMAIL,
                           "cc": {"type": "array", "items": EMAIL, "maxItems": 10},
                           "reply_to": EMAIL, "variables": {"type": "object"},
                           "attachments": {"type": "array", "maxItems": 10, "items": obj(
                               {"filename": {"type": "string", "pattern": r"^[^/\\]{1,120}$"},
                                "mime_type": {"type": "string", "pattern": r"^[a-z]+/[a-z0-9.+-]+$"},
                                "content_base64": {"type": "string"}}, ("filename", "content_base64"))}},
                          ("template", "to", "variables")),
               result=obj({"message_id": {"type": "string"}, "subject": {"type": "string"},
                           "refused": {"type": "array", "items": {"type": "string"}}},
                          ("message_id", "subject", "refused")),
               errors=(REFUSED,))
    def send(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        return self._send(self.message(params, request))

    @operation("send_text", "E-Mail mit Betreff und Text aus dem Modell senden (Flowable-Mail-Aufgabe)",
               params=obj({"to": ADDRESSES, "cc": ADDRESSES, "bcc": ADDRESSES, "subject": {"type": "string",
                           "maxLength": 998}, "text": {"type": "string"}, "html": {"type": "string"}}),
               result=obj({"message_id": {"type": "string"}, "subject": {"type": "string"},
                           "refused": {"type": "array", "items": {"type": "string"}}},
                          ("message_id", "subject", "refused")),
               errors=(REFUSED,))
    def send_text(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        return self._send(self.text_message(params, request))

    def _send(self, msg: EmailMessage) -> Any:
        if not self.host:
            raise ConnectorError("mail: no SMTP server configured (set mail_host)")
        where = f"mail: SMTP {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= c < 600 for c in codes):
                raise BusinessError(REFUSED, "Die E-Mail-Adresse wurde vom Mailserver abgelehnt: "
                                    + "; ".join(f"{a}: {_text(m)}" for a, (_, m) in exc.recipients.items())) from exc
            raise ConnectorError(f"{where}: recipients temporarily refused: {exc.recipients}") from exc
        except TimeoutError as exc:
            raise ConnectorError(f"{where} timed out after {self.timeout:g} s") from exc
        except smtplib.SMTPResponseException as exc:
            raise ConnectorError(f"{where} answered {exc.smtp_code}: "
                                 f"{_text(exc.smtp_error)[:200]}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectorError(f"{where} failed: {type(exc).__name__}: {exc}") from exc
        return {"message_id": msg["Message-ID"], "subject": msg["Subject"], "refused": sorted(refused)}


def create(config: Mapping[str, str]) -> MailConnector:
    return MailConnector(config)
