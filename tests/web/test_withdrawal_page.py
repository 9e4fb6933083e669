"""The citizen withdraws an application on their case page while its process waits for the
withdrawal (the dog-tax process: during the clerk's review), and only then, and only their own."""

from __future__ import annotations

import re

from engine.services import queries
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.processes.test_hundesteuer import KEY, anmeldung
from tests.web.conftest import csrf_token, login_as


def _case_in_review(web_engine, backoffices, applicant: str = "erika") -> str:  # noqa: ANN001, F811
    web_engine.connectors.update(backoffices.connectors)
    s = Scenario(web_engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(KEY)
    return s.start(KEY, anmeldung(hund={"rasse": "Rottweiler"}), actor=applicant)


def test_the_citizen_withdraws_the_application_under_review(client, web_engine, backoffices):  # noqa: F811
    case_id = _case_in_review(web_engine, backoffices)
    url = f"/meine-antraege/{case_id}"
    login_as(client, "erika")
    page = client.get(url).get_data(as_text=True)
    assert 'id="ruecknahme"' in page and 'name="bestaetigung"' in page
    token = csrf_token(client, url)

    unconfirmed = client.post(f"{url}/ruecknahme", data={"csrf_token": token, "grund": "Umzug"})
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"].endswith(f"{url}#ruecknahme")
    assert "Bitte bestätigen Sie" in client.get(url).get_data(as_text=True)
    assert queries.get_case(web_engine, case_id)["status"] != "completed"

    done = client.post(f"{url}/ruecknahme", data={"csrf_token": token, "grund": "Umzug", "bestaetigung": "ja"})
    assert done.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Sie haben Ihren Antrag zurückgenommen." in page and 'id="ruecknahme"' not in page
    assert re.search(r'id="case-status">\s*Antrag zurückgenommen', page)
    assert "Antrag zurückgenommen" in page.split('id="timeline-title"')[1]        # not "Nachricht eingegangen"
    view = queries.get_case(web_engine, case_id)
    assert view["data"]["ruecknahme_grund"] == "Umzug" and not view["open_tasks"]
    again = client.post(f"{url}/ruecknahme", data={"csrf_token": token, "bestaetigung": "ja"}, follow_redirects=True)
    assert "kann nicht mehr zurückgenommen werden" in again.get_data(as_text=True)


def test_only_the_applicant_may_withdraw(client, web_engine, backoffices):  # noqa: F811
    case_id = _case_in_review(web_engine, backoffices, applicant="leyla")      # another citizen's case
    for person, status in (("erika", 404), ("sb1", 403)):
        login_as(client, person)
        token = csrf_token(client, "/meine-antraege" if person == "erika" else "/inbox/")
        answer = client.post(f"/meine-antraege/{case_id}/ruecknahme", data={"csrf_token": token, "bestaetigung": "ja"})
        assert answer.status_code == status, person
    assert queries.get_case(web_engine, case_id)["status"] != "completed"
