"""§ 41 (2a) VwVfG: retrieving a decision reaches the waiting case; without retrieval, post."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from engine.jobs import JobExecutor
from engine.services import cases, delivery, documents, queries
from tests.fakes import FakeConnector
from tests.integration.helpers import deploy_models


@pytest.fixture
def decided(engine):
    fake = FakeConnector()
    fake.answer("lookup", {"filename": "bescheid.pdf", "mime_type": "application/pdf",
                           "content_base64": base64.b64encode(b"%PDF-1.7").decode()})
    engine.connectors["test"] = fake
    deploy_models(engine, "bescheid.bpmn")
    case_id = cases.start_case(engine, "bescheid", {}, business_key="2026-ABRUF1")
    JobExecutor(engine, "w").run_until_idle()
    [doc] = documents.list_for_case(engine, case_id)
    return case_id, doc.id


def test_first_retrieval_delivers_the_decision(engine, decided):
    case_id, document_id = decided
    assert delivery.record_retrieval(engine, case_id, document_id, actor="erika") == "delivered"
    view = queries.get_case(engine, case_id)
    assert view["status"] == "completed" and view["data"]["abgerufen_am"]
    assert delivery.record_retrieval(engine, case_id, document_id, actor="erika") == "ignored"


def test_not_retrieved_within_ten_days_goes_to_postal_delivery(engine, decided, clock):
    case_id, document_id = decided
    clock.advance(timedelta(days=10, seconds=1))
    JobExecutor(engine, "w").run_until_idle()
    assert [t["element_id"] for t in queries.list_tasks(engine, case_id=case_id)] == ["post"]
    assert delivery.record_retrieval(engine, case_id, document_id, actor="erika") == "ignored"  # too late: by post


def test_attachments_are_not_decisions(engine, decided):
    case_id, _ = decided
    upload = documents.store(engine, "nachweis.pdf", b"%PDF-1.4 x", uploaded_by="erika", case_id=case_id)
    assert delivery.record_retrieval(engine, case_id, upload.id, actor="erika") == "ignored"
    assert queries.get_case(engine, case_id)["status"] == "waiting"
