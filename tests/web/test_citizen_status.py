"""The citizen's status is the latest milestone the model declared (amtsflow:status): on the
status page, in "Meine Anträge" and in the API's case view."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from engine.services import cases, queries
from engine.services.deploy import deploy, read_paths
from tests.web.conftest import login_as
from webui import casework
from tests.web.helpers import MODELS, WEBANTRAG

STATUS = '<spiffworkflow:property name="amtsflow:status" value="{}"/>'


def _with_milestones(tmp_path: Path) -> list[str]:
    paths = []
    for name in WEBANTRAG:
        target = tmp_path / name
        shutil.copy(MODELS / name, target)
        paths.append(str(target))
    bpmn = tmp_path / "webantrag.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    for element, status in (("pruefen", "In Prüfung"), ("nachreichen", "Unterlagen angefordert")):
        head = f'<bpmn:userTask id="{element}"'
        start = text.index(head)
        at = text.index("<spiffworkflow:properties>", start) + len("<spiffworkflow:properties>")
        text = text[:at] + STATUS.format(status) + text[at:]
    text = text.replace('<bpmn:endEvent id="end_ok" name="Entschieden">',
                        '<bpmn:endEvent id="end_ok" name="Entschieden"><bpmn:extensionElements><spiffworkflow:properties>'
                        + STATUS.format("Bescheid erteilt") + "</spiffworkflow:properties></bpmn:extensionElements>")
    bpmn.write_text(text, encoding="utf-8")
    return paths


def _shown(client: Any, case_id: str) -> tuple[str, str, str]:
    page = client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)
    status = page.split('id="case-status">', 1)[1].split("<", 1)[0]
    overview = client.get("/meine-antraege").get_data(as_text=True)
    api = client.get(f"/api/v1/cases/{case_id}").get_json()["citizen_status"]
    return status, overview, api


def test_status_page_list_and_api_show_the_latest_milestone(client, web_engine, tmp_path) -> None:
    deploy(web_engine, read_paths(_with_milestones(tmp_path)), actor="test")
    case_id = cases.start_case(web_engine, "webantrag", {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1,
                                                         "zustellung": "post", "einwilligung": True}, actor="erika")
    login_as(client, "erika")
    status, overview, api = _shown(client, case_id)
    assert status == api == "In Prüfung" and "In Prüfung" in overview and "in Bearbeitung" not in overview

    [task] = queries.list_tasks(web_engine, case_id=case_id)
    cases.complete_task(web_engine, task["id"], {"entscheidung": "nachforderung"}, actor="sb1")
    status, overview, api = _shown(client, case_id)
    assert status == api == "Unterlagen angefordert" and "Unterlagen angefordert" in overview

    [task] = queries.list_tasks(web_engine, case_id=case_id)
    cases.complete_task(web_engine, task["id"], {"nachweis_neu": "x"}, actor="erika", internal=True)
    [task] = queries.list_tasks(web_engine, case_id=case_id)
    cases.complete_task(web_engine, task["id"], {"entscheidung": "genehmigt"}, actor="sb1")
    status, overview, api = _shown(client, case_id)
    assert status == api == "Bescheid erteilt" and "Bescheid erteilt" in overview


def test_a_model_without_milestones_keeps_the_engine_status(client, web_engine, deployed) -> None:
    case_id = cases.start_case(web_engine, "webantrag", {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1,
                                                         "zustellung": "post", "einwilligung": True}, actor="erika")
    login_as(client, "erika")
    status, _overview, api = _shown(client, case_id)
    assert status == "in Bearbeitung" and api is None


def test_the_clerks_case_page_names_the_service_and_the_milestone(client, web_engine, tmp_path) -> None:
    """The clerk reads the service's name and the case's milestone at the top of the case page,
    not the process key and the engine's "wartet"."""
    deploy(web_engine, read_paths(_with_milestones(tmp_path)), actor="test")
    case_id = cases.start_case(web_engine, "webantrag", {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1,
                                                         "zustellung": "post", "einwilligung": True}, actor="erika")
    login_as(client, "sb1")
    page = client.get(f"/inbox/vorgaenge/{case_id}").get_data(as_text=True)
    summary = page.split('id="case-summary">', 1)[1].split("</p>", 1)[0]
    name = next(s.name for s in casework.latest_services(web_engine) if s.key == "webantrag")
    assert summary.startswith(f"{name} · Version 1 · Stand: <strong>In Prüfung</strong>"), summary
    assert "wartet" not in summary and "webantrag" not in summary
