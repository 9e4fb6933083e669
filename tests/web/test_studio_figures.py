"""Studio figures page (issue 16): period form, a chart container and a table per figure, CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.services import cases, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import model
from tests.web.conftest import login_as

FIGURES = ["wochen", "durchlaufzeit", "dunkelverarbeitung", "online", "fristen", "bearbeitungsfrist", "bestand"]


@pytest.fixture
def figures_world(web_engine: Any, clock: Any, tmp_path: Path) -> None:
    """Monday 5 January 2026: two automatic cases (one by citizen erika), one decided by a clerk
    after two days, one still open; the page is looked at on 9 January. A case may take one day."""
    toml = tmp_path / "service.toml"
    toml.write_text('key = "kennzahlen"\n[sla]\nvorgang = "P1D"\n', encoding="utf-8")
    deploy(web_engine, read_paths([str(model("figures.bpmn")), str(toml)]), actor="po")
    cases.start_case(web_engine, "kennzahlen", {"automatisch": True}, actor="erika", internal=True)
    cases.start_case(web_engine, "kennzahlen", {"automatisch": True}, actor="po", internal=True)
    manual = cases.start_case(web_engine, "kennzahlen", {"automatisch": False}, actor="po", internal=True)
    cases.start_case(web_engine, "kennzahlen", {"automatisch": False}, actor="erika", internal=True)
    clock.advance(timedelta(days=2))
    [task] = queries.list_tasks(web_engine, case_id=manual)
    cases.complete_task(web_engine, task["id"], {}, actor="sb1", internal=True)
    clock.advance(timedelta(days=2))


def _table(page: str, key: str) -> str:
    match = re.search(rf'<table class="kern-table" id="table-{key}">(.*?)</table>', page, re.S)
    assert match, key
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_figures_page_shows_each_figure_as_chart_and_table(client: Any, figures_world: None) -> None:
    login_as(client, "po")
    assert "/studio/prozesse/kennzahlen/kennzahlen" in client.get("/studio/prozesse/kennzahlen").get_data(as_text=True)
    response = client.get("/studio/prozesse/kennzahlen/kennzahlen?von=2026-01-05&bis=2026-01-11")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "05.01.2026 – 11.01.2026" in page
    for key in FIGURES:
        assert f'id="chart-{key}"' in page and f'id="csv-{key}"' in page
    assert "2026-W02 05.01.2026 4 3" in _table(page, "wochen")
    assert "Median 0,0" in _table(page, "durchlaufzeit") and "bis 1,6" in _table(page, "durchlaufzeit")
    assert "ohne Sachbearbeitung 2 66,7 %" in _table(page, "dunkelverarbeitung")
    assert "online gestellt 2 50,0 %" in _table(page, "online")
    assert "unter 7 Tage 1" in _table(page, "bestand")
    # the clerk's case took two days, one allowed; the open one is four days old
    assert "2026-W02 05.01.2026 3 1 33,3 %" in _table(page, "bearbeitungsfrist")
    assert "offen (Stand heute) 1 1 100,0 %" in _table(page, "bearbeitungsfrist")
    assert "([sla] vorgang) überschritten hat: v1 1,0 Tage" in page
    data = json.loads(re.search(r'<script type="application/json" id="figures-data">(.*?)</script>', page, re.S).group(1))
    assert [c["id"] for c in data] == [f"chart-{k}" for k in FIGURES]
    assert data[0]["series"][0]["values"] == [4] and data[0]["series"][1]["values"] == [3]
    assert "/assets/echarts/echarts.min.js" in page and "/static/js/figures.js" in page


def test_each_figure_as_csv(client: Any, figures_world: None) -> None:
    login_as(client, "po")
    base = "/studio/prozesse/kennzahlen/kennzahlen?von=2026-01-05&bis=2026-01-11&format=csv&figure="
    response = client.get(base + "wochen")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="kennzahlen-wochen.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows == [["Kalenderwoche", "Beginn der Woche", "Begonnen", "Abgeschlossen"],
                    ["2026-W02", "05.01.2026", "4", "3"]]
    rows = list(csv.reader(io.StringIO(client.get(base + "bearbeitungsfrist").get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows == [["Kalenderwoche", "Beginn der Woche", "Abgeschlossen", "davon über der Frist", "Anteil über der Frist"],
                    ["2026-W02", "05.01.2026", "3", "1", "33,3 %"], ["Zeitraum gesamt", "", "3", "1", "33,3 %"],
                    ["offen (Stand heute)", "", "1", "1", "100,0 %"]]
    for key in FIGURES:
        assert client.get(base + key).status_code == 200
    assert client.get(base + "unbekannt").status_code == 404


def test_bad_periods_and_unknown_processes(client: Any, figures_world: None) -> None:
    login_as(client, "po")
    response = client.get("/studio/prozesse/kennzahlen/kennzahlen?von=2026-02-01&bis=2026-01-01")
    assert response.status_code == 400 and "Ende des Zeitraums" in response.get_data(as_text=True)
    response = client.get("/studio/prozesse/kennzahlen/kennzahlen?von=5.1.")
    assert response.status_code == 400 and "Datum" in response.get_data(as_text=True)
    response = client.get("/studio/prozesse/kennzahlen/kennzahlen?von=2020-01-01&bis=2026-01-01")
    assert response.status_code == 400 and "höchstens" in response.get_data(as_text=True)
    assert client.get("/studio/prozesse/unbekannt/kennzahlen").status_code == 404
    assert client.get("/studio/prozesse/kennzahlen/kennzahlen?version=7").status_code == 404
    assert client.get("/studio/prozesse/kennzahlen/kennzahlen?version=1").status_code == 200


def test_default_period_is_the_last_twelve_weeks(client: Any, figures_world: None) -> None:
    login_as(client, "po")
    page = client.get("/studio/prozesse/kennzahlen/kennzahlen").get_data(as_text=True)
    assert "17.10.2025 – 08.01.2026" not in page and "– 09.01.2026" in page
    assert 'value="2025-10-18"' in page and 'value="2026-01-09"' in page
