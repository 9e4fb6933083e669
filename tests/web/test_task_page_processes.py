"""Issue 14.7 on every standard process: a case that came to manual review shows its reasons first,
the summary the process declares in service.toml [aufgabenseite], and no raw values ("None",
Python lists, ISO dates) outside the technical data."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from engine.services import queries
from tests.processes import test_gewerbeanmeldung as gewerbe
from tests.processes import test_hundesteuer as hunde
from tests.processes import test_wohnsitz_ummeldung as ummeldung
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.web.conftest import login_as


def _gewerbe(s: Scenario) -> str:
    return s.start(gewerbe.KEY, gewerbe.anzeige(handwerk="zulassungspflichtig"), actor="erika")


def _hunde(s: Scenario) -> str:
    return s.start(hunde.KEY, hunde.anmeldung(hund={"rasse": "Rottweiler"}), actor="erika")


def _ummeldung(s: Scenario) -> str:
    case_id = s.start(ummeldung.KEY, ummeldung.anmeldung("MS-1000104", zuzug_aus_ausland=True), actor="erika")
    ummeldung.landlord_confirms(s, case_id, s.data(case_id)["einzugsdatum"])
    return case_id


@pytest.mark.parametrize(("key", "start", "hint", "summary"), [
    (gewerbe.KEY, _gewerbe, "Zulassungspflichtiges Handwerk", ["Name des Betriebs", "Rechtsform", "Handwerk"]),
    (hunde.KEY, _hunde, "Gefährlicher Hund", ["Name des Hundes", "Rasse", "Jahressteuer"]),
    (ummeldung.KEY, _ummeldung, "Zuzug aus dem Ausland", ["Straße", "Einzugsdatum", "Wie liegt die Bestätigung vor?"]),
])
def test_review_page_of_each_standard_process(client, web_engine, backoffices, key: str,  # noqa: F811
                                              start: Callable[[Scenario], str], hint: str, summary: list[str]) -> None:
    web_engine.connectors.update(backoffices.connectors)
    s = Scenario(web_engine, None, backoffices)  # type: ignore[arg-type]
    s.deploy(key)
    case_id = start(s)
    [task] = [t for t in queries.list_tasks(web_engine, case_id=case_id) if t["element_id"] == "pruefen"]
    login_as(client, "sb1")
    page = client.get(f"/inbox/aufgaben/{task['id']}").get_data(as_text=True)
    notes = page.split('id="review-notes">', 1)[1].split("</ul>", 1)[0]
    assert hint in notes
    keys = re.findall(r'<dt class="kern-description-list-item__key">(.*?)</dt>',
                      page.split('id="summary"', 1)[1].split("</dl>", 1)[0], re.S)
    for label in summary:
        assert label in keys, (label, keys)
    readable: Any = page.split('id="data-title"', 1)[1].split('id="technical-data"', 1)[0]
    readable = re.sub(r"<[^>]+>", " ", readable)
    assert "None" not in readable and "['" not in readable and not re.search(r"\b\d{4}-\d{2}-\d{2}\b", readable)
    assert "Technische Daten anzeigen" in page and "Die Gründe stehen oben unter" in page
