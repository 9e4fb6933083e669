"""Issue 17: the provider's operators manage tenants and act for one of them (audited); nobody
else can. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.persistence import tables as t
from engine.services import identity, tenants
from engine.tenancy import tenant_or_none, tenant_scope
from tests.web.conftest import CSRF, login_as, make_app


@pytest.fixture
def app(engine):
    identity.create_user(engine, "anbieter", "Petra Betrieb", roles=["provider"])
    identity.create_user(engine, "admin", "Adam Admin", roles=["admin"])
    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt")
    return make_app(engine)


def _csrf(client: Any, url: str) -> str:
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def test_only_the_provider_role_sees_the_tenants(app):
    assert login_as(app.test_client(), "admin").get("/anbieter/").status_code == 403
    assert app.test_client().get("/anbieter/").status_code == 302
    page = login_as(app.test_client(), "anbieter").get("/anbieter/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Stadt Musterstadt" in text and "/musterstadt/" in text and 'lang="de"' in text


def test_provider_adds_and_edits_a_tenant_with_german_messages(app, engine):
    client = login_as(app.test_client(), "anbieter")
    token = _csrf(client, "/anbieter/mandanten/neu")
    refused = client.post("/anbieter/mandanten/neu", data={
        "csrf_token": token, "id": "beispieldorf", "name": "Gemeinde Beispieldorf", "path_prefix": "studio",
        "primary_colour": "#ffcc00"})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "ist zu hell" in text and "von der Anwendung selbst belegt" in text and 'aria-invalid="true"' in text
    added = client.post("/anbieter/mandanten/neu", data={
        "csrf_token": token, "id": "beispieldorf", "name": "Gemeinde Beispieldorf", "path_prefix": "beispieldorf",
        "primary_colour": "#1b5e20", "address": "Dorfstraße 2\r\n54321 Beispieldorf"})
    assert added.status_code == 302 and added.headers["Location"] == "/anbieter/mandanten/beispieldorf"
    stored = tenants.get_tenant(engine, "beispieldorf")
    assert stored.settings["address"] == ["Dorfstraße 2", "54321 Beispieldorf"]
    assert app.test_client().get("/beispieldorf/").status_code == 200      # reachable at once (cache invalidated)
    client.post("/anbieter/mandanten/beispieldorf", data={
        "csrf_token": token, "name": "Gemeinde Beispieldorf", "path_prefix": "beispieldorf", "primary_colour": "#1b5e20"})
    assert tenants.get_tenant(engine, "beispieldorf").active is False       # the box was not ticked


def test_switching_is_audited_and_staff_pages_then_act_for_the_chosen_tenant(app, engine, monkeypatch):
    seen: list[str | None] = []
    original = tenants.list_tenants

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(tenant_or_none())
        return original(*args, **kwargs)
    monkeypatch.setattr("webui.provider.views.tenants.list_tenants", recording)
    client = login_as(app.test_client(), "anbieter")
    client.get("/anbieter/")
    assert seen[-1] == "default"      # (the router's own read of the tenants runs before any scope)
    done = client.post("/anbieter/wechseln", data={"csrf_token": _csrf(client, "/anbieter/"), "tenant": "musterstadt"})
    assert done.status_code == 302
    page = client.get("/anbieter/").get_data(as_text=True)
    assert seen[-1] == "musterstadt" and "Sie arbeiten für Stadt Musterstadt" in page
    with engine.db.connect() as conn:
        rows = conn.execute(select(t.audit_events.c.actor, t.audit_events.c.action, t.audit_events.c.details,
                                   t.audit_events.c.at).where(t.audit_events.c.action == "tenant_switched")).all()
    assert [(r.actor, r.details) for r in rows] == [("anbieter", {"tenant": "musterstadt"})] and rows[0].at is not None
    with tenant_scope("musterstadt"), engine.db.connect() as conn:   # and in the municipality's own chain
        assert conn.execute(select(t.audit_events.c.actor).where(
            t.audit_events.c.action == "tenant_switched")).scalars().all() == ["anbieter"]
    assert client.post("/anbieter/wechseln", data={"csrf_token": _csrf(client, "/anbieter/"),
                                                   "tenant": "nirgendwo"}).status_code == 404


def test_someone_without_the_role_never_acts_for_another_tenant(app, monkeypatch):
    seen: list[str | None] = []
    original = identity.list_users

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(tenant_or_none())
        return original(*args, **kwargs)
    monkeypatch.setattr("webui.admin.views.identity.list_users", recording)
    client = login_as(app.test_client(), "admin")
    with client.session_transaction() as session:
        session["acting_tenant"] = "musterstadt"     # e.g. left over from before the role was taken away
    assert client.get("/admin/").status_code == 200
    assert seen and set(seen) == {"default"}


def test_deactivating_says_how_many_jobs_wait_and_the_list_shows_them(app, engine):
    """The provider deactivates a municipality with a case waiting on a deadline: the page says
    that its open jobs wait until it is active again, and the list of tenants shows how many."""
    from engine.services import cases
    from engine.services.deploy import deploy, read_paths
    from tests.conftest import model

    with tenant_scope("musterstadt"):
        deploy(engine, read_paths([str(model("wait.bpmn"))]), actor="test")
        cases.start_case(engine, "wait", {"dauer": "PT1H"}, actor="test", internal=True)
    client = login_as(app.test_client(), "anbieter")
    url = "/anbieter/mandanten/musterstadt"
    form = client.get(url).get_data(as_text=True)   # what unticking means is said before saving
    assert 'aria-describedby="f-active-hint"' in form and "Fristen und Dienstaufrufe ruhen" in form, form
    saved = client.post(url, data={"csrf_token": _csrf(client, url), "name": "Stadt Musterstadt",
                                   "path_prefix": "musterstadt"}, follow_redirects=True)   # "active" not ticked
    text = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "Der Mandant ist deaktiviert" in text
    assert "1 offener Auftrag (Frist oder Dienstaufruf) ruht" in text, text
    assert "deren Aufbewahrungsfrist abläuft, werden weiterhin gelöscht" in text, text
    listed = client.get("/anbieter/").get_data(as_text=True)
    assert "deaktiviert, 1 Auftrag ruht" in listed
    again = client.post(url, data={"csrf_token": _csrf(client, url), "name": "Stadt Musterstadt",
                                   "path_prefix": "musterstadt", "active": "ja"}, follow_redirects=True)
    assert "ist deaktiviert" not in again.get_data(as_text=True)
    assert "ruht" not in client.get("/anbieter/").get_data(as_text=True)
