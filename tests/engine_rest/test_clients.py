"""The official Camunda 7 external-task clients (npm camunda-external-task-client-js, PyPI
camunda-external-task-client-python3) work tasks of a running amtsflow unchanged: a worker
subscribes to a topic, completes with variables, reports a failure with retries (ending in an
incident) and throws a BPMN error that an error boundary event catches. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.services import incidents, queries
from tests.engine_rest.conftest import MODELS, ROOT, Server

NODE = shutil.which("node")
JS_CLIENT = ROOT / "node_modules" / "camunda-external-task-client-js"
HERE = Path(__file__).parent


def _deploy_and_start(rest: Server) -> dict[str, str]:
    bpmn = (MODELS / "pruefung-extern.bpmn").read_bytes()
    deployed = rest.client.post("/engine-rest/deployment/create", headers=rest.basic("po"),
                                content_type="multipart/form-data",
                                data={"deployment-name": "pruefung", "deployment-source": "Camunda Modeler",
                                      "enable-duplicate-filtering": "true",
                                      "pruefung-extern.bpmn": (io.BytesIO(bpmn), "pruefung-extern.bpmn")})
    assert deployed.status_code == 200, deployed.get_data(as_text=True)
    cases = {}
    for name, amount in (("Erika", 12), ("Max", 5000), ("Fehler", 1)):
        started = rest.client.post("/engine-rest/process-definition/key/pruefung-extern/start",
                                   headers=rest.basic("po"),
                                   json={"variables": {"antragsteller": {"value": name, "type": "String"},
                                                       "betrag": {"value": amount, "type": "Long"}}})
        assert started.status_code == 200, started.get_data(as_text=True)
        cases[name] = started.get_json()["id"]
    return cases


def _settled(rest: Server, cases: dict[str, str], timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        views = {name: queries.get_case(rest.engine, case_id) for name, case_id in cases.items()}
        if views["Erika"]["status"] == "completed" and views["Max"]["status"] == "completed" \
                and views["Fehler"]["status"] == "failed":
            return views
        if time.monotonic() > deadline:
            raise AssertionError({n: (v["status"], v["data"]) for n, v in views.items()})
        time.sleep(0.1)


def _check(rest: Server, views: dict[str, Any], worker: str) -> None:
    done = views["Erika"]["data"]
    assert done["geprueft"] is True and done["pruefer"] == worker
    assert done["ergebnis"] == {"stufe": 2, "hinweise": ["ok"]}        # a JSON object stays an object
    rejected = views["Max"]["data"]
    assert rejected["grund"] == f"Betrag 5000 zu hoch ({worker})" and "geprueft" not in rejected
    assert [h["details"].get("bpmn_error") for h in views["Max"]["history"]
            if h["action"] == "external_task_error"] == ["ABGELEHNT"]
    [incident] = incidents.list_incidents(rest.engine, case_id=views["Fehler"]["id"])
    assert incident["message"] == "Fachverfahren nicht erreichbar" and incident["element_id"] == "Pruefen"
    assert incidents.get_incident(rest.engine, incident["id"])["details"] == f"connect ECONNREFUSED ({worker})"
    failures = [h for h in views["Fehler"]["history"] if h["action"] == "incident_raised"]
    assert len(failures) == 1


def _run(command: list[str], rest: Server, cases: dict[str, str]) -> dict[str, Any]:
    worker = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        return _settled(rest, cases)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=10)[0]
        print(output[-3000:])


def test_javascript_client_subscribes_completes_fails_and_throws(rest: Server) -> None:
    if NODE is None or not JS_CLIENT.exists():
        pytest.skip("node or node_modules/camunda-external-task-client-js missing (npm ci)")
    cases = _deploy_and_start(rest)
    views = _run([NODE, str(HERE / "worker.mjs"), rest.rest, "sb1", rest.passwords["sb1"]], rest, cases)
    _check(rest, views, "js")


def test_python_client_subscribes_completes_fails_and_throws(rest: Server) -> None:
    cases = _deploy_and_start(rest)
    views = _run([sys.executable, str(HERE / "py_worker.py"), rest.rest, rest.token], rest, cases)
    _check(rest, views, "py")
