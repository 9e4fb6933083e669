"""Issue 12.2: a message is delivered to exactly the case it names, never to an arbitrary one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.domain.errors import AmbiguousCorrelation
from engine.persistence import tables as t
from engine.runtime.parsing import SourceFile
from engine.services import messages, queries
from engine.services.cases import start_case
from engine.services.deploy import deploy
from tests.integration.helpers import MODELS, deploy_models


def _second_payment_process(engine):
    """The same payment wait under another process key (e.g. a fee of another service)."""
    text = (MODELS / "messages.bpmn").read_text(encoding="utf-8")
    text = text.replace('id="zahlung"', 'id="zahlung_b"').replace('id="eingang"', 'id="eingang_b"')
    deploy(engine, [SourceFile("zahlung_b.bpmn", text.encode())], actor="test")


def _message_rows(engine) -> int:
    with engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.messages)).scalar_one())


def test_a_message_matching_two_waiting_cases_is_refused_and_names_both(engine):
    deploy_models(engine, "messages.bpmn")
    _second_payment_process(engine)
    first = start_case(engine, "zahlung", {}, business_key="KZ-2026-1")
    second = start_case(engine, "zahlung_b", {}, business_key="KZ-2026-1")
    with pytest.raises(AmbiguousCorrelation) as caught:
        messages.correlate_message(engine, "zahlung_eingegangen", "KZ-2026-1", {"betrag": 30}, message_id="pay-9")
    error = caught.value
    assert first in error.message and second in error.message              # operators: the case ids
    assert "zahlung_eingegangen" in error.message and "KZ-2026-1" in error.message
    assert "mehreren wartenden Vorgängen" in error.user_message and first in error.user_message
    for case_id in (first, second):                                        # nobody got it ...
        view = queries.get_case(engine, case_id)
        assert "betrag" not in view["data"] and view["status"] == "waiting"
    assert _message_rows(engine) == 0                                      # ... and nothing was recorded
    # the message id stays unused: once the ambiguity is resolved the sender can retry it
    from engine.services.cases import cancel_case

    cancel_case(engine, second, reason="test")
    out = messages.correlate_message(engine, "zahlung_eingegangen", "KZ-2026-1", {"betrag": 30}, message_id="pay-9")
    assert (out.status, out.case_id) == ("delivered", first)


def test_a_message_without_key_matching_two_cases_without_key_is_refused(engine):
    deploy_models(engine, "messages.bpmn")
    _second_payment_process(engine)
    # a model may correlate on its own properties; here both wait with the same (empty) key
    a = start_case(engine, "zahlung", {})
    b = start_case(engine, "zahlung_b", {})
    with engine.db.begin() as conn:
        conn.execute(t.subscriptions.update().where(t.subscriptions.c.case_id.in_([a, b]))
                     .values(correlation_key=None))
    with pytest.raises(AmbiguousCorrelation):
        messages.correlate_message(engine, "zahlung_eingegangen", None, {"betrag": 1})


def test_her_retrieval_reaches_her_case_even_when_another_case_has_her_key(engine):
    """The reported loss: another case with her Aktenzeichen took her § 41 retrieval. The portal
    knows which case's decision was downloaded, so the message goes to exactly that case."""
    import base64

    from engine.jobs import JobExecutor
    from engine.services import delivery, documents
    from tests.fakes import FakeConnector

    fake = FakeConnector()
    fake.answer("lookup", {"filename": "bescheid.pdf", "mime_type": "application/pdf",
                           "content_base64": base64.b64encode(b"%PDF-1.7").decode()})
    engine.connectors["test"] = fake
    text = (MODELS / "bescheid.bpmn").read_text(encoding="utf-8")
    deploy(engine, [SourceFile("bescheid.bpmn", text.encode())], actor="test")
    deploy(engine, [SourceFile("bescheid_b.bpmn", text.replace('process id="bescheid"',
                                                               'process id="bescheid_b"').encode())], actor="test")
    other = start_case(engine, "bescheid_b", {}, business_key="2026-ERIKA1")   # a system chose her key there
    hers = start_case(engine, "bescheid", {}, business_key="2026-ERIKA1")
    JobExecutor(engine, "w").run_until_idle()
    [doc] = documents.list_for_case(engine, hers)
    assert delivery.record_retrieval(engine, hers, doc.id, actor="erika") == "delivered"
    assert queries.get_case(engine, hers)["status"] == "completed"
    assert queries.get_case(engine, other)["status"] == "waiting"


def test_a_payment_naming_our_case_reaches_that_case(engine):
    """ePayBL sends back our case id (fachverfahren_referenz): the payment goes to that case even if
    another process has a case with the same Kassenzeichen waiting for a payment."""
    from connectors.payment import PaymentNotification
    from webui.inbound.payment import correlate_payment

    text = (MODELS / "messages.bpmn").read_text(encoding="utf-8").replace("zahlung_eingegangen", "zahlung_gebucht")
    deploy(engine, [SourceFile("a.bpmn", text.encode())], actor="test")
    deploy(engine, [SourceFile("b.bpmn", text.replace('id="zahlung"', 'id="zahlung_b"')
                                .replace('id="eingang"', 'id="eingang_b"').encode())], actor="test")
    other = start_case(engine, "zahlung_b", {}, business_key="KZ-77")
    ours = start_case(engine, "zahlung", {}, business_key="KZ-77")
    out = correlate_payment(engine, PaymentNotification("tx-1", "KZ-77", "BOOKED", 3000, ours))
    assert (out.status, out.case_id) == ("delivered", ours)
    assert queries.get_case(engine, other)["data"].get("zahlung_status") is None
