"""Public verification page /pruefen: is this decision or certificate genuine?

Anyone (no sign-in) enters the verification code printed on a document, or uploads the PDF. The
code is checked against the document it names (``engine.services.issued`` finds it by its id,
``connectors.documents.verify_pdf`` checks the HMAC over its embedded content); an uploaded PDF is
checked on its own and never stored. The answer shows what identifies the document (number, case
number, date, type, title, authority); the full text only for an uploaded PDF, which shows it anyway.
Never the recipient's name or address for a typed code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from flask import current_app, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _

from connectors.documents import verify_pdf
from engine.services import issued
from webui.auth import engine
from webui.portal.blueprint import bp

CODE = re.compile(r"^([A-Z2-7]{12})-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")
N_ = str                                          # marks text for the catalogue; translated when shown
KIND = {"bescheid": N_("Bescheid"), "bescheinigung": N_("Bescheinigung")}


@dataclass
class Verification:
    valid: bool
    source: str                                    # "code" or "pdf"
    facts: list[tuple[str, str]] = field(default_factory=list)
    text: str | None = None


def normalise(code: str) -> str:
    return "".join(code.upper().split()).replace("–", "-")


def _german(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return str(value or "–")


def _title(content: Mapping[str, Any]) -> str:
    for line in str(content.get("text") or "").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return KIND.get(str(content.get("art")), N_("Dokument"))


def _facts(content: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(_("Prüfcode"), str(content.get("pruefcode", ""))),
            (_("Dokumentnummer"), str(content.get("dokument_id", ""))),
            (_("Art"), _(KIND.get(str(content.get("art")), N_("Dokument")))),
            (_("Betreff"), _title(content)),
            (_("Aktenzeichen"), str(content.get("aktenzeichen") or "–")),
            (_("Datum"), _german(content.get("datum"))),
            (_("Ausgestellt von"), str(content.get("behoerde") or "–"))]


def _key() -> str:
    return str(current_app.extensions["amtsflow_settings"].connector_config.get("documents_verification_key", ""))


def check_code(code: str) -> Verification:
    match = CODE.match(code)
    key = _key()
    for pdf in issued.pdfs_for_document_id(engine(), match.group(1)) if match and key else []:
        content = verify_pdf(pdf, key)
        if content is not None and normalise(str(content.get("pruefcode", ""))) == code:
            return Verification(True, "code", _facts(content))
    return Verification(False, "code")


def check_pdf(pdf: bytes) -> Verification:
    key = _key()
    content = verify_pdf(pdf, key) if key else None
    if content is None:
        return Verification(False, "pdf")
    text = "\n".join(filter(None, [str(content.get("text") or ""), str(content.get("rechtsbehelfsbelehrung") or "")]))
    return Verification(True, "pdf", _facts(content), text)


def _read_pdf(errors: dict[str, str]) -> bytes | None:
    upload = request.files.get("dokument")
    if upload is None or not upload.filename:
        return None
    limit = current_app.config["AMTSFLOW_MAX_UPLOAD_BYTES"]
    content = upload.read(limit + 1)
    if len(content) > limit:
        errors["dokument"] = _("Die Datei ist zu groß (höchstens %(mb)s MB).", mb=limit // (1024 * 1024))
    elif not content.startswith(b"%PDF-"):
        errors["dokument"] = _("Bitte wählen Sie eine PDF-Datei. Andere Dateien können nicht geprüft werden.")
    return None if errors else content


@bp.route("/pruefen", methods=["GET", "POST"])
def verify() -> Any:
    errors: dict[str, str] = {}
    result: Verification | None = None
    code = normalise(request.values.get("pruefcode") or request.args.get("code") or "")[:80]
    if request.method == "POST" or code:
        pdf = _read_pdf(errors) if request.method == "POST" else None
        if pdf is not None:
            result = check_pdf(pdf)
        elif not errors and not code:
            errors["pruefcode"] = _("Bitte geben Sie den Prüfcode ein oder wählen Sie die PDF-Datei des Dokuments.")
        elif not errors and not CODE.match(code):
            errors["pruefcode"] = _("Der Prüfcode hat nicht die richtige Form. Er besteht aus 12 Zeichen und vier "
                                    "Blöcken zu 4 Zeichen, zum Beispiel ABCDEFGHJKLM-ABCD-EFGH-JKLM-NPQR.")
        elif not errors:
            result = check_code(code)
    status = 400 if errors else 200
    summary = [(f"f-{name}", "", message) for name, message in errors.items()]
    return render_template("portal/verify.html", code=code, errors=errors, summary=summary, result=result,
                           available=bool(_key())), status


@bp.record_once
def _rate_limit(state: BlueprintSetupState) -> None:
    """Public and unauthenticated: every check counts against the public form limit."""
    limiter = state.app.extensions["amtsflow_limiter"]
    view = state.app.view_functions["portal.verify"]
    state.app.view_functions["portal.verify"] = limiter.limit(
        lambda: str(current_app.config["AMTSFLOW_FORM_RATE_LIMIT"]),
        exempt_when=lambda: request.method == "GET" and not request.args.get("code"))(view)
