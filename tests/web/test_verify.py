"""Public verification page /pruefen: by Prüfcode (document found in the document store or in case
data) and by PDF upload; altered, foreign and malformed input is answered in German, nothing stored."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from connectors.documents import create as documents_connector
from engine.persistence.document_tables import documents as documents_table
from engine.ports import ServiceRequest
from engine.services import cases, documents
from engine.services.deploy import deploy, read_paths
from tests.web.conftest import csrf_token, make_app
from tests.web.helpers import MODELS, PDF, PNG

KEY = "test-document-verification-key-0123456789"
BESCHEID = {
    "template": "bescheid_bewohnerparkausweis", "aktenzeichen": "2026-BPA123", "datum": "2026-01-05",
    "empfaenger": {"name": "Jürgen Müller-Lüdenscheidt", "strasse": "Parkstraße 9a", "plz_ort": "12345 Musterstadt"},
    "variables": {"antragsdatum": "2026-01-02", "zone": "C", "zonenname": "Schlossberg", "kennzeichen": "MS-JM 7",
                  "gueltig_ab": "2026-01-05", "gueltig_bis": "2027-01-04", "gebuehr_cent": 3050, "bezahlt": True},
}


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    result = documents_connector({"documents_verification_key": KEY}).call(
        "render", ServiceRequest("documents.render", BESCHEID, "case-1:task-9", "case-1"))
    return dict(result.data, pdf=base64.b64decode(result.data["content_base64"]))


@pytest.fixture
def verify_client(web_engine: Any) -> Any:
    return make_app(web_engine, connector_config={"documents_verification_key": KEY}).test_client()


def _post(client: Any, **data: Any) -> Any:
    token = csrf_token(client, "/pruefen")
    return client.post("/pruefen", data={"csrf_token": token, **data}, content_type="multipart/form-data")


def test_page_is_public_german_and_explains_itself(verify_client):
    page = verify_client.get("/pruefen")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="de">' in text
    assert "Prüfcode" in text and 'for="f-pruefcode"' in text and 'for="f-dokument"' in text
    assert "nicht gespeichert" in text and "derzeit nicht möglich" not in text


def test_uploaded_pdf_is_verified_and_its_content_shown(verify_client, web_engine, rendered):
    answer = _post(verify_client, dokument=(io.BytesIO(rendered["pdf"]), "bescheid.pdf"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Das Dokument ist echt." in page
    for fact in (rendered["verification_code"], rendered["document_id"], "2026-BPA123", "05.01.2026", "Bescheid",
                 "Bescheid über die Erteilung eines Bewohnerparkausweises"):
        assert fact in page
    assert "Schlossberg" in page                                    # the verified text, as the document shows it
    with web_engine.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents_table)).scalar() == 0


def test_code_verifies_a_document_kept_in_case_data_without_personal_data(verify_client, web_engine, rendered):
    deploy(web_engine, read_paths([str(MODELS / "gebuehr.bpmn")]), actor="po")
    result = {k: v for k, v in rendered.items() if k != "pdf"}
    cases.start_case(web_engine, "gebuehr", {"bescheid": result}, business_key="2026-BPA123", actor="erika", internal=True)
    page = verify_client.get(f"/pruefen?code={rendered['verification_code']}").get_data(as_text=True)
    assert "Das Dokument ist echt." in page and rendered["document_id"] in page and "2026-BPA123" in page
    assert "Müller-Lüdenscheidt" not in page and "Parkstraße" not in page and "Schlossberg" not in page
    spaced = " ".join(rendered["verification_code"].lower())         # typed with spaces and in lower case
    assert "Das Dokument ist echt." in _post(verify_client, pruefcode=spaced).get_data(as_text=True)


def test_code_verifies_a_decision_in_the_document_store(verify_client, web_engine, rendered):
    documents.store(web_engine, f"bescheid_bewohnerparkausweis_{rendered['document_id']}.pdf", rendered["pdf"],
                    uploaded_by="worker", kind="decision")
    page = _post(verify_client, pruefcode=rendered["verification_code"]).get_data(as_text=True)
    assert "Das Dokument ist echt." in page and "Müller-Lüdenscheidt" not in page


def test_unknown_or_forged_code_is_not_confirmed(verify_client, web_engine, rendered):
    documents.store(web_engine, f"x_{rendered['document_id']}.pdf", rendered["pdf"], uploaded_by="w", kind="decision")
    forged = rendered["verification_code"][:-4] + ("AAAA" if not rendered["verification_code"].endswith("AAAA")
                                                   else "BBBB")
    for code in (forged, "ABCDEFGHJKLM-ABCD-EFGH-JKLM-NPQR"):
        answer = _post(verify_client, pruefcode=code)
        assert answer.status_code == 200
        assert "Das Dokument konnte nicht bestätigt werden." in answer.get_data(as_text=True)


def test_altered_pdf_is_not_confirmed(verify_client, rendered):
    reader = PdfReader(io.BytesIO(rendered["pdf"]))
    writer = PdfWriter()
    for pdf_page in reader.pages:
        writer.add_page(pdf_page)
    writer.add_metadata({"/Keywords": f"Prüfcode {rendered['verification_code']}"})
    writer.add_attachment("inhalt.json", reader.attachments["inhalt.json"][0].replace(b"2026-BPA123", b"2026-BPA999"))
    altered = io.BytesIO()
    writer.write(altered)
    for pdf in (altered.getvalue(), PDF):
        page = _post(verify_client, dokument=(io.BytesIO(pdf), "bescheid.pdf")).get_data(as_text=True)
        assert "Das Dokument konnte nicht bestätigt werden." in page and "2026-BPA999" not in page


@pytest.mark.parametrize("data,message", [
    ({}, "Bitte geben Sie den Prüfcode ein oder wählen Sie die PDF-Datei"),
    ({"pruefcode": "12345"}, "nicht die richtige Form"),
    ({"dokument": (io.BytesIO(PNG), "bescheid.pdf")}, "Bitte wählen Sie eine PDF-Datei"),
])
def test_bad_input_is_answered_in_german(verify_client, data, message):
    answer = _post(verify_client, **data)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in page and 'id="error-summary"' in page
    assert "<title>Fehler:" in page


def test_oversized_upload_is_refused(web_engine):
    client = make_app(web_engine, connector_config={"documents_verification_key": KEY},
                      AMTSFLOW_MAX_UPLOAD_BYTES=1024).test_client()
    answer = _post(client, dokument=(io.BytesIO(b"%PDF-1.4" + b"0" * 4096), "gross.pdf"))
    assert answer.status_code == 400 and "zu groß" in answer.get_data(as_text=True)


def test_without_a_key_the_page_says_verification_is_unavailable(client, rendered):
    page = client.get(f"/pruefen?code={rendered['verification_code']}").get_data(as_text=True)
    assert "Die Prüfung ist derzeit nicht möglich." in page and "Das Dokument ist echt." not in page


def test_checks_are_rate_limited(web_engine, rendered):
    app = make_app(web_engine, connector_config={"documents_verification_key": KEY}, RATELIMIT_ENABLED=True,
                   AMTSFLOW_FORM_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert client.get("/pruefen").status_code == 200
    codes = [client.get(f"/pruefen?code={rendered['verification_code']}").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/pruefen").status_code == 200                 # the empty form stays reachable


def test_code_verifies_a_decision_the_engine_generated(verify_client, web_engine):
    """The real path: a model renders the decision, the job executor stores it, the code on it verifies."""
    from engine.jobs import JobExecutor
    from engine.services import queries
    web_engine.connectors["documents"] = documents_connector({"documents_verification_key": KEY})
    deploy(web_engine, read_paths([str(MODELS / "bescheid-erstellen.bpmn")]), actor="po")
    case_id = cases.start_case(web_engine, "bescheid_erstellen", {"empfaenger": BESCHEID["empfaenger"],
                                                                  "variablen": BESCHEID["variables"]},
                               business_key="2026-ECHT01", actor="erika", internal=True)
    JobExecutor(web_engine, "w1").run_until_idle()
    view = queries.get_case(web_engine, case_id)
    assert view["status"] == "completed" and "content_base64" not in view["data"]["bescheid"]
    page = _post(verify_client, pruefcode=view["data"]["bescheid"]["verification_code"]).get_data(as_text=True)
    assert "Das Dokument ist echt." in page and "2026-ECHT01" in page and "Müller-Lüdenscheidt" not in page
