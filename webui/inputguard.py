"""The web boundary for input: body size per kind of request, storable text in the URL and in
form fields, strict JSON. Runs before every view (and before the CSRF check reads the form).

- A request body that is not ``multipart/form-data`` (JSON, plain forms) may be at most
  ``AMTSFLOW_MAX_BODY_BYTES`` (1 MiB); uploads keep ``MAX_CONTENT_LENGTH``.
- Path, query parameters, form fields and upload file names must not hold NUL characters or
  lone surrogates: PostgreSQL cannot store the first, no database the second (400, German).
- JSON bodies are parsed by engine.services.inbound.parse_json: NaN, Infinity, 1e309 and
  nesting deeper than the parser can go are refused (400) instead of stored.
The engine checks the data itself again (inbound.check_data) for every entry point.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider

from engine.domain.errors import InvalidInput
from engine.services.inbound import parse_json, text_problem

BAD_TEXT = "Die Anfrage enthält unzulässige Zeichen ({where} {problem})."


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with strict parsing of request bodies (answers are written as before)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)


def init_input_guard(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.before_request(_guard)


def _guard() -> None:
    if request.mimetype != "multipart/form-data":
        request.max_content_length = min(current_app.config["AMTSFLOW_MAX_BODY_BYTES"],
                                         current_app.config["MAX_CONTENT_LENGTH"])
    _check("Adresse", request.path)
    for name, value in request.args.items(multi=True):
        _check("Parameter", name, value)
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, value in request.form.items(multi=True):
            _check("Feld", name, value)
        for name, upload in request.files.items(multi=True):
            _check("Datei", name, upload.filename or "")


def _check(where: str, *texts: object) -> None:
    for text in texts:
        problem = text_problem(text) if isinstance(text, str) else None
        if problem is not None:
            raise InvalidInput(f"request refused: {where} {problem}", user_message=BAD_TEXT.format(
                where=where, problem=problem))
