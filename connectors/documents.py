"""``documents``: decisions (Bescheide) and certificates (Bescheinigungen) as PDF, verifiable.

Templates live in ``connectors/templates/documents``: ``bescheid_*`` get the legal-remedy text
(Rechtsbehelfsbelehrung: objection or, where the Land abolished it, action at court), while
``bescheinigung_*`` do not. Each document carries a verification code and a QR code:

* ``content`` = canonical JSON of what the document says (template, case number, date, recipient,
  variables and the full rendered text); it is embedded in the PDF as ``inhalt.json``.
* ``content_sha256`` = SHA-256 of ``content``.
* code = ``<document id>-<HMAC-SHA256(key, document id + "\\n" + content_sha256), 16 base32 chars>``.

``verify(code, content_sha256, key)`` checks a code against a hash; ``verify_pdf(pdf, key)`` reads
code and embedded content from a PDF (a public verification page does this with an upload).
The code cannot cover the PDF bytes themselves because it is printed inside them; ``pdf_sha256``
in the result fixes the exact file for storage and hand-over.

Configuration: ``documents_verification_key`` (required), ``documents_verify_url``,
``documents_authority``, ``documents_office``, ``documents_authority_address``,
``documents_legal_remedy`` (widerspruch|klage), ``documents_court``, ``documents_court_address``,
``documents_font`` (a TTF file or a directory holding DejaVuSans.ttf).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from connectors.base import BaseConnector, obj, operation
from connectors.mail import euro
from connectors.pdf_layout import Letter, render_pdf
from engine.ports import ConnectorError, ServiceRequest

TEMPLATES = Path(__file__).parent / "templates" / "documents"
BERLIN = ZoneInfo("Europe/Berlin")
S = {"type": "string", "minLength": 1}


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.txt") if p.stem.startswith(("bescheid_", "bescheinigung_")))


def _b32(data: bytes, length: int) -> str:
    return base64.b32encode(data).decode("ascii")[:length]


def document_id_for(idempotency_key: str) -> str:
    """Stable per service call: a retried rendering yields the same document id."""
    return _b32(hashlib.sha256(b"amtsflow-document:" + idempotency_key.encode()).digest(), 12)


def verification_code(document_id: str, content_sha256: str, key: str) -> str:
    mac = _b32(hmac.new(key.encode(), f"{document_id}\n{content_sha256}".encode(), hashlib.sha256).digest(), 16)
    return "-".join([document_id, mac[0:4], mac[4:8], mac[8:12], mac[12:16]])


def verify(code: str, content_sha256: str, key: str) -> bool:
    """True when ``code`` was issued by us for a document whose content has ``content_sha256``."""
    if not key or not code:
        return False
    document_id = code.strip().upper().split("-", 1)[0]
    expected = verification_code(document_id, content_sha256.strip().lower(), key)
    return hmac.compare_digest(expected.encode(), "".join(code.upper().split()).encode())


def verify_pdf(pdf: bytes, key: str) -> dict[str, Any] | None:
    """The verified content of a PDF made here, or None (forged, altered or not ours).
    Needs pypdf."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        keywords = str(reader.metadata.get("/Keywords", "")) if reader.metadata else ""
        contents = reader.attachments.get("inhalt.json") or []
    except (PyPdfError, ValueError, KeyError, OSError):
        return None
    code = keywords.rsplit(" ", 1)[-1]
    if len(contents) != 1 or not verify(code, hashlib.sha256(contents[0]).hexdigest(), key):
        return None
    return dict(json.loads(contents[0]), pruefcode=code)


