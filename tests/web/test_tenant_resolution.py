"""Issue 17: the tenant of a web request, by host name or by path prefix, and sessions bound to it.

Runs on SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.bootstrap import Engine
from engine.services import identity, tenants
from engine.tenancy import tenant_scope
from tests.web.conftest import CSRF, make_app

PASSWORD = "ein-langes-passwort"


@pytest.fixture
def two(engine: Engine) -> Engine:
    """The default tenant on the main host (the test client's), one tenant by prefix, one by host."""
    tenants.update_tenant(engine, "default", host="localhost")
    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt")
    tenants.add_tenant(engine, "beispieldorf", "Gemeinde Beispieldorf", host="beispieldorf.example")
    for tenant in ("default", "musterstadt"):
        with tenant_scope(tenant):
            identity.create_user(engine, f"sb-{tenant}", "Sabine Beispiel", roles=["clerk"], password=PASSWORD)
    return engine


@pytest.fixture
def app(two: Engine) -> Flask:
    return make_app(two)


def _title(client: FlaskClient, url: str, **kwargs: Any) -> str:
    page = client.get(url, **kwargs)
    assert page.status_code == 200, (url, page.status_code)
    text = page.get_data(as_text=True)
    return text.split("<title>", 1)[1].split("</title>", 1)[0]


def test_prefix_host_and_default_each_answer_with_their_own_portal(app):
    client = app.test_client()
    assert _title(client, "/musterstadt/").endswith("– Stadt Musterstadt")
    assert _title(client, "/musterstadt").endswith("– Stadt Musterstadt")
    assert _title(client, "/", base_url="http://beispieldorf.example").endswith("– Gemeinde Beispieldorf")
    assert _title(client, "/", base_url="http://beispieldorf.example:8080").endswith("– Gemeinde Beispieldorf")


def test_unknown_host_gets_404_not_another_portal_but_health_answers(app):
    client = app.test_client()
    page = client.get("/", base_url="http://elsewhere.example")
    assert page.status_code == 404
    assert "Musterstadt" not in page.get_data(as_text=True) and "Beispieldorf" not in page.get_data(as_text=True)
    assert "<title>Seite nicht gefunden" in page.get_data(as_text=True) or "404" in page.get_data(as_text=True)
    assert client.get("/musterstadt/", base_url="http://elsewhere.example").status_code == 404
    assert client.get("/health/live", base_url="http://10.0.0.7").status_code == 200


def test_default_tenant_by_its_host_and_prefixes_on_it(engine):
    tenants.update_tenant(engine, "default", host="portal.example")
    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt")
    tenants.add_tenant(engine, "beispieldorf", "Gemeinde Beispieldorf", host="beispieldorf.example")
    client = make_app(engine).test_client()
    assert _title(client, "/", base_url="http://portal.example").endswith("– Serviceportal Musterstadt")
    assert _title(client, "/musterstadt/", base_url="http://portal.example").endswith("– Stadt Musterstadt")
    assert client.get("/", base_url="http://localhost").status_code == 404
    tenants.deactivate_tenant(engine, "default")
    client = make_app(engine).test_client()
    assert client.get("/", base_url="http://portal.example").status_code == 404


def test_url_for_static_files_and_redirects_carry_the_prefix(app):
    client = app.test_client()
    page = client.get("/musterstadt/").get_data(as_text=True)
    assert 'href="/musterstadt/static/css/app.css"' in page and 'href="/musterstadt/anmelden"' in page
    with client.get("/musterstadt/static/favicon.svg") as static:
        assert static.status_code == 200 and b"<svg" in static.get_data()
    to_login = client.get("/musterstadt/inbox/")
    assert to_login.status_code == 302
    location = urlsplit(to_login.headers["Location"])
    assert location.path == "/musterstadt/anmelden" and parse_qs(location.query)["next"] == ["/musterstadt/inbox/"]
    form = client.get(to_login.headers["Location"]).get_data(as_text=True)
    signed_in = client.post(to_login.headers["Location"], data={
        "username": "sb-musterstadt", "password": PASSWORD, "csrf_token": CSRF.search(form).group(1)})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/musterstadt/inbox/"
    assert client.get("/musterstadt/inbox/").status_code == 200
    to_citizen_login = app.test_client().get("/musterstadt/meine-antraege")
    assert "next=/musterstadt/meine-antraege" in to_citizen_login.headers["Location"].replace("%2F", "/")


def test_forwarded_host_counts_only_behind_trusted_proxies(two):
    trusting = make_app(two, AMTSFLOW_TRUSTED_PROXIES=1).test_client()
    headers = {"X-Forwarded-Host": "beispieldorf.example", "X-Forwarded-Proto": "https"}
    assert _title(trusting, "/", headers=headers).endswith("– Gemeinde Beispieldorf")
    trusting_app = make_app(two, AMTSFLOW_TRUSTED_PROXIES=1)
    assert trusting_app.test_client().get("/", headers={"X-Forwarded-Host": "elsewhere.example"}).status_code == 404
    plain = make_app(two).test_client()                      # the header is ignored: the default tenant
    assert _title(plain, "/", headers=headers).endswith("– Serviceportal Musterstadt")


def _sign_in(client: FlaskClient, prefix: str, username: str) -> None:
    form = client.get(f"{prefix}/anmelden").get_data(as_text=True)
    done = client.post(f"{prefix}/anmelden", data={"username": username, "password": PASSWORD,
                                                    "csrf_token": CSRF.search(form).group(1)})
    assert done.status_code == 302, done.get_data(as_text=True)


def _cookie(client: FlaskClient, name: str, path: str) -> str | None:
    cookie = client.get_cookie(name, path=path)
    return None if cookie is None else cookie.value


def test_each_tenant_has_its_own_session_cookie(app):
    client = app.test_client()
    _sign_in(client, "/musterstadt", "sb-musterstadt")
    assert _cookie(client, "amtsflow_session_musterstadt", "/musterstadt") is not None
    assert client.get("/musterstadt/inbox/").status_code == 200
    assert client.get("/inbox/").status_code == 302              # not signed in to the default tenant


def test_a_session_of_tenant_a_does_not_authenticate_on_tenant_b(app):
    client = app.test_client()
    _sign_in(client, "/musterstadt", "sb-musterstadt")
    stolen = _cookie(client, "amtsflow_session_musterstadt", "/musterstadt")
    other = app.test_client()
    other.set_cookie("amtsflow_session", stolen, path="/")     # the same signed cookie, on the default tenant
    refused = other.get("/inbox/")
    assert refused.status_code == 302 and "/anmelden" in refused.headers["Location"]
    host_client = app.test_client()
    host_client.set_cookie("amtsflow_session_musterstadt", stolen, domain="beispieldorf.example")
    host_client.set_cookie("amtsflow_session", stolen, domain="beispieldorf.example")
    assert host_client.get("/inbox/", base_url="http://beispieldorf.example").status_code == 302
    same = app.test_client()                                   # control: the cookie works where it belongs
    same.set_cookie("amtsflow_session_musterstadt", stolen, path="/musterstadt")
    assert same.get("/musterstadt/inbox/").status_code == 200


class TokenExchangeReached(Exception):
    pass


class FakeIdp:
    """The real OIDC client with the provider's metadata given (no network before the token call)."""

    @staticmethod
    def install(app: Flask) -> Any:
        from webui.accounts.oidc import OidcClient

        class Client(OidcClient):
            def metadata(self) -> dict[str, Any]:
                return {"authorization_endpoint": "https://idp.example/auth", "token_endpoint": "https://idp.example/token",
                        "jwks_uri": "https://idp.example/keys", "issuer": "https://idp.example"}

        config = {"issuer": "https://idp.example", "client_id": "amtsflow", "client_secret": "s",
                  "scope": "openid", "trust_claim": "acr", "name": "BundID"}
        app.config["AMTSFLOW_OIDC"] = config
        app.extensions["amtsflow_oidc"] = Client(config)


@pytest.fixture
def idp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import httpx

    FakeIdp.install(app)

    def post(*_args: Any, **_kwargs: Any) -> Any:
        raise TokenExchangeReached()
    monkeypatch.setattr(httpx, "post", post)
    yield


def test_oidc_state_carries_the_tenant_and_a_callback_at_another_tenant_is_refused(app, idp):
    client = app.test_client()
    start = client.get("/musterstadt/anmelden/oidc")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["redirect_uri"] == ["http://localhost/musterstadt/anmelden/oidc/zurueck"]
    state = query["state"][0]
    pending = _cookie(client, "amtsflow_session_musterstadt", "/musterstadt")
    elsewhere = app.test_client()
    elsewhere.set_cookie("amtsflow_session", pending, path="/")
    assert elsewhere.get(f"/anmelden/oidc/zurueck?state={state}&code=c").status_code == 400
    with pytest.raises(TokenExchangeReached):                # control: at its own tenant it goes on
        client.get(f"/musterstadt/anmelden/oidc/zurueck?state={state}&code=c")
