"""CSRF, security headers, cookies, rate limits, languages, assets."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_token, login_as, make_app


def test_every_page_sends_a_strict_csp_and_security_headers(client):
    for path in ("/", "/anmelden", "/api/v1/openapi.json", "/gibtsnicht"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_no_inline_scripts_or_styles_in_pages(client, deployed):
    login_as(client, "erika")
    for path in ("/", "/leistungen/webantrag/antrag", "/meine-antraege", "/barrierefreiheit"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onclick" not in page
        assert '<html lang="de">' in page and 'href="#inhalt"' in page


def test_post_without_csrf_token_is_refused_in_german(client, web_engine, deployed):
    login_as(client, "erika")
    response = client.post("/leistungen/webantrag/antrag", data={"name": "x"})
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in response.get_data(as_text=True)
    response = client.post("/anmelden", data={"username": "sb1", "password": "x", "csrf_token": "gefaelscht"})
    assert response.status_code == 400


def test_api_writes_with_a_session_need_the_csrf_header(client):
    login_as(client, "erika")
    response = client.post("/api/v1/cases", json={"key": "webantrag", "data": {}})
    assert response.status_code == 400 and response.is_json
    token = csrf_token(client, "/meine-antraege")
    response = client.post("/api/v1/cases", json={"key": "gibtsnicht", "data": {}}, headers={"X-CSRFToken": token})
    assert response.status_code == 404          # got past CSRF to the engine


def test_session_cookie_is_secure_httponly_and_lax(web_engine, passwords):
    app = make_app(web_engine, TESTING=False)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    token = csrf_token(client)
    cookie = client.get_cookie("amtsflow_session")
    assert cookie is not None and cookie.secure and cookie.http_only and cookie.same_site == "Lax"
    assert token


def test_no_secret_means_no_sessions_outside_demo(web_engine):
    from engine.settings import Settings
    from webui.app import create_app
    from engine.domain.errors import ConfigurationError
    with pytest.raises(ConfigurationError, match="AMTSFLOW_SECRET_KEY is not set"):   # at start, not per request
        create_app(Settings(database_url=str(web_engine.db.url)), engine=web_engine)


def test_public_forms_are_rate_limited(web_engine, passwords):
    app = make_app(web_engine, RATELIMIT_ENABLED=True, AMTSFLOW_LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = csrf_token(client)
    statuses = [client.post("/anmelden", data={"csrf_token": token, "username": "sb1", "password": "falsch"}).status_code
                for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    response = client.post("/anmelden", data={"csrf_token": token, "username": "sb1", "password": "falsch"})
    assert "Zu viele Anfragen" in response.get_data(as_text=True)
    assert client.get("/anmelden").status_code == 200        # reading is not limited


def test_english_is_available_and_german_is_the_default(client):
    assert '<html lang="de">' in client.get("/").get_data(as_text=True)
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Skip to content" in page and "Online services" in page
    assert '<html lang="en">' in client.get("/impressum").get_data(as_text=True)     # kept in the session
    assert '<html lang="de">' in client.get("/?lang=de").get_data(as_text=True)


def test_kern_styles_are_served_from_node_modules_and_nothing_else(client):
    with client.get("/assets/kern/kern.min.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
    assert client.get("/assets/kern/../../../pyproject.toml").status_code == 404
    assert client.get("/assets/kern/package.json").status_code == 404
    with client.get("/assets/bpmn-js/bpmn-navigated-viewer.production.min.js") as response:
        assert response.status_code == 200


def test_compiled_english_catalog_matches_its_source():
    from pathlib import Path
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po
    folder = Path(__file__).resolve().parents[2] / "webui" / "translations" / "en" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po, open(folder / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    def entries(catalog: object) -> dict[object, object]:   # plural messages: sequences of ids and strings
        def key(value: object) -> object:
            return tuple(value) if isinstance(value, (list, tuple)) else value
        return {key(m.id): key(m.string) for m in catalog if m.id}  # type: ignore[attr-defined]
    assert entries(source) == entries(compiled)
    assert all(m.string for m in source if m.id), "untranslated English messages"
