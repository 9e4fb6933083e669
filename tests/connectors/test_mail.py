"""The mail connector against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import base64
import socket
from typing import Any, Iterator

import pytest

from connectors.mail import create, render, template_names
from connectors.simulators.common import Knobs
from connectors.simulators.mailbox import Mailbox
from engine.ports import ConnectorError, ServiceRequest, ServiceResult

VARS = {"empfaenger_name": "Frau Yılmaz", "leistung": "Bewohnerparkausweis", "aktenzeichen": "BPA-2026-000042",
        "betrag_cent": 3050, "zahlungs_url": "https://bezahlen.musterstadt.example/bezahlen/42",
        "kassenzeichen": "5.0100.000042.1"}
MAIL = {"template": "zahlungsaufforderung", "to": "leyla.yilmaz@example.org", "variables": VARS}


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.stop()


def send(box: Mailbox, params: dict[str, Any], key: str = "case-1:task-2:1") -> ServiceResult:
    connector = create({"mail_host": box.smtp.host, "mail_port": str(box.smtp.port), "mail_timeout": "0.5"})
    return connector.call("send", ServiceRequest("mail.send", params, key, "case-1"))


def test_german_mail_arrives_with_attachment(mailbox: Mailbox) -> None:
    pdf = base64.b64encode(b"%PDF-1.7 Bescheid").decode()
    result = send(mailbox, dict(MAIL, attachments=[{"filename": "bescheid.pdf", "mime_type": "application/pdf",
                                                    "content_base64": pdf}]))
    assert result.bpmn_error is None and result.data["refused"] == []
    [mail] = mailbox.messages
    assert mail["to"] == ["leyla.yilmaz@example.org"] and mail["message_id"] == result.data["message_id"]
    assert mail["subject"] == "Bitte zahlen Sie die Gebühr für Bewohnerparkausweis (Kassenzeichen 5.0100.000042.1)"
    assert "Guten Tag Frau Yılmaz," in mail["body"] and "30,50 €" in mail["body"]
    assert mail["attachments"] == ["bescheid.pdf"]


def test_same_idempotency_key_delivers_once(mailbox: Mailbox) -> None:
    first, second = send(mailbox, MAIL), send(mailbox, MAIL)
    assert first == second
    assert len(mailbox.messages) == 1
    assert mailbox.state.actions == {"delivered": 1, "duplicate_dropped": 1}
    send(mailbox, MAIL, key="case-1:task-2:2")
    assert len(mailbox.messages) == 2


def test_refused_recipient_is_a_bpmn_error(mailbox: Mailbox) -> None:
    result = send(mailbox, dict(MAIL, to="unzustellbar@example.org"))
    assert result.bpmn_error == "EMPFAENGER_ABGELEHNT" and "5.1.1" in result.error_message
    assert mailbox.messages == []


@pytest.mark.parametrize("knobs,match", [
    (Knobs(latency=1.5), "timed out"),
    (Knobs(error_rate=1.0), "answered 451"),
    (Knobs(down=True), "answered 421"),
    (Knobs(malformed="html"), "answered -1"),
])
def test_technical_smtp_failures(mailbox: Mailbox, knobs: Knobs, match: str) -> None:
    mailbox.state.knobs = knobs
    with pytest.raises(ConnectorError, match=match):
        send(mailbox, MAIL)
    assert mailbox.messages == []


def test_unreachable_smtp_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    connector = create({"mail_host": "127.0.0.1", "mail_port": str(port), "mail_timeout": "0.5"})
    with pytest.raises(ConnectorError, match="ConnectionRefusedError"):
        connector.call("send", ServiceRequest("mail.send", MAIL, "k", "case-1"))


def test_missing_template_variable_or_host_is_a_model_or_config_error(mailbox: Mailbox) -> None:
    with pytest.raises(ConnectorError, match="'kassenzeichen' is undefined"):
        send(mailbox, dict(MAIL, variables={k: v for k, v in VARS.items() if k != "kassenzeichen"}))
    with pytest.raises(ConnectorError, match="mail_host"):
        create({}).call("send", ServiceRequest("mail.send", MAIL, "k", "case-1"))
    with pytest.raises(ConnectorError, match="invalid parameters"):
        send(mailbox, dict(MAIL, template="gibt_es_nicht"))


@pytest.mark.parametrize("name", template_names())
def test_every_template_renders_german_subject(name: str) -> None:
    variables = dict(VARS, eingang="05.01.2026", portal_url="https://musterstadt.example/portal",
                     unterlagen=["Fahrzeugschein", "Mietvertrag"], frist="20.01.2026",
                     aufgabe="Antrag prüfen", von="Sabine Berger", link="https://musterstadt.example/inbox/aufgaben/1",
                     zwischenstand=True)
    subject, body = render(name, variables)
    assert "BPA-2026-000042" in subject + body and body.startswith("Guten Tag")
    assert "Mit freundlichen Grüßen" in body


def send_text(box: Mailbox, params: dict[str, Any]) -> ServiceResult:
    connector = create({"mail_host": box.smtp.host, "mail_port": str(box.smtp.port), "mail_timeout": "0.5"})
    return connector.call("send_text", ServiceRequest("mail.send_text", params, "case-1:task-3:1", "case-1"))


def test_send_text_mails_the_models_subject_and_text_to_every_recipient(mailbox: Mailbox) -> None:
    """Flowable's mail task: recipients as comma-separated text, subject and text from the model."""
    result = send_text(mailbox, {"to": "a@example.org, b@example.org", "cc": "c@example.org",
                                 "bcc": ["d@example.org"], "subject": "Ihr Antrag", "text": "Guten Tag Erika,",
                                 "html": "<p>Guten Tag Erika,</p>"})
    assert result.bpmn_error is None and result.data["subject"] == "Ihr Antrag"
    [mail] = mailbox.messages
    assert sorted(mail["to"]) == ["a@example.org", "b@example.org", "c@example.org", "d@example.org"]
    assert mail["subject"] == "Ihr Antrag" and "Guten Tag Erika," in mail["body"]


def test_send_text_without_recipient_or_with_a_bad_address_is_a_bpmn_error(mailbox: Mailbox) -> None:
    assert send_text(mailbox, {"subject": "x", "text": "y"}).bpmn_error == "EMPFAENGER_ABGELEHNT"
    assert send_text(mailbox, {"to": "kein-at-zeichen", "text": "y"}).bpmn_error == "EMPFAENGER_ABGELEHNT"
    assert mailbox.messages == []
