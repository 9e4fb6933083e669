"""Element ids that SpiffWorkflow uses for its own task specs (``Start``, ``End``, ``Root``,
``<id>.BoundaryEventSplit`` ...) deploy over /engine-rest (Camunda Modeler) and their cases run,
the element keeping its id (engine.runtime.reserved_ids renames only the library's spec). An id
with ``#`` (no XML id has one; the renaming uses it) is refused naming the element: over
/engine-rest, in the studio (in German) and by ``amtsflow check``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.services import queries
from tests.engine_rest.conftest import MODELS, Server
from tests.web.conftest import csrf_token, login_as
from webui.cli_compat import check

PLAIN = (MODELS / "pruefung-extern.bpmn").read_text()


def _renamed(old: str, new: str) -> str:
    return PLAIN.replace(f'"{old}"', f'"{new}"')


def _deploy(rest: Server, content: str) -> tuple[int, dict[str, str]]:
    answer = rest.client.post("/engine-rest/deployment/create", headers=rest.basic("po"),
                              content_type="multipart/form-data",
                              data={"p.bpmn": (io.BytesIO(content.encode()), "p.bpmn")})
    return answer.status_code, answer.get_json()


@pytest.mark.parametrize("old, new", [("Antrag", "Start"), ("Geprueft", "End"), ("Pruefen", "Root"),
                                      ("Geprueft", "pruefung-extern.EndJoin"),
                                      ("NichtGeprueft", "Pruefen.BoundaryEventSplit")])
def test_a_reserved_id_deploys_and_its_case_runs_under_that_id(rest: Server, old: str, new: str) -> None:
    """Camunda allows these ids; the engine renames only the library's spec (reserved_ids)."""
    status, answer = _deploy(rest, _renamed(old, new))
    assert status == 200, answer
    started = rest.client.post("/engine-rest/process-definition/key/pruefung-extern/start", headers=rest.bearer(),
                               json={"variables": {"antragsteller": {"value": "E"}, "betrag": {"value": 1}}})
    assert started.status_code == 200, started.get_data(as_text=True)
    fetched = rest.client.post("/engine-rest/external-task/fetchAndLock", headers=rest.bearer(), json={
        "workerId": "w", "maxTasks": 1, "topics": [{"topicName": "pruefen", "lockDuration": 60000}]})
    [task] = fetched.get_json()
    assert task["activityId"] == ("Root" if old == "Pruefen" else "Pruefen")   # the element's own id
    done = rest.client.post(f"/engine-rest/external-task/{task['id']}/complete", headers=rest.bearer(),
                            json={"workerId": "w"})
    assert done.status_code == 204
    assert queries.get_case(rest.engine, started.get_json()["id"])["status"] == "completed"


def test_an_id_with_a_hash_is_refused_naming_the_element(rest: Server) -> None:
    status, answer = _deploy(rest, _renamed("Antrag", "Start#"))
    assert status == 400 and answer["type"] == "ParseException", answer
    assert ": Start#: the id 'Start#' of this startEvent contains '#'" in answer["message"]


def test_a_similar_id_deploys_and_its_case_starts(rest: Server) -> None:
    status, answer = _deploy(rest, _renamed("Antrag", "StartEvent_1").replace('"Geprueft"', '"EndEvent"'))
    assert status == 200, answer
    started = rest.client.post("/engine-rest/process-definition/key/pruefung-extern/start", headers=rest.bearer(),
                               json={"variables": {"antragsteller": {"value": "E"}, "betrag": {"value": 1}}})
    assert started.status_code == 200, started.get_data(as_text=True)


def test_the_studio_says_it_in_german(rest: Server) -> None:
    login_as(rest.client, "po")
    token = csrf_token(rest.client, "/studio/")
    page = rest.client.post("/studio/bereitstellen", content_type="multipart/form-data",
                            data={"csrf_token": token, "files": [(io.BytesIO(_renamed("Antrag", "Start#").encode()),
                                                                  "p.bpmn")]}).get_data(as_text=True)
    assert "Die ID „Start#“ enthält „#“" in page and "Nicht bereitgestellt: 1 Problem gefunden" in page


def test_amtsflow_check_names_the_element(tmp_path: Path) -> None:
    model = tmp_path / "p.bpmn"
    model.write_text(_renamed("Antrag", "Start#"))
    result = CliRunner().invoke(check, [str(model)])
    assert result.exit_code == 1 and "Start#: the id 'Start#' of this startEvent contains '#'" in result.output
    model.write_text(_renamed("Antrag", "Start"))
    assert CliRunner().invoke(check, [str(model)]).exit_code == 0
