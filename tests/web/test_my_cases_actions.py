""""Meine Anträge" says which applications wait for something from their applicant (documents
to send in, a fee to pay) and links straight to it, with the deadline: a citizen sees what to do
without opening every application."""

from __future__ import annotations

from typing import Any

from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.processes.test_bewohnerparkausweis import KEY, antrag
from tests.web.conftest import login_as


def _rows(page: str) -> dict[str, str]:
    """The table's rows by the case id each links to."""
    rows = page.split('<tbody class="kern-table__body"', 1)[1].split("</tbody>", 1)[0].split("<tr ")[1:]
    return {row.split('href="/meine-antraege/', 1)[1].split('"', 1)[0]: row for row in rows}


def test_the_list_names_what_each_application_waits_for(client: Any, web_engine: Any,
                                                         backoffices: Any) -> None:  # noqa: F811
    web_engine.connectors.update(backoffices.connectors)
    s = Scenario(web_engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(KEY)
    paying = s.start(KEY, antrag(), actor="erika")                 # approved at once: the fee is due
    asked = s.start(KEY, antrag(fahrzeug={"kennzeichen": "MS-MB 500", "nutzung": "firmenwagen"}), actor="erika")
    s.complete(asked, "pruefen", {"entscheidung": "nachfordern", "nachforderung_unterlagen": "Bestätigung"},
               actor="sb1")
    in_review = s.start(KEY, antrag(fahrzeug={"kennzeichen": "MS-MB 500", "nutzung": "firmenwagen"}), actor="erika")
    s.start(KEY, antrag(), actor="leyla")                           # someone else's: not in erika's list
    task = s.task(asked, "unterlagen_nachreichen")

    login_as(client, "erika")
    page = client.get("/meine-antraege").get_data(as_text=True)
    assert "Bei 2 Anträgen ist Ihre Mitwirkung erforderlich." in page
    rows = _rows(page)
    assert set(rows) == {paying, asked, in_review}
    assert f'href="/meine-antraege/{asked}/aufgaben/{task["id"]}">Unterlagen nachreichen</a> (bis 19.01.2026)' \
        in rows[asked]
    assert f'href="/meine-antraege/{paying}/bezahlen">Gebühr bezahlen</a> (180,00 €)' in rows[paying]
    assert "Ihre Mitwirkung ist erforderlich" in rows[asked] and "Ihre Mitwirkung ist erforderlich" in rows[paying]
    assert "Ihre Mitwirkung" not in rows[in_review] and "bezahlen" not in rows[in_review]

    assert s.pay(paying) == "delivered"                               # paid: nothing left to do there
    upload = s.upload("bestaetigung.pdf")
    s.complete(asked, "unterlagen_nachreichen", {"nachgereichte_unterlagen": upload.id}, actor="erika",
               uploads=[upload])
    page = client.get("/meine-antraege").get_data(as_text=True)
    assert "Ihre Mitwirkung" not in page, _rows(page)
