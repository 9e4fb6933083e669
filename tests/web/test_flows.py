"""End-to-end flows through the test client: sign-in, apply, decide, answer, download, case link."""

from __future__ import annotations

import io
import re
from typing import Any

from engine.services import queries
from tests.web.conftest import csrf_token, form_tokens, login_as
from tests.web.helpers import PDF
from tests.web.test_forms import VALID


def _sign_in_citizen(client: Any, level: str = "substantial") -> Any:
    start = client.get("/anmelden/demo")
    assert start.status_code == 302
    idp_page = client.get(start.headers["Location"])
    page = idp_page.get_data(as_text=True)
    fields = dict(re.findall(r'name="(state|nonce|redirect_uri|csrf_token)" value="([^"]*)"', page))
    answer = client.post("/demo-idp/authorize", data={**fields, "person": "erika", "trust_level": level})
    assert answer.status_code == 302
    return client.get(answer.headers["Location"])


def test_citizen_signs_in_through_the_demo_identity_provider(client, web_engine):
    client.get("/anmelden/buerger?next=/meine-antraege")
    done = _sign_in_citizen(client, "high")
    assert done.status_code == 302 and done.headers["Location"] == "/meine-antraege"
    with client.session_transaction() as session:
        assert session["user"] == "erika" and session["trust_level"] == "high"


def test_demo_callback_refuses_forged_state_and_code(client):
    client.get("/anmelden/demo")
    assert client.get("/anmelden/demo/zurueck?state=falsch&code=x").status_code == 400
    client.get("/anmelden/demo")
    with client.session_transaction() as session:
        state = session["demo_state"]
    assert client.get(f"/anmelden/demo/zurueck?state={state}&code=gefaelscht").status_code == 400


def test_staff_accounts_cannot_use_the_citizen_portal_and_citizens_not_the_staff_login(client, passwords):
    token = csrf_token(client)
    response = client.post("/anmelden", data={"csrf_token": token, "username": "erika",
                                              "password": passwords["erika"]})
    assert response.status_code == 400


def test_apply_decide_and_download_the_decision(client, web_engine, deployed):
    _sign_in_citizen(client)
    hidden = form_tokens(client, "/leistungen/webantrag/antrag")
    response = client.post("/leistungen/webantrag/antrag", content_type="multipart/form-data",
                           data={**hidden, **VALID, "nachweis": (io.BytesIO(PDF), "schein.pdf")})
    case_id = response.headers["Location"].split("/")[-2]
    business_key = queries.get_case(web_engine, case_id)["business_key"]

    login_as(client, "sb1")
    inbox = client.get(f"/inbox/?q={business_key}").get_data(as_text=True)
    [task_id] = re.findall(r'href="/inbox/aufgaben/([0-9a-f-]+)"', inbox)
    assert client.get("/inbox/?q=gibtsnicht").get_data(as_text=True).count("/inbox/aufgaben/") == 0
    token = csrf_token(client, f"/inbox/aufgaben/{task_id}")
    assert client.post(f"/inbox/aufgaben/{task_id}/uebernehmen", data={"csrf_token": token}).status_code == 303
    assert queries.get_task(web_engine, task_id)["assignee"] == "sb1"
    page = client.get(f"/inbox/aufgaben/{task_id}").get_data(as_text=True)
    assert "Hauptstraße 1" in page and "schein.pdf" in page          # case data and documents beside the form
    diagram = client.get(f"/inbox/vorgaenge/{case_id}/diagramm.json").get_json()
    assert diagram["active"] == ["pruefen"] and "<bpmn:process" in diagram["xml"]
    token = csrf_token(client, f"/inbox/vorgaenge/{case_id}")
    response = client.post(f"/inbox/vorgaenge/{case_id}/dokumente", content_type="multipart/form-data",
                           data={"csrf_token": token, "kind": "decision", "file": (io.BytesIO(PDF), "bescheid.pdf")})
    assert response.status_code == 303
    response = client.post(f"/inbox/aufgaben/{task_id}", data={"csrf_token": token, "entscheidung": "genehmigt",
                                                               "begruendung": "Alles vollständig."})
    assert response.status_code == 302
    assert queries.get_case(web_engine, case_id)["status"] == "completed"

    login_as(client, "erika")
    status = client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)
    assert "abgeschlossen" in status and "Arbeitsschritt erledigt: Antrag prüfen" in status
    assert "sb1" not in status                                       # clerks' names stay internal
    [doc_id] = re.findall(rf'/meine-antraege/{case_id}/dokumente/([0-9a-f-]+)">Bescheid', status)
    download = client.get(f"/meine-antraege/{case_id}/dokumente/{doc_id}")
    assert download.data == PDF and "attachment" in download.headers["Content-Disposition"]