def _german_date(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


RECIPIENT_FIELDS = ("name", "strasse", "plz_ort")   # a document names whom it is for and where they live
_PROVIDED = {"empfaenger", "aktenzeichen", "behoerde", "behoerde_anschrift", "gericht", "gericht_anschrift", "datum"}


def missing_values(template: str, variables: Mapping[str, Any], recipient: Mapping[str, Any]) -> list[str]:
    """What the document would print empty or as "None": each variable the template uses that
    the model passes as None or blank text, and each recipient field passed so. A variable the
    model does not pass at all is the template's business (``is defined``; used unguarded it
    fails as undefined); a model that needs the recipient's address passes its fields always."""
    try:
        source = (TEMPLATES / f"{template}.txt").read_text(encoding="utf-8")
        used = meta.find_undeclared_variables(_environment().parse(source)) - _PROVIDED
    except (OSError, TemplateError) as exc:
        raise ConnectorError(f"documents: template '{template}' cannot be read: {exc}") from exc
    missing = [name for name in sorted(used) if name in variables and _blank(variables[name])]
    return missing + [f"empfaenger.{name}" for name in RECIPIENT_FIELDS
                      if _blank(recipient.get(name)) and (name in recipient or name == "name")]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters.update(euro=euro, datum=_german_date)
    return env


class DocumentsConnector(BaseConnector):
    name = "documents"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__()
        self.key = config.get("documents_verification_key", "")
        self.verify_url = config.get("documents_verify_url", "https://musterstadt.example/pruefen")
        self.authority = config.get("documents_authority", "Stadt Musterstadt")
        self.office = config.get("documents_office", "Bürgeramt")
        self.address = config.get("documents_authority_address", "Rathausplatz 1, 12345 Musterstadt")
        self.remedy = config.get("documents_legal_remedy", "widerspruch")
        self.court = config.get("documents_court", "Verwaltungsgericht Musterstadt")
        self.court_address = config.get("documents_court_address", "Gerichtsstraße 5, 12345 Musterstadt")
        self.font = config.get("documents_font") or None
        if self.remedy not in ("widerspruch", "klage"):
            raise ValueError("documents_legal_remedy must be 'widerspruch' or 'klage'")

    def _render_text(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            source = (TEMPLATES / f"{name}.txt").read_text(encoding="utf-8")
            return _environment().from_string(source).render(**context).strip()
        except TemplateError as exc:
            raise ConnectorError(f"documents: template '{name}' cannot be rendered: {exc}") from exc

    @operation("render", "Bescheid oder Bescheinigung als PDF erzeugen (mit Aktenzeichen, "
               "Rechtsbehelfsbelehrung bei Bescheiden und Prüfcode/QR-Code)",
               params=obj({"template": {"enum": template_names()}, "aktenzeichen": S,
                           "empfaenger": obj({"name": S, "strasse": {"type": ["string", "null"]},
                                              "plz_ort": {"type": ["string", "null"]}},
                                             ("name",)),
                           "datum": {"type": "string", "format": "date"}, "variables": {"type": "object"}},
                          ("template", "aktenzeichen", "empfaenger")),
               result=obj({"document_id": S, "filename": S, "mime_type": {"const": "application/pdf"},
                           "art": {"enum": ["bescheid", "bescheinigung"]}, "content_base64": S,
                           "pdf_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                           "content_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                           "verification_code": S, "verification_url": S, "pages": {"type": "integer"}},
                          ("document_id", "filename", "mime_type", "art", "content_base64", "pdf_sha256",
                           "content_sha256", "verification_code", "verification_url", "pages")))
    def render(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        if not self.key:
            raise ConnectorError("documents: no verification key configured (documents_verification_key)")
        template = params["template"]
        missing = missing_values(template, params.get("variables") or {}, params["empfaenger"])
        if missing:   # an incident for the operator, never a document that reads "None"
            raise ConnectorError(f"documents: '{template}' for {params['aktenzeichen']} not made, values missing: "
                                 f"{', '.join(missing)}")
        kind = "bescheid" if template.startswith("bescheid_") else "bescheinigung"
        issued_on = date.fromisoformat(params["datum"]) if params.get("datum") else datetime.now(BERLIN).date()
        issued = datetime.combine(issued_on, time(8, 0), tzinfo=timezone.utc)
        doc_id = document_id_for(request.idempotency_key)
        recipient = params["empfaenger"]
        context = {**(params.get("variables") or {}), "empfaenger": recipient, "aktenzeichen": params["aktenzeichen"],
                   "behoerde": self.authority, "behoerde_anschrift": self.address, "gericht": self.court,
                   "gericht_anschrift": self.court_address, "datum": issued_on.isoformat()}
        body = self._render_text(template, context)
        remedy = self._render_text(f"rechtsbehelfsbelehrung_{self.remedy}", context) if kind == "bescheid" else None
        content = json.dumps({"dokument_id": doc_id, "vorlage": template, "art": kind, "behoerde": self.authority,
                              "aktenzeichen": params["aktenzeichen"], "datum": issued_on.isoformat(),
                              "empfaenger": recipient, "variablen": params.get("variables") or {},
                              "text": body, "rechtsbehelfsbelehrung": remedy},
                             ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()
        content_sha = hashlib.sha256(content).hexdigest()
        code = verification_code(doc_id, content_sha, self.key)
        letter = Letter(self.authority, self.office, self.address,
                        [line for line in (recipient.get("name"), recipient.get("strasse"), recipient.get("plz_ort"))
                         if line], issued_on.strftime("%d.%m.%Y"), params["aktenzeichen"], doc_id, body, remedy,
                        code, self.verify_url, content, issued)
        try:
            pdf, pages = render_pdf(letter, self.font)
        except (OSError, RuntimeError, ValueError) as exc:
            raise ConnectorError(f"documents: PDF rendering failed: {type(exc).__name__}: {exc}") from exc
        return {"document_id": doc_id, "filename": f"{template}_{doc_id}.pdf", "mime_type": "application/pdf",
                "art": kind, "content_base64": base64.b64encode(pdf).decode("ascii"),
                "pdf_sha256": hashlib.sha256(pdf).hexdigest(), "content_sha256": content_sha,
                "verification_code": code, "verification_url": f"{self.verify_url}?code={code}", "pages": pages}


def create(config: Mapping[str, str]) -> DocumentsConnector:
    return DocumentsConnector(config)
