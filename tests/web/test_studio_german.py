"""Issue 14.14: the studio's deploy report is German: counted in words ("1 Problem", "3 Probleme"),
with file, line, element and a German message; an engine message no rule knows stays as written,
marked English for screen readers."""

from __future__ import annotations

import io
import re

from engine.domain.errors import Problem
from tests.web.conftest import csrf_token, login_as
from webui.studio.problem_text import german, shown

SCRIPT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="http://x">
  <bpmn:process id="skript" name="Skript" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="rechnen" name="Rechnen">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>import os
y = eval("1")
z = [1].frobnicate()</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rechnen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="rechnen" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def _upload(client, name: str, content: bytes):
    login_as(client, "po")
    token = csrf_token(client, "/studio/")
    return client.post("/studio/bereitstellen", content_type="multipart/form-data",
                       data={"csrf_token": token, "files": [(io.BytesIO(content), name)]})


def test_script_problems_read_german(client):
    response = _upload(client, "skript.bpmn", SCRIPT.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Problem(e)" not in page and "is not allowed" not in re.sub(r"<details.*?</details>", "", page, flags=re.S)
    assert "Nicht bereitgestellt: 3 Probleme gefunden" in page
    assert "import ist in Skripten und Ausdrücken nicht erlaubt (Zeile 1 des Skripts)" in page
    assert "Unbekannte Funktion „eval“" in page or "Die Funktion eval() ist nicht erlaubt" in page
    assert "Die Methode „frobnicate“ ist nicht erlaubt (Zeile 3 des Skripts)" in page
    assert "<th scope=\"col\" class=\"kern-table__header\">Zeile</th>" in page


def test_one_problem_is_singular_and_an_unknown_message_is_marked_english(client):
    page = _upload(client, "notiz.txt", b"hallo").get_data(as_text=True)
    assert "Nicht bereitgestellt: 1 Problem gefunden" in page
    assert "Keine BPMN-, DMN-, Formular- (.json/.form) oder ZIP-Datei" in page
    odd = shown(Problem("a.bpmn", 3, "x", "something new the rules do not know"))
    assert not odd.translated and odd.message == "something new the rules do not know"


def test_nested_messages_are_translated_inside_out():
    assert german("parameter 'to': import is not allowed") == \
        "Parameter „to“: import ist in Skripten und Ausdrücken nicht erlaubt"
