"""Element ids that SpiffWorkflow uses for its own task specs (``Start``, ``End``, ``Root``,
``<id>.BoundaryEventSplit`` ...) are refused when deploying, naming the element: over
/engine-rest (Camunda Modeler), in the studio (in German) and by ``amtsflow check``. Before,
a start event ``Start`` deployed and every case start failed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

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
def test_engine_rest_refuses_a_reserved_id_naming_the_element(rest: Server, old: str, new: str) -> None:
    status, answer = _deploy(rest, _renamed(old, new))
    assert status == 400 and answer["type"] == "ParseException", answer
    assert f": {new}: the id '{new}' of this " in answer["message"] and "is reserved" in answer["message"]


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
                            data={"csrf_token": token, "files": [(io.BytesIO(_renamed("Antrag", "Start").encode()),
                                                                  "p.bpmn")]}).get_data(as_text=True)
    assert "Die ID „Start“ ist reserviert" in page and "Nicht bereitgestellt: 1 Problem gefunden" in page


def test_amtsflow_check_names_the_element(tmp_path: Path) -> None:
    model = tmp_path / "p.bpmn"
    model.write_text(_renamed("Antrag", "Start"))
    result = CliRunner().invoke(check, [str(model)])
    assert result.exit_code == 1 and "Start: the id 'Start' of this startEvent is reserved" in result.output
