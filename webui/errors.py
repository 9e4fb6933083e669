"""Error pages in German (HTML) and problem documents for the API (RFC 9457,
``application/problem+json``) in the language the client asks for (Accept-Language: German by
default, English available): a title per status, a detail that says what was wrong, and for a
refusal the roles that would be allowed (``required_roles``)."""

from __future__ import annotations

from typing import Any, Iterable, NoReturn

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.domain.errors import (AmtsflowError, Conflict, DatabaseBusy, DatabaseUnreachable, FormValidationError,
                                  NotFound, PermissionDenied)
from engine.outage import database_errors, reason, unreachable

N_ = str                         # marks text for the catalogue; translated when the answer is made

MESSAGES = {
    400: N_("Die Anfrage war ungültig."),
    401: N_("Bitte melden Sie sich an."),
    403: N_("Sie sind für diese Seite nicht berechtigt."),
    404: N_("Die Seite wurde nicht gefunden."),
    405: N_("Diese Aktion ist hier nicht möglich."),
    409: N_("Der Vorgang wurde inzwischen geändert. Bitte laden Sie die Seite neu."),
    413: N_("Die Anfrage oder die hochgeladene Datei ist zu groß."),
    429: N_("Zu viele Anfragen. Bitte warten Sie einen Moment und versuchen Sie es dann erneut."),
    500: N_("Ein interner Fehler ist aufgetreten."),
    503: N_("Das System ist gerade ausgelastet. Bitte versuchen Sie es in einigen Sekunden erneut."),
}
API_TITLES = {
    400: N_("Ungültige Anfrage"), 401: N_("Nicht angemeldet"), 403: N_("Keine Berechtigung"),
    404: N_("Nicht gefunden"), 405: N_("Methode nicht erlaubt"), 409: N_("Konflikt"),
    413: N_("Anfrage zu groß"), 415: N_("Format nicht unterstützt"), 422: N_("Daten abgelehnt"),
    429: N_("Zu viele Anfragen"), 500: N_("Interner Fehler"), 503: N_("Vorübergehend nicht verfügbar"),
}
API_DETAILS = {          # HTTP errors that carry no message of their own
    405: N_("Die Methode %(method)s ist für %(path)s nicht erlaubt."),
    404: N_("Die Adresse %(path)s gibt es in dieser API nicht."),
}
ROLE_NAMES = {"citizen": N_("Bürgerin/Bürger"), "clerk": N_("Sachbearbeitung"), "owner": N_("Prozessverantwortung"),
              "admin": N_("Administration")}
RETRY_AFTER_SECONDS = 5          # 503 (busy): when to try again
CSRF_MESSAGE = N_("Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. "
                  "Bitte laden Sie die Seite neu und senden Sie es erneut.")


def status_of(exc: AmtsflowError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, (DatabaseBusy, DatabaseUnreachable)):
        return 503
    return 422 if isinstance(exc, FormValidationError) else 400


def as_unreachable(exc: Exception) -> DatabaseUnreachable:
    """A database error that means the database does not answer, as the DatabaseUnreachable to
    answer (503), logged in one line; any other database error is raised again (a 500 with its
    stack in the log, as before)."""
    if isinstance(exc, DatabaseUnreachable):
        return exc
    if not unreachable(exc):
        raise exc
    said = reason(exc)
    current_app.logger.warning("database does not answer: %s %s: %s", request.method, request.path, said)
    return DatabaseUnreachable(f"the database does not answer: {said}")


def problem(status: int, message: str, **extra: Any) -> tuple[Any, int]:
    """An RFC 9457 problem answer. ``message`` is the detail, translated here when the catalogue
    has it (callers with placeholders pass text translated already)."""
    title = _(API_TITLES[status]) if status in API_TITLES else _(MESSAGES.get(status, message))
    body = {"type": "about:blank", "title": title, "status": status, "detail": _(message) if message else title,
            **extra}
    response = jsonify(body)
    response.mimetype = "application/problem+json"
    response.status_code = status
    response.headers["Content-Language"] = str(get_locale() or "de")
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, status


def role_names(roles: Iterable[str]) -> str:
    """'Sachbearbeitung (clerk) oder Administration (admin)' in the answer's language."""
    named = [f"{_(ROLE_NAMES.get(r, r))} ({r})" for r in roles]
    return named[0] if len(named) == 1 else _("%(some)s oder %(last)s", some=", ".join(named[:-1]), last=named[-1])


def refuse(roles: Iterable[str], message: str | None = None) -> NoReturn:
    """Stop the request with a 403 that names the roles that would be allowed."""
    wanted = list(roles)
    abort(problem(403, message or _("Dafür ist die Rolle %(roles)s nötig.", roles=role_names(wanted)),
                  required_roles=wanted)[0])


def _api_detail(status: int, exc: HTTPException) -> str:
    if status in API_DETAILS:
        return str(_(API_DETAILS[status], method=request.method, path=request.path))
    return _(MESSAGES[status]) if status in MESSAGES else exc.description or ""


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _render(status: int, message: str) -> Any:
    if _wants_json():
        return problem(status, message)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    return render_template("error.html", status=status, message=message), status, headers


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> Any:
        return _render(400, _(CSRF_MESSAGE))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status in (301, 302, 303, 307, 308):
            return exc
        if _wants_json():
            return problem(status, _api_detail(status, exc))
        return _render(status, _(MESSAGES[status]) if status in MESSAGES else exc.description or "")

    @app.errorhandler(AmtsflowError)
    def _domain(exc: AmtsflowError) -> Any:
        return _render(status_of(exc), exc.user_message)

    def _database(exc: Exception) -> Any:
        return _render(503, as_unreachable(exc).user_message)

    for kind in database_errors():
        app.register_error_handler(kind, _database)
