"""Issue 12.7 (part): e-mail fields take one real address, birth dates a plausible date,
refused before the case starts; the standard processes' forms declare the birth-date range."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from engine.domain.errors import DeploymentError
from engine.persistence import tables as t
from engine.runtime import date_bounds
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy, read_paths
from tests.processes.conftest import Scenario
from tests.processes.test_bewohnerparkausweis import KEY, antrag
from tests.security.forms.conftest import Portal
from tests.web.helpers import MODELS, WEBANTRAG

BAD_EMAILS = ["@", "x@y", "x@y, z@evil.example", "erika@example.org\r\nBcc: alle@evil.example", "erika@example.org\n"]
BAD_BIRTH_DATES = ["0001-01-01", "9999-12-31", (date.today() + timedelta(days=2)).isoformat(), "1850-06-01"]


@pytest.fixture
def s(scenario: Scenario) -> Scenario:
    scenario.deploy(KEY)
    return scenario


def _start(portal: Portal, **person: Any) -> Any:
    return portal.api("POST", "/api/v1/cases", "erika", {"key": KEY, "data": antrag(antragsteller=person)})


def test_e_mail_addresses_are_checked_as_addresses_before_the_case_starts(s: Scenario, portal: Portal) -> None:
    for address in BAD_EMAILS:
        response = _start(portal, email=address)
        assert response.status_code == 422, address
        assert response.get_json()["errors"] == {
            "antragsteller.email": ["Bitte geben Sie eine gültige E-Mail-Adresse ein."]}, address
    with s.engine.db.connect() as conn:
        assert conn.execute(t.cases.select()).first() is None
    assert _start(portal, email="erika.mustermann@example.org").status_code == 201


def test_implausible_birth_dates_are_refused(s: Scenario, portal: Portal) -> None:
    for birth_date in BAD_BIRTH_DATES:
        response = _start(portal, geburtsdatum=birth_date)
        assert response.status_code == 422, birth_date
        [message] = response.get_json()["errors"]["antragsteller.geburtsdatum"]
        assert message.startswith("Bitte prüfen Sie das Datum: Es darf nicht"), message
    assert _start(portal, geburtsdatum="1964-08-12").status_code == 201


def test_every_birth_date_of_the_standard_forms_declares_its_range() -> None:
    from pathlib import Path

    found = 0
    for path in sorted(Path(__file__).resolve().parents[3].glob("processes/*/forms/*.schema.json")):
        def visit(node: Any) -> None:
            nonlocal found
            if isinstance(node, dict):
                birth = node.get("properties", {}).get("geburtsdatum")
                if birth is not None:
                    found += 1
                    assert (birth.get("formatMinimum"), birth.get("formatMaximum")) == ("today-P130Y", "today"), path
                for value in node.values():
                    visit(value)
            elif isinstance(node, list):
                for value in node:
                    visit(value)
        visit(json.loads(path.read_text()))
    assert found >= 7


def test_date_bounds_resolve_and_unreadable_ones_are_refused_at_deploy(engine: Any) -> None:
    today = date(2026, 2, 28)
    assert date_bounds.resolve("today", today) == today
    assert date_bounds.resolve("today-P130Y", today) == date(1896, 2, 28)
    assert date_bounds.resolve("today+P1M3D", date(2026, 1, 31)) == date(2026, 3, 3)
    assert date_bounds.resolve(" 1900-01-01 ", today) == date(1900, 1, 1)
    for bad in ("gestern", "today-P", "today-P9999Y", 5):
        with pytest.raises(ValueError):
            date_bounds.resolve(bad, today)
    files = read_paths([str(MODELS / n) for n in WEBANTRAG])
    start = next(f for f in files if f.name.endswith("webantrag-start.schema.json"))
    schema = json.loads(start.content)
    schema["properties"]["beginn"]["formatMinimum"] = "gestern"
    schema["properties"]["name"]["formatMaximum"] = "today"
    files[files.index(start)] = SourceFile(start.name, json.dumps(schema).encode())
    with pytest.raises(DeploymentError) as err:
        deploy(engine, files, actor="po")
    text = "\n".join(str(p) for p in err.value.problems)
    assert "properties/beginn: formatMinimum: Invalid isoformat string: 'gestern'" in text
    assert "properties/name: formatMaximum applies only to fields with \"format\": \"date\"" in text
