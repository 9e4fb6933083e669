"""The parking permit's review form (real process, back-office simulators): a clerk approving an
application the register does not know gives the address; the permit then has zone and address."""

from __future__ import annotations

import re

from engine.services import queries
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.processes.test_bewohnerparkausweis import KEY, antrag
from tests.web.conftest import csrf_token, login_as


def test_clerk_gives_the_address_in_the_review_form(client, web_engine, backoffices):  # noqa: F811
    web_engine.connectors.update(backoffices.connectors)
    s = Scenario(web_engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(KEY)
    case_id = s.start(KEY, antrag(antragsteller={"geburtsdatum": "1984-08-12"}, fahrzeug={"kennzeichen": "MS-EM 2024"}),
                      actor="erika")
    [task] = queries.list_tasks(web_engine, case_id=case_id)
    login_as(client, "sb1")
    page = client.get(f"/inbox/aufgaben/{task['id']}").get_data(as_text=True)
    assert "Anschrift der Hauptwohnung" in page and 'name="anschrift.postleitzahl"' in page
    token = csrf_token(client, f"/inbox/aufgaben/{task['id']}")
    client.post(f"/inbox/aufgaben/{task['id']}/uebernehmen", data={"csrf_token": token})
    answer = client.post(f"/inbox/aufgaben/{task['id']}", data={
        "csrf_token": token, "entscheidung": "genehmigen", "anschrift.strasse": "Marktplatz",
        "anschrift.hausnummer": "3", "anschrift.postleitzahl": "12345", "anschrift.wohnort": "Musterstadt"})
    assert answer.status_code == 302, re.sub(r"\s+", " ", answer.get_data(as_text=True))[:3000]
    s.run()
    data = queries.get_case(web_engine, case_id)["data"]
    assert (data["zone"], data["empfaenger"]["strasse"]) == ("A", "Marktplatz 3")
    assert [t["element_id"] for t in queries.list_tasks(web_engine, case_id=case_id)] == []
