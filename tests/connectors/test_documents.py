"""PDF decisions and certificates: read back with pypdf, verification code and tamper detection."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter

from connectors.documents import create, verification_code, verify, verify_pdf
from connectors.pdf_layout import find_font
from engine.ports import ConnectorError, ServiceRequest, ServiceResult

KEY = "test-document-verification-key-0123456789"
BESCHEID = {
    "template": "bescheid_bewohnerparkausweis", "aktenzeichen": "BPA-2026-000123", "datum": "2026-01-05",
    "empfaenger": {"name": "Jürgen Müller-Lüdenscheidt", "strasse": "Parkstraße 9a", "plz_ort": "12345 Musterstadt"},
    "variables": {"antragsdatum": "2026-01-02", "zone": "C", "zonenname": "Schlossberg", "kennzeichen": "MS-JM 7",
                  "gueltig_ab": "2026-01-05", "gueltig_bis": "2027-01-04", "gebuehr_cent": 3050, "bezahlt": True},
}


def render(params: dict[str, Any], key: str = "case-1:task-3:1", **config: str) -> ServiceResult:
    connector = create({"documents_verification_key": KEY, **config})
    return connector.call("render", ServiceRequest("documents.render", params, key, "case-1"))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def bescheid() -> dict[str, Any]:
    result = render(BESCHEID)
    assert result.bpmn_error is None
    return dict(result.data, pdf=base64.b64decode(result.data["content_base64"]))


def test_decision_reads_back_with_case_number_and_legal_remedy(bescheid: dict[str, Any]) -> None:
    text = " ".join(text_of(bescheid["pdf"]).split())
    assert "Aktenzeichen: BPA-2026-000123" in text
    assert "Bescheid über die Erteilung eines Bewohnerparkausweises" in text
    assert "Rechtsbehelfsbelehrung" in text and "innerhalb eines Monats nach Bekanntgabe Widerspruch" in text
    assert "Jürgen Müller-Lüdenscheidt" in text and "Parkstraße 9a" in text           # umlauts survive
    assert "30,50 €" in text and "04.01.2027" in text
    assert f"Prüfcode: {bescheid['verification_code']}" in text
    assert bescheid["art"] == "bescheid" and bescheid["pages"] >= 1


def test_pdf_metadata_and_hash(bescheid: dict[str, Any]) -> None:
    reader = PdfReader(io.BytesIO(bescheid["pdf"]))
    assert reader.metadata.title == "Bescheid über die Erteilung eines Bewohnerparkausweises"
    assert bescheid["pdf_sha256"] == hashlib.sha256(bescheid["pdf"]).hexdigest()
    if find_font() is not None:                     # a Unicode font is embedded, not a core font
        fonts = {str(page["/Resources"]["/Font"][f]["/BaseFont"]) for page in reader.pages
                 for f in page["/Resources"]["/Font"]}
        assert any("DejaVu" in f for f in fonts)


def test_verification_code_verifies(bescheid: dict[str, Any]) -> None:
    assert verify(bescheid["verification_code"], bescheid["content_sha256"], KEY)
    assert verify(bescheid["verification_code"].lower(), bescheid["content_sha256"], KEY)
    assert bescheid["verification_url"].endswith(f"?code={bescheid['verification_code']}")


def test_changed_content_byte_fails_verification(bescheid: dict[str, Any]) -> None:
    content = PdfReader(io.BytesIO(bescheid["pdf"])).attachments["inhalt.json"][0]
    assert hashlib.sha256(content).hexdigest() == bescheid["content_sha256"]
    changed = bytearray(content)
    at = content.index(b"3050")
    changed[at] = ord("9")                          # 30,50 EUR -> 90,50 EUR
    assert not verify(bescheid["verification_code"], hashlib.sha256(bytes(changed)).hexdigest(), KEY)


def test_wrong_key_or_other_document_id_fails(bescheid: dict[str, Any]) -> None:
    code, sha = bescheid["verification_code"], bescheid["content_sha256"]
    assert not verify(code, sha, "another-key")
    assert not verify("AAAAAAAAAAAA" + code[12:], sha, KEY)
    assert not verify("", sha, KEY) and not verify(code, sha, "")
    assert verification_code(bescheid["document_id"], sha, KEY) == code


def test_verify_pdf_reads_code_and_content_from_the_file(bescheid: dict[str, Any]) -> None:
    verified = verify_pdf(bescheid["pdf"], KEY)
    assert verified is not None and verified["aktenzeichen"] == "BPA-2026-000123"
    assert verified["pruefcode"] == bescheid["verification_code"]
    assert "Rechtsbehelfsbelehrung" not in verified["text"] and verified["rechtsbehelfsbelehrung"]
    assert verify_pdf(bescheid["pdf"], "another-key") is None


def test_verify_pdf_refuses_a_file_with_altered_embedded_content(bescheid: dict[str, Any]) -> None:
    reader = PdfReader(io.BytesIO(bescheid["pdf"]))
    content = json.loads(reader.attachments["inhalt.json"][0])
    content["variablen"]["gebuehr_cent"] = 50
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.add_metadata({"/Keywords": f"Prüfcode {bescheid['verification_code']}"})
    writer.add_attachment("inhalt.json", json.dumps(content).encode())
    forged = io.BytesIO()
    writer.write(forged)
    assert verify_pdf(forged.getvalue(), KEY) is None


def test_changed_pdf_byte_is_detected(bescheid: dict[str, Any]) -> None:
    pdf = bytearray(bescheid["pdf"])
    pdf[len(pdf) // 2] ^= 0x01
    assert hashlib.sha256(bytes(pdf)).hexdigest() != bescheid["pdf_sha256"]
    assert verify_pdf(b"%PDF-1.7 kein echtes Dokument", KEY) is None


def test_same_call_renders_the_same_document(bescheid: dict[str, Any]) -> None:
    again = render(BESCHEID)
    assert again.data["document_id"] == bescheid["document_id"]
    assert again.data["pdf_sha256"] == bescheid["pdf_sha256"]
    other = render(BESCHEID, key="case-1:task-3:2")
    assert other.data["document_id"] != bescheid["document_id"]


def test_certificate_has_no_legal_remedy() -> None:
    result = render({"template": "bescheinigung_meldebestaetigung", "aktenzeichen": "MB-2026-000001",
                     "datum": "2026-01-15", "empfaenger": {"name": "Jonas Weber", "strasse": "Marktplatz 8",
                                                           "plz_ort": "12345 Musterstadt"},
                     "variables": {"familienname": "Weber", "vornamen": "Jonas", "geburtsdatum": "1985-11-02",
                                   "anschrift": "Marktplatz 8, 12345 Musterstadt", "wohnungsstatus": "Hauptwohnung",
                                   "einzugsdatum": "2026-01-15", "meldebestaetigung_referenz": "MB-2026-000001"}})
    text = text_of(base64.b64decode(result.data["content_base64"]))
    assert result.data["art"] == "bescheinigung" and "Meldebestätigung" in text
    assert "Rechtsbehelfsbelehrung" not in text and "15.01.2026" in text


def test_legal_remedy_can_be_an_action_at_court() -> None:
    result = render(BESCHEID, documents_legal_remedy="klage", documents_court="Verwaltungsgericht Musterstadt")
    text = " ".join(text_of(base64.b64decode(result.data["content_base64"])).split())
    assert "Klage beim Verwaltungsgericht Musterstadt" in text and "Widerspruch" not in text


def test_missing_variable_or_key_is_a_technical_error() -> None:
    params = dict(BESCHEID, variables={"zone": "A"})
    with pytest.raises(ConnectorError, match="undefined"):
        render(params)
    connector = create({})
    with pytest.raises(ConnectorError, match="verification key"):
        connector.call("render", ServiceRequest("documents.render", BESCHEID, "k", "case-1"))


def test_without_a_unicode_font_the_text_is_folded_to_latin1(tmp_path: Any) -> None:
    result = render(dict(BESCHEID, template="bescheid_ablehnung",
                         variables={"leistung": "Bewohnerparkausweis", "antragsdatum": "2026-01-02",
                                    "begruendung": "Die Wohnung liegt außerhalb der Zone – leider.",
                                    "gebuehr_cent": 1500, "rechtsgrundlage": "§ 45 StVO"}),
                         documents_font=str(tmp_path))
    text = " ".join(text_of(base64.b64decode(result.data["content_base64"])).split())
    assert "Jürgen Müller-Lüdenscheidt" in text and "außerhalb der Zone - leider" in text
    assert "15,00 EUR" in text and "Rechtsbehelfsbelehrung" in text


@pytest.mark.parametrize("change,named", [
    ({"variables": {**BESCHEID["variables"], "zone": None, "zonenname": None}}, "zone, zonenname"),
    ({"variables": {**BESCHEID["variables"], "kennzeichen": ""}}, "kennzeichen"),
    ({"empfaenger": {"name": "Erika Mustermann", "strasse": None, "plz_ort": None}},
     "empfaenger.strasse, empfaenger.plz_ort"),
    ({"empfaenger": {**BESCHEID["empfaenger"], "strasse": "  "}}, "empfaenger.strasse"),
])
def test_a_document_with_a_missing_value_is_not_made(change: dict[str, Any], named: str) -> None:
    """Issue 14: a manual approval produced "Bewohnerparkzone None (None)" without an address."""
    with pytest.raises(ConnectorError, match=f"values missing: {named}$"):
        render({**BESCHEID, **change})
