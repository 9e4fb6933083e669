"""Issue 12.5: an application's case, its data and its uploaded documents are written in one
transaction, and sending the same form again (double click, resend) starts no second case."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from engine.persistence import tables as t
from engine.persistence.document_tables import documents as documents_table
from engine.services import documents, queries
from tests.web.conftest import CSRF, login_as
from tests.web.helpers import PDF
from tests.web.test_forms import VALID

FORM = "/leistungen/webantrag/antrag"
TOKEN = re.compile(r'name="antrag_id" value="([^"]+)"')


def _form(web: Any) -> dict[str, str]:
    page = login_as(web.client, "erika").get(FORM).get_data(as_text=True)
    csrf, token = CSRF.search(page), TOKEN.search(page)
    assert csrf
    return {"csrf_token": csrf.group(1), **({"antrag_id": token.group(1)} if token else {})}


def _send(web: Any, hidden: dict[str, str]) -> Any:
    body = {**hidden, **VALID, "nachweis": (io.BytesIO(PDF), "fahrzeugschein.pdf")}
    return web.client.post(FORM, data=body, content_type="multipart/form-data")


def test_the_same_form_sent_twice_starts_one_case(web: Any) -> None:
    hidden = _form(web)
    first, again = _send(web, hidden), _send(web, hidden)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]       # the first case's receipt
    assert web.count(t.cases) == 1 and web.count(documents_table) == 1
    assert _send(web, _form(web)).status_code == 302                     # a new form is a new application
    assert web.count(t.cases) == 2


def test_case_and_documents_are_stored_together(web: Any) -> None:
    assert _send(web, _form(web)).status_code == 302
    [case] = queries.list_cases(web.engine, limit=10)
    view = queries.get_case(web.engine, case["id"])
    [doc] = documents.list_for_case(web.engine, case["id"])
    assert view["data"]["nachweis"] == doc.id and doc.uploaded_by == "erika" and doc.filename == "fahrzeugschein.pdf"


def test_when_storing_a_document_fails_no_case_is_started(web: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        @staticmethod
        def sha256(_: bytes) -> Any:
            raise RuntimeError("document store unavailable")

    monkeypatch.setattr(documents, "hashlib", Broken)
    with pytest.raises(RuntimeError, match="document store unavailable"):
        _send(web, _form(web))
    assert web.count(t.cases) == 0 and web.count(documents_table) == 0 and web.count(t.jobs) == 0
    monkeypatch.undo()
    assert _send(web, _form(web)).status_code == 302 and web.count(t.cases) == 1


def test_a_form_without_its_application_token_is_sent_back(web: Any) -> None:
    hidden = _form(web)
    response = _send(web, {"csrf_token": hidden["csrf_token"]})
    assert response.status_code == 400 and "noch einmal ab" in response.get_data(as_text=True)
    assert TOKEN.search(response.get_data(as_text=True))                # a fresh token to send it again
    assert web.count(t.cases) == 0
