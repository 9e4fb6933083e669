"""The citizen withdraws an application on their case page while its process waits for the
withdrawal (the dog-tax process: during the clerk's review), and only then, and only their own."""

from __future__ import annotations

import re

from engine.jobs import JobExecutor
from engine.services import queries, task_drafts
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


def _withdraw(client, case_id: str) -> None:  # noqa: ANN001
    url = f"/meine-antraege/{case_id}"
    login_as(client, "erika")
    done = client.post(f"{url}/ruecknahme", data={"csrf_token": csrf_token(client, url), "bestaetigung": "ja"})
    assert done.status_code == 303


def test_the_clerk_holding_the_task_is_told_and_still_sees_the_case(client, web_engine, backoffices):  # noqa: F811
    case_id = _case_in_review(web_engine, backoffices)
    [task] = queries.get_case(web_engine, case_id)["open_tasks"]
    task_drafts.save(web_engine, task["id"], {"bemerkung": "Rasse prüfen"}, "sb1")     # claims it for sb1
    key = queries.get_case(web_engine, case_id)["business_key"]
    _withdraw(client, case_id)
    JobExecutor(web_engine, "w").run_until_idle()
    [mail] = [m for m in backoffices.mails(key) if m["to"] == ["sb1@musterstadt.example"]]
    assert mail["subject"] == f"Aufgabe entfallen: {task['name']} (Vorgang {key})"
    assert "den Antrag im Vorgang " + key + " zurückgenommen" in mail["body"]
    assert "Ihr Zwischenstand zu dieser Aufgabe wurde dabei verworfen." in mail["body"]
    assert f"http://localhost/inbox/vorgaenge/{case_id}" in mail["body"]
    login_as(client, "sb1")       # the task ended; the case it belonged to stays visible to its clerk
    page = client.get(f"/inbox/vorgaenge/{case_id}")
    assert page.status_code == 200 and "Antrag zurückgenommen" in page.get_data(as_text=True)


def test_a_clerk_who_claims_the_task_while_the_withdrawal_is_under_way_is_told(client, web_engine, backoffices,  # noqa: F811
                                                                               monkeypatch):
    """The clerk's claim commits after the withdrawal looked at the case and before it ends the
    task: who holds the task is read in the withdrawal's own transaction, so that clerk hears
    of it too (a claim after the withdrawal's commit finds the task ended)."""
    from engine.services import cases, messages

    case_id = _case_in_review(web_engine, backoffices)
    [task] = queries.get_case(web_engine, case_id)["open_tasks"]
    key = queries.get_case(web_engine, case_id)["business_key"]
    correlate = messages.correlate_message

    def claimed_meanwhile(*args, **kwargs):   # the clerk's claim, just before the withdrawal's step
        cases.claim(web_engine, task["id"], "sb1")
        return correlate(*args, **kwargs)

    monkeypatch.setattr(messages, "correlate_message", claimed_meanwhile)
    _withdraw(client, case_id)
    JobExecutor(web_engine, "w").run_until_idle()
    [mail] = [m for m in backoffices.mails(key) if m["to"] == ["sb1@musterstadt.example"]]
    assert mail["subject"] == f"Aufgabe entfallen: {task['name']} (Vorgang {key})"
    assert "Zwischenstand" not in mail["body"]        # no draft of it was saved


def test_nobody_is_told_of_a_task_nobody_held(client, web_engine, backoffices):  # noqa: F811
    case_id = _case_in_review(web_engine, backoffices)
    key = queries.get_case(web_engine, case_id)["business_key"]
    _withdraw(client, case_id)
    JobExecutor(web_engine, "w").run_until_idle()
    assert not [m for m in backoffices.mails(key) if "Aufgabe entfallen" in m["subject"]]
    assert [m for m in backoffices.mails(key) if m["to"] != ["sb1@musterstadt.example"]]    # the applicant's


def test_the_mails_are_written_with_the_withdrawal_or_neither_is(client, web_engine, backoffices, monkeypatch):  # noqa: F811
    """The mails to the clerks are written in the transaction that ends their tasks: when they
    cannot be written (here the database stays busy), the withdrawal is not made either, the
    citizen hears so and may send it again; never a withdrawal whose clerks are not told."""
    from engine.domain.errors import DatabaseBusy
    from engine.services import notifications

    case_id = _case_in_review(web_engine, backoffices)
    [task] = queries.get_case(web_engine, case_id)["open_tasks"]
    task_drafts.save(web_engine, task["id"], {"bemerkung": "Rasse prüfen"}, "sb1")
    written = notifications.withdrawn

    def busy(*_args, **_kwargs):
        raise DatabaseBusy("database busy: database is locked", waited=True)

    monkeypatch.setattr(notifications, "withdrawn", busy)
    url = f"/meine-antraege/{case_id}"
    login_as(client, "erika")
    refused = client.post(f"{url}/ruecknahme", data={"csrf_token": csrf_token(client, url), "bestaetigung": "ja"},
                          follow_redirects=True)
    assert "Sie haben Ihren Antrag zurückgenommen." not in refused.get_data(as_text=True)
    assert [t["id"] for t in queries.get_case(web_engine, case_id)["open_tasks"]] == [task["id"]]
    assert 'id="ruecknahme"' in client.get(url).get_data(as_text=True)       # still to be withdrawn
    monkeypatch.setattr(notifications, "withdrawn", written)
    _withdraw(client, case_id)
    JobExecutor(web_engine, "w").run_until_idle()
    key = queries.get_case(web_engine, case_id)["business_key"]
    assert [m for m in backoffices.mails(key) if m["to"] == ["sb1@musterstadt.example"]
            and m["subject"].startswith("Aufgabe entfallen")]
