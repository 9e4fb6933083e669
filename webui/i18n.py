"""German first, English available: ``?lang=en`` switches for the session; the API follows the
request's Accept-Language (German unless English is preferred)."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale

LANGUAGES = ("de", "en")


def select_locale() -> str:
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES, default="de") or "de"
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
        return wanted
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "de"


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _language() -> dict[str, object]:
        return {"current_lang": str(get_locale() or "de"), "languages": LANGUAGES}