def test_clerk_requests_documents_and_the_citizen_answers_online(client, web_engine, deployed):
    from engine.services import cases
    case_id = cases.start_case(web_engine, "webantrag", {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1,
                                                         "zustellung": "post", "einwilligung": True}, actor="erika")
    [task] = queries.list_tasks(web_engine, case_id=case_id)
    cases.complete_task(web_engine, task["id"], {"entscheidung": "nachforderung"}, actor="sb1")
    login_as(client, "erika")
    status = client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)
    [task_id] = re.findall(rf'/meine-antraege/{case_id}/aufgaben/([0-9a-f-]+)"', status)
    token = csrf_token(client, f"/meine-antraege/{case_id}/aufgaben/{task_id}")
    response = client.post(f"/meine-antraege/{case_id}/aufgaben/{task_id}", content_type="multipart/form-data",
                           data={"csrf_token": token, "hinweis": "Anbei"})
    assert response.status_code == 400 and "Bitte füllen Sie dieses Feld aus." in response.get_data(as_text=True)
    response = client.post(f"/meine-antraege/{case_id}/aufgaben/{task_id}", content_type="multipart/form-data",
                           data={"csrf_token": token, "nachweis_neu": (io.BytesIO(PDF), "nachweis.pdf")})
    assert response.status_code == 302
    [again] = queries.list_tasks(web_engine, case_id=case_id)
    assert again["element_id"] == "pruefen"
    login_as(client, "kasse1")
    assert client.get(f"/meine-antraege/{case_id}/aufgaben/{task_id}").status_code == 403


def test_other_citizens_cannot_see_a_case_but_a_status_link_can(client, web_engine, deployed):
    from engine.services import cases, identity
    case_id = cases.start_case(web_engine, "webantrag", {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1,
                                                         "zustellung": "post", "einwilligung": True}, actor="erika")
    identity.sign_in_citizen(web_engine, "max", "Max Mustermann", "basic")
    login_as(client, "max")
    assert client.get(f"/meine-antraege/{case_id}").status_code == 404
    assert case_id not in client.get("/meine-antraege").get_data(as_text=True)
    login_as(client, "erika")
    token = csrf_token(client, f"/meine-antraege/{case_id}")
    page = client.post(f"/meine-antraege/{case_id}/statuslink", data={"csrf_token": token}).get_data(as_text=True)
    [link] = re.findall(r'<code class="case-link">http://localhost(/status/[^<]+)</code>', page)
    login_as(client, None)
    shared = client.get(link)
    assert shared.status_code == 200 and "in Bearbeitung" in shared.get_data(as_text=True)
    assert "Statuslink erzeugen" not in shared.get_data(as_text=True)
    assert client.get(link + "x").status_code == 404


def test_delegate_and_unclaim(client, web_engine, deployed):
    from engine.services import cases
    cases.start_case(web_engine, "webantrag", {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1,
                                               "zustellung": "post", "einwilligung": True}, actor="erika")
    [task] = queries.list_tasks(web_engine)
    login_as(client, "sb1")
    token = csrf_token(client, f"/inbox/aufgaben/{task['id']}")
    client.post(f"/inbox/aufgaben/{task['id']}/uebernehmen", data={"csrf_token": token})
    bad = client.post(f"/inbox/aufgaben/{task['id']}/weitergeben", data={"csrf_token": token, "to_user": "kasse1"})
    assert bad.status_code == 303 and queries.get_task(web_engine, task["id"])["assignee"] == "sb1"
    client.post(f"/inbox/aufgaben/{task['id']}/weitergeben", data={"csrf_token": token, "to_user": "sb2"})
    assert queries.get_task(web_engine, task["id"])["assignee"] == "sb2"
    response = client.post(f"/inbox/aufgaben/{task['id']}/zurueckgeben", data={"csrf_token": token}, follow_redirects=True)
    assert "Sie können nur eigene Aufgaben zurückgeben." in response.get_data(as_text=True)
    response = client.post(f"/inbox/aufgaben/{task['id']}", data={"csrf_token": token, "entscheidung": "genehmigt"})
    assert response.status_code == 400 and "Die Aufgabe ist sb2 zugewiesen." in response.get_data(as_text=True)
    mine = client.get("/inbox/?ansicht=meine").get_data(as_text=True)
    assert "Keine offenen Aufgaben." in mine


def test_the_staff_sign_in_link_is_offered_only_to_who_is_not_signed_in(client):
    staff_link = 'href="/anmelden">Anmeldung für Mitarbeitende'
    assert staff_link in client.get("/").get_data(as_text=True)
    login_as(client, "sb1")
    page = client.get("/inbox/").get_data(as_text=True)
    assert "Abmelden" in page and staff_link not in page
