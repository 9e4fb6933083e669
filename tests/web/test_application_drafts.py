"""A citizen saves an unfinished application as a draft (engine/services/application_drafts.py):
shown again with the form, listed under "Meine Anträge", removed when sent, discarded or expired."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.services import application_drafts, queries
from tests.processes import test_hundesteuer as hunde
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.web.conftest import csrf_token
from tests.web.test_flows import _sign_in_citizen

FORM = f"/leistungen/{hunde.KEY}/antrag"


def _value(page: str, name: str) -> str:
    [tag] = re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    found = re.search(r'value="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else ""


def _form(page: str) -> dict[str, str]:
    """The form's fields as the page fills them, the hidden ones included (as a browser sends them)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and "type=\"checkbox\"" not in tag and "type=\"radio\"" not in tag and "type=\"file\"" not in tag:
            fields[html.unescape(name.group(1))] = html.unescape(value.group(1)) if value else ""
    return fields


def _jobs(engine) -> list:  # noqa: ANN001
    with engine.db.connect() as conn:
        return list(conn.execute(select(t.jobs.c.due_at).where(t.jobs.c.kind == "draft_expiry")).scalars())


def test_a_draft_is_kept_shown_and_removed_when_the_application_is_sent(client, web_engine, backoffices, clock):  # noqa: F811
    web_engine.connectors.update(backoffices.connectors)
    Scenario(web_engine, None, backoffices).deploy(hunde.KEY)  # type: ignore[arg-type]
    _sign_in_citizen(client)
    page = client.get(FORM).get_data(as_text=True)
    assert 'value="zwischenspeichern"' in page and "Als Entwurf speichern" in page
    token = csrf_token(client, FORM)

    saved = client.post(FORM, data={"csrf_token": token, "aktion": "zwischenspeichern", "hund.name": "Bello",
                                    "hund.chipnummer": "27609810654321X", "antragsteller.familienname": "Musterfrau"})
    assert saved.status_code == 303 and saved.headers["Location"] == FORM
    assert queries.list_cases(web_engine, started_by="erika") == []               # not an application yet
    page = client.get(FORM).get_data(as_text=True)
    assert "als Entwurf gespeichert, aber noch nicht gestellt" in page and 'id="draft-notice"' in page
    assert _value(page, "hund.name") == "Bello" and _value(page, "hund.chipnummer") == "27609810654321X"
    assert _value(page, "antragsteller.familienname") == "Musterfrau"        # the draft over the account's
    assert _value(page, "antragsteller.vornamen") == ""                       # as saved: empty
    assert _jobs(web_engine) == [clock.now() + application_drafts.KEEP]
    mine = client.get("/meine-antraege").get_data(as_text=True)
    assert 'id="drafts"' in mine and f'href="{FORM}"' in mine

    data = {**_form(page), "csrf_token": token, "antragsteller.vornamen": "Erika", "antragsteller.familienname":
            "Mustermann", "antragsteller.geburtsdatum": "1964-08-12", "antragsteller.email":
            "erika.mustermann@example.org", "hund.rasse": "Labrador Retriever", "hund.haltung_seit": "2025-12-20",
            "hund.chipnummer": "276098106543210", "weitere_hunde": "0", "befreiung": "keine",
            "elektronische_bekanntgabe": "true"}
    data.pop("aktion", None)
    sent = client.post(FORM, data=data)
    assert sent.status_code == 302 and "/eingang" in sent.headers["Location"], sent.get_data(as_text=True)[:3000]
    assert application_drafts.list_for(web_engine, "erika") == [] and _jobs(web_engine) == []
    assert 'id="drafts"' not in client.get("/meine-antraege").get_data(as_text=True)


def test_a_draft_expires_after_thirty_days_unless_saved_again(client, web_engine, backoffices, clock):  # noqa: F811
    web_engine.connectors.update(backoffices.connectors)
    Scenario(web_engine, None, backoffices).deploy(hunde.KEY)  # type: ignore[arg-type]
    _sign_in_citizen(client)
    token = csrf_token(client, FORM)
    client.post(FORM, data={"csrf_token": token, "aktion": "zwischenspeichern", "hund.name": "Bello"})
    clock.advance(timedelta(days=20))
    client.post(FORM, data={"csrf_token": token, "aktion": "zwischenspeichern", "hund.name": "Rex"})
    assert _jobs(web_engine) == [clock.now() + application_drafts.KEEP]        # moved by the second save
    clock.advance(timedelta(days=29))
    JobExecutor(web_engine, "w").run_until_idle()
    assert _value(client.get(FORM).get_data(as_text=True), "hund.name") == "Rex"
    clock.advance(timedelta(days=1, seconds=1))
    assert _value(client.get(FORM).get_data(as_text=True), "hund.name") == ""      # past its time: never shown
    JobExecutor(web_engine, "w").run_until_idle()
    with web_engine.db.connect() as conn:
        assert conn.execute(select(t.application_drafts)).all() == [] and _jobs(web_engine) == []


def test_the_citizen_discards_a_draft(client, web_engine, backoffices):  # noqa: F811
    web_engine.connectors.update(backoffices.connectors)
    Scenario(web_engine, None, backoffices).deploy(hunde.KEY)  # type: ignore[arg-type]
    _sign_in_citizen(client)
    token = csrf_token(client, FORM)
    client.post(FORM, data={"csrf_token": token, "aktion": "zwischenspeichern", "hund.name": "Bello"})
    answer = client.post(f"{FORM}/entwurf-verwerfen", data={"csrf_token": token})
    assert answer.status_code == 303
    page = client.get(FORM).get_data(as_text=True)
    assert "Der Entwurf wurde gelöscht." in page and _value(page, "hund.name") == "" and _jobs(web_engine) == []
