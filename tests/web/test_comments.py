"""Clerks' comments on a case: written in the inbox case view, audited without their text,
never shown to the citizen, erased with the case's personal data."""

from __future__ import annotations

from engine.services import cases, comments, queries
from tests.web.conftest import csrf_token, login_as


def start_webantrag(web_engine) -> str:
    return cases.start_case(web_engine, "webantrag", {
        "name": "Erika Mustermann", "kennzeichen": "M-AB 1234", "anzahl": 1, "zustellung": "online",
        "einwilligung": True, "adresse": {"strasse": "Hauptstraße 1", "plz": "80331"}}, actor="erika",
        business_key="2026-KOMM1")


def test_clerk_adds_a_comment_the_citizen_does_not_see_it(client, web_engine, deployed):
    case_id = start_webantrag(web_engine)
    login_as(client, "sb1")
    token = csrf_token(client, f"/inbox/vorgaenge/{case_id}")
    answer = client.post(f"/inbox/vorgaenge/{case_id}/kommentare",
                         data={"csrf_token": token, "text": "Rückruf am Montag vereinbart."})
    assert answer.status_code == 303
    page = client.get(f"/inbox/vorgaenge/{case_id}").get_data(as_text=True)
    assert "Rückruf am Montag vereinbart." in page and "Kommentar hinzugefügt" in page
    history = queries.get_case(web_engine, case_id)["history"]
    assert history[-1]["action"] == "comment_added" and "Rückruf" not in str(history[-1]["details"])
    login_as(client, "erika")
    assert "Rückruf" not in client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)


def test_empty_and_overlong_comments_are_refused_in_german(client, web_engine, deployed):
    case_id = start_webantrag(web_engine)
    login_as(client, "sb1")
    token = csrf_token(client, f"/inbox/vorgaenge/{case_id}")
    client.post(f"/inbox/vorgaenge/{case_id}/kommentare", data={"csrf_token": token, "text": "   "})
    client.post(f"/inbox/vorgaenge/{case_id}/kommentare", data={"csrf_token": token, "text": "x" * 4001})
    page = client.get(f"/inbox/vorgaenge/{case_id}").get_data(as_text=True)
    assert "Bitte geben Sie einen Kommentar ein." in page or "höchstens 4000 Zeichen" in page
    assert comments.list_comments(web_engine, case_id) == []
