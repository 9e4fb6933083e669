"""``bench/compat.py --platform digiwf``: what Munich's DigiWF platform does around a Camunda 7
model, simulated for a run of its real models (a DigiWF folder tree given with ``--corpus``).

DigiWF's own parts that a model relies on and that are not BPMN:

* **start variables**: the platform starts every case with ``starterOfInstance`` (the user),
  ``app_process_start_date``, ``app_process_status``, ``app_file_context``,
  ``app_process_info_id`` and the S3 integration's topics ``app_file_s3_async_config`` /
  ``app_file_s3_sync_config`` (ServiceDefinitionService / ServiceDefinitionFacade.startInstance);
* **forms** in DigiWF's own formats, found by key: a start event's ``camunda:formKey`` and a
  user task's ``camunda:formKey`` or input parameter ``app_task_schema_key`` name the ``key`` of a
  ``*.schema.json`` (a JSON Schema under ``schema``, fields nested in ``allOf`` sections) or of a
  ``*.form.json`` (fields under ``groups[].schema[]``; Miranum's ``*.form`` files hold the first
  format) kept in the model's folder or below it (forms/), else anywhere in the tree. A person fills them in; the bench fills every editable field with a value valid
  for it (:func:`bench.compat_run.sample`; a field's ``default`` when it has one);
* **beans** the platform's JavaScript reaches (``user.firstname(id)``, ``process.setDescription``):
  every method that a script calls on an object it never defines is mapped, as the bench maps
  undeclared beans of expressions, to the test operation ``bench.call`` (answered with ``{}``).

Nothing here is per file: every model of the tree is driven the same way.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from bench.compat_run import sample
from engine.runtime.javascript import undeclared_objects

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
USER = "bench"
_PROCESS_METHOD = re.compile(r"(?<![\w$.])process\s*\.\s*([A-Za-z_$][\w$]*)\s*\(")


def start_variables(key: str) -> dict[str, Any]:
    """What DigiWF's platform sets when it starts a case of process ``key``."""
    return {"starterOfInstance": USER, "app_process_start_date": "2026-01-05T09:00:00Z",
            "app_process_status": "Gestartet", "app_file_context": f"{key}/bench",
            "app_process_info_id": f"info-{key}", "app_file_s3_async_config": "dwf-s3-bench",
            "app_file_s3_sync_config": "http://s3-integration.bench/api"}


# --- forms ------------------------------------------------------------------------------------

def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=4096)
def forms_in(folder: Path) -> dict[str, dict[str, Any]]:
    """DigiWF forms of a folder and its sub-folders (forms/): key -> the form's JSON (either
    format), the folder's own first."""
    found: dict[str, dict[str, Any]] = {}
    paths = [p for p in folder.rglob("*") if p.suffix in (".json", ".form") and p.is_file()]
    for path in sorted(paths, key=lambda p: (len(p.relative_to(folder).parts), str(p))):
        data = _read(path)
        if isinstance(data, dict) and isinstance(data.get("key"), str) and (
                isinstance(data.get("schema"), dict) or isinstance(data.get("groups"), list)):
            found.setdefault(data["key"], data)
    return found


