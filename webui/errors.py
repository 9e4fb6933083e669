"""Error pages in German (HTML) and JSON problem documents for the API."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.domain.errors import (AmtsflowError, Conflict, DatabaseBusy, FormValidationError, NotFound,
                                  PermissionDenied)

MESSAGES = {
    400: "Die Anfrage war ungültig.",
    401: "Bitte melden Sie sich an.",
    403: "Sie sind für diese Seite nicht berechtigt.",
    404: "Die Seite wurde nicht gefunden.",
    405: "Diese Aktion ist hier nicht möglich.",
    409: "Der Vorgang wurde inzwischen geändert. Bitte laden Sie die Seite neu.",
    413: "Die Anfrage oder die hochgeladene Datei ist zu groß.",
    429: "Zu viele Anfragen. Bitte warten Sie einen Moment und versuchen Sie es dann erneut.",
    500: "Ein interner Fehler ist aufgetreten.",
    503: "Das System ist gerade ausgelastet. Bitte versuchen Sie es in einigen Sekunden erneut.",
}
RETRY_AFTER_SECONDS = 5          # 503 (busy): when to try again
CSRF_MESSAGE = ("Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. "
                "Bitte laden Sie die Seite neu und senden Sie es erneut.")


def status_of(exc: AmtsflowError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, DatabaseBusy):
        return 503
    return 422 if isinstance(exc, FormValidationError) else 400


def problem(status: int, message: str, **extra: Any) -> tuple[Any, int]:
    body = {"status": status, "title": MESSAGES.get(status, message), "detail": message, **extra}
    response = jsonify(body)
    response.mimetype = "application/problem+json"
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, status


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _render(status: int, message: str) -> Any:
    if _wants_json():
        return problem(status, message)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    return render_template("error.html", status=status, message=message), status, headers


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> tuple[Any, int]:
        return _render(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status in (301, 302, 303, 307, 308):
            return exc
        return _render(status, MESSAGES.get(status, exc.description or ""))

    @app.errorhandler(AmtsflowError)
    def _domain(exc: AmtsflowError) -> tuple[Any, int]:
        return _render(status_of(exc), exc.user_message)
