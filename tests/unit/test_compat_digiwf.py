"""bench/compat_digiwf.py: what the bench's DigiWF platform fills in (forms found by key in
both DigiWF formats, start variables) and which script beans it maps."""

from __future__ import annotations

import json
from pathlib import Path

from bench.compat_digiwf import DigiwfRun, form_keys, forms_in, script_beans
from engine.runtime.parsing import SourceFile

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="antrag" isExecutable="true">
    <bpmn:startEvent id="start" camunda:formKey="antrag_start">
      <bpmn:extensionElements><camunda:executionListener event="start">
        <camunda:script scriptFormat="Javascript">var n = user.lastname(starterOfInstance);
process.setDescription("von " + n); process.setStatus("offen");</camunda:script>
      </camunda:executionListener></bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:userTask id="pruefen"><bpmn:extensionElements><camunda:inputOutput>
      <camunda:inputParameter name="app_task_schema_key">antrag_pruefen</camunda:inputParameter>
    </camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>
  </bpmn:process>
</bpmn:definitions>"""

START = {"key": "antrag_start", "schema": {"type": "object", "allOf": [{"allOf": [{"properties": {
    "FormField_Name": {"type": "string"},
    "FormField_Anzahl": {"type": "integer", "default": 3},
    "FormField_Info": {"type": "string", "x-display": "markdown", "default": "Text"},
    "FormField_Alt": {"type": "string", "readOnly": True}}}]}]}}
PRUEFEN = {"key": "antrag_pruefen", "groups": [{"schema": [
    {"key": "FormField_Ok", "type": "select", "items": [{"name": "Ja", "value": "ja"}]},
    {"key": "FormField_Hinweis", "type": "markdown-output"},
    {"key": "FormField_Fest", "type": "text", "readonly": True},
    {"key": "FormField_Haken", "type": "checkbox"}]}]}


def test_forms_found_by_key_in_both_formats(tmp_path: Path) -> None:
    folder = tmp_path / "prozesse" / "antrag"
    (folder / "forms").mkdir(parents=True)
    bpmn = folder / "antrag.bpmn"
    bpmn.write_text(BPMN)
    (folder / "forms" / "start.schema.json").write_text(json.dumps(START))
    (folder / "pruefen.form.json").write_text(json.dumps(PRUEFEN))
    assert set(forms_in(folder)) == {"antrag_start", "antrag_pruefen"}
    assert form_keys(tmp_path)[("antrag", "")][0][0] == "antrag_start"
    run = DigiwfRun(tmp_path, bpmn)
    start = run.start_data("antrag", "2026-01-05")
    assert start["FormField_Name"] == "Beispiel" and start["FormField_Anzahl"] == 3
    assert "FormField_Info" not in start and "FormField_Alt" not in start
    assert start["starterOfInstance"] == "bench" and start["app_file_s3_async_config"]
    assert run.task_data("antrag", "pruefen", "2026-01-05") == {"FormField_Ok": "ja", "FormField_Haken": True}
    assert run.task_data("antrag", "unbekannt", "2026-01-05") is None


def test_beans_of_scripts_are_mapped_but_not_set_status() -> None:
    assert script_beans([SourceFile("antrag.bpmn", BPMN.encode())]) == [
        ("beans", "process.setDescription"), ("beans", "user.lastname")]