@lru_cache(maxsize=8)
def _all_forms(corpus: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for folder in sorted({p.parent for p in corpus.rglob("*") if p.suffix in (".json", ".form")}):
        for key, form in forms_in(folder).items():
            found.setdefault(key, form)
    return found


def form_for(key: str | None, folder: Path, corpus: Path) -> dict[str, Any] | None:
    if not key:
        return None
    return forms_in(folder).get(key) or _all_forms(corpus).get(key)


@lru_cache(maxsize=8)
def form_keys(corpus: Path) -> dict[tuple[str, str], list[tuple[str, Path, float]]]:
    """(process id, element id) -> [(DigiWF form key, the folder of the BPMN file, its
    modification time)], over the tree; the start event's key is kept under (process id, "")."""
    keys: dict[tuple[str, str], list[tuple[str, Path, float]]] = {}
    for bpmn in sorted(corpus.rglob("*.bpmn")):
        try:
            root = etree.parse(str(bpmn), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        except etree.XMLSyntaxError:
            continue
        for process in root.iter(f"{{{BPMN}}}process"):
            pid = process.get("id", "")
            for node in process.iter(f"{{{BPMN}}}startEvent", f"{{{BPMN}}}userTask"):
                key = node.get(f"{{{CAMUNDA}}}formKey")
                for param in node.iter(f"{{{CAMUNDA}}}inputParameter"):
                    if param.get("name") == "app_task_schema_key" and (param.text or "").strip():
                        key = param.text.strip()
                if not key:
                    continue
                nested = node.getparent() is not process
                found = (key, bpmn.parent, bpmn.stat().st_mtime)
                if node.tag.endswith("startEvent") and not nested:
                    keys.setdefault((pid, ""), []).append(found)
                keys.setdefault((pid, node.get("id", "")), []).append(found)
    return keys


def form_data(form: dict[str, Any], today: str) -> dict[str, Any]:
    """Values for every editable field of a DigiWF form (either format)."""
    if isinstance(form.get("schema"), dict):
        return _schema_data(form["schema"], today)
    data: dict[str, Any] = {}
    for group in form.get("groups") or []:
        for field in group.get("schema") or [] if isinstance(group, dict) else []:
            if isinstance(field, dict) and isinstance(field.get("key"), str) and not field.get("readonly"):
                value = _field_value(field, today)
                if value is not None:
                    data[field["key"]] = value
    return data


def _schema_data(schema: dict[str, Any], today: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for part in schema.get("allOf") or []:
        if isinstance(part, dict):
            data.update(_schema_data(part, today))
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict) or sub.get("readOnly") or sub.get("x-display") == "markdown":
            continue
        data[name] = sub["default"] if "default" in sub else sample(sub, today)
    return data


def _field_value(field: dict[str, Any], today: str) -> Any:
    kind = field.get("type")
    if kind in ("markdown-output", "csv-output"):
        return None
    if field.get("defaultValue") not in (None, ""):
        return field["defaultValue"]
    if kind == "select":
        values = [i.get("value") for i in field.get("items") or [] if isinstance(i, dict)]
        first = values[0] if values else "Beispiel"
        return [first] if field.get("multiple") else first
    if kind in ("checkbox", "switch"):
        return True
    if kind in ("number", "integer"):
        return 1
    if kind == "date":
        return today
    if kind == "time":
        return "09:00"
    if kind in ("ldap-input",):
        return [USER] if field.get("multiple") else USER
    return ["Beispiel"] if field.get("multiple") else "Beispiel"


# --- beans of the platform's JavaScript --------------------------------------------------------

def script_beans(files: list[Any]) -> list[tuple[str, str]]:
    """("beans", "object.method") for every method that a JavaScript in the BPMN files calls on
    an object it never defines (DigiWF's `user` bean), and `process` methods besides setStatus."""
    from engine.runtime.javascript import JAVASCRIPT_NAMES

    found: set[str] = set()
    for f in files:
        if not str(getattr(f, "name", "")).lower().endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(f.content, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue
        for node in root.iter(f"{{{CAMUNDA}}}script", f"{{{BPMN}}}script"):
            owner = node if node.get("scriptFormat") else node.getparent()
            language = (owner.get("scriptFormat") or "") if owner is not None else ""
            if language.strip().lower() not in JAVASCRIPT_NAMES or not node.text:
                continue
            for name, methods in undeclared_objects(node.text).items():
                found |= {f"{name}.{m}" for m in methods}
            found |= {f"process.{m}" for m in _PROCESS_METHOD.findall(node.text) if m != "setStatus"}
    return [("beans", name) for name in sorted(found)]


# --- one run ------------------------------------------------------------------------------------

class DigiwfRun:
    """The platform around the run of one file: start data and user-task data."""

    def __init__(self, corpus: Path, bpmn: Path) -> None:
        self.corpus, self.folder = corpus, bpmn.parent
        self.keys = form_keys(corpus)

    def _form(self, process_key: str, element_id: str) -> dict[str, Any] | None:
        """The form of the element in the file being run, else in the newest file of the tree
        that has it (the version --tree deploys last); a task of a called process: the same
        element id in any process."""
        candidates = list(self.keys.get((process_key, element_id), []))
        if not candidates and element_id:
            candidates = [c for (_p, e), found in self.keys.items() if e == element_id for c in found]
        if not candidates:
            return None
        key, folder, _when = max(candidates, key=lambda c: (c[1] == self.folder, c[2], str(c[1])))
        return form_for(key, folder, self.corpus)

    def start_data(self, key: str, today: str) -> dict[str, Any]:
        form = self._form(key, "")
        return {**(form_data(form, today) if form else {}), **start_variables(key)}

    def task_data(self, process_key: str, element_id: str, today: str) -> dict[str, Any] | None:
        form = self._form(process_key, element_id)
        return form_data(form, today) if form else None
