"""What a tenant may change in a shared process's file (issue 17, item 3).

An override replaces one file of a shared process for one tenant. The process itself (its BPMN,
the variables it reads and writes) stays the provider's, so an override may change values, not
the contract between the file and the process:

* a DMN table: its rules, labels and descriptions; not its decision ids, nor the input
  expressions and output names (and output types) of a decision, which the process relies on;
* a form (``*.schema.json``): titles, descriptions and option lists (``enum``, ``oneOf`` /
  ``anyOf`` of constants, ``examples``); not field names, types or constraints;
* a form's UI schema (``*.uischema.json``): labels, help texts, placeholders and option names;
  not the fields it refers to, widgets or order;
* the ``service.toml`` (a whole file, like every override): values of the keys the shared
  file has, of the same type; no key added or left out; never the keys the engine
  stores with a version when it is deployed (``key``, ``aktenzeichen``, ``nachrichten_nur_systeme``,
  ``[aufbewahrung] frist``): those belong to the shared definition.

These checks compare the override with the shared file. The whole variant (the definition's
files with the override in place) is then parsed and validated as a deployment would be
(engine.services.overrides), so an override that passes here is still refused when, say, a
rule's expression is invalid.
"""

from __future__ import annotations

import json
import os
import tomllib
from typing import Any

from lxml import etree

from engine.runtime.xmlsafe import UnsafeXml, parse_untrusted

DMN_SUFFIX = ".dmn"
FORM_SUFFIX = ".schema.json"
UI_SUFFIX = ".uischema.json"
SERVICE_FILE = "service.toml"

# service.toml keys stored with a deployed version (engine.services.deploy): not per tenant
FIXED_SERVICE_KEYS = {("key",), ("aktenzeichen",), ("nachrichten_nur_systeme",), ("aufbewahrung", "frist")}
# JSON Schema keywords that only label a field or list its options
SCHEMA_TEXT_KEYS = {"title", "description", "examples", "enum", "oneOf", "anyOf", "default"}
UI_TEXT_KEYS = {"ui:title", "ui:description", "ui:help", "ui:placeholder", "ui:enumNames", "ui:label"}


def kind_of(file_name: str) -> str | None:
    """dmn, form, uischema or service for a file a tenant may override; None otherwise."""
    base = os.path.basename(file_name).lower()
    if base.endswith(DMN_SUFFIX):
        return "dmn"
    if base.endswith(UI_SUFFIX):
        return "uischema"
    if base.endswith(FORM_SUFFIX):
        return "form"
    if base == SERVICE_FILE:
        return "service"
    return None


def check_override(file_name: str, shared: bytes, override: bytes) -> list[str]:
    """Why ``override`` may not replace ``shared`` (German, for the process owner); [] if it may."""
    kind = kind_of(file_name)
    if kind is None:
        return [f"{os.path.basename(file_name)} kann nicht mandantenweise angepasst werden "
                "(nur Entscheidungstabellen, Formulare und service.toml)"]
    if kind == "dmn":
        return _dmn_problems(shared, override, file_name)
    if kind == "service":
        return _service_problems(shared, override)
    try:
        new = json.loads(override.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"kein gültiges JSON: {exc}"]
    old = json.loads(shared.decode("utf-8"))
    if kind == "form":
        return _differences(_form_frame(old), _form_frame(new), "Formularfeld")
    return _differences(_ui_frame(old), _ui_frame(new), "Anzeigeeinstellung")


# --- DMN --------------------------------------------------------------------------------------

def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def decision_contract(root: etree._Element) -> dict[str, tuple[list[str], list[tuple[str, str]]]]:
    """decision id -> (input expressions, [(output name, type)]) of every decision table."""
    contract: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
    for decision in root.iter():
        if _local(decision) != "decision":
            continue
        inputs: list[str] = []
        outputs: list[tuple[str, str]] = []
        for element in decision.iter():
            name = _local(element)
            if name == "inputExpression":
                text = next((c.text or "" for c in element if _local(c) == "text"), "")
                inputs.append(" ".join(text.split()))
            elif name == "output":
                outputs.append((element.get("name") or "", element.get("typeRef") or ""))
        contract[decision.get("id") or ""] = (sorted(inputs), sorted(outputs))
    return contract


def _dmn_problems(shared: bytes, override: bytes, file_name: str) -> list[str]:
    try:
        new = decision_contract(parse_untrusted(override, file_name))
    except (UnsafeXml, etree.XMLSyntaxError) as exc:
        return [f"kein gültiges DMN: {exc}"]
    old = decision_contract(parse_untrusted(shared, file_name))
    problems = [f"Entscheidung {d} fehlt (der Prozess ruft sie auf)" for d in sorted(set(old) - set(new))]
    problems += [f"Entscheidung {d} ist neu; Entscheidungen dürfen nicht hinzukommen" for d in sorted(set(new) - set(old))]
    for decision in sorted(set(old) & set(new)):
        (old_in, old_out), (new_in, new_out) = old[decision], new[decision]
        if old_in != new_in:
            problems.append(f"Entscheidung {decision}: die Eingaben müssen bleiben ({', '.join(old_in)}), "
                            f"sind aber {', '.join(new_in) or 'keine'}")
        if old_out != new_out:
            shown = ", ".join(f"{n} ({t or 'ohne Typ'})" for n, t in old_out)
            problems.append(f"Entscheidung {decision}: die Ausgaben müssen bleiben ({shown})")
    return problems


# --- forms ------------------------------------------------------------------------------------

def _is_option_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) and "const" in v
                                           and set(v) <= {"const", "title", "description"} for v in value)


def _form_frame(schema: Any) -> Any:
    """The schema without labels and option lists: what must stay as it is."""
    if isinstance(schema, dict):
        frame = {}
        for key, value in schema.items():
            if key in ("title", "description", "examples", "default", "enum"):
                continue
            if key in ("oneOf", "anyOf") and _is_option_list(value):
                continue
            frame[key] = _form_frame(value)
        if "enum" in schema:   # the options may change, the type of their values may not
            frame["x-enum-types"] = sorted({type(v).__name__ for v in schema["enum"]})
        return frame
    if isinstance(schema, list):
        return [_form_frame(v) for v in schema]
    return schema


def _ui_frame(ui: Any) -> Any:
    if isinstance(ui, dict):
        return {k: _ui_frame(v) for k, v in ui.items() if k not in UI_TEXT_KEYS}
    if isinstance(ui, list):
        return [_ui_frame(v) for v in ui]
    return ui


def _differences(old: Any, new: Any, what: str, path: str = "") -> list[str]:
    where = path or "(oberste Ebene)"
    if isinstance(old, dict) and isinstance(new, dict):
        problems = [f"{what} {path + '/' if path else ''}{k} fehlt" for k in sorted(set(old) - set(new))]
        problems += [f"{what} {path + '/' if path else ''}{k} ist neu; nur Beschriftungen und Auswahllisten "
                     "dürfen sich ändern" for k in sorted(set(new) - set(old))]
        for key in sorted(set(old) & set(new)):
            problems += _differences(old[key], new[key], what, f"{path}/{key}" if path else key)
        return problems
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new)) for p in _differences(a, b, what, f"{path}[{i}]")]
    if old != new:
        return [f"{where}: {json.dumps(old, ensure_ascii=False)} darf nicht zu "
                f"{json.dumps(new, ensure_ascii=False)} werden; nur Beschriftungen und Auswahllisten "
                "dürfen sich ändern"]
    return []


# --- service.toml -----------------------------------------------------------------------------

def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _service_problems(shared: bytes, override: bytes) -> list[str]:
    try:
        new = tomllib.loads(override.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [f"kein gültiges TOML: {exc}"]
    old = tomllib.loads(shared.decode("utf-8"))
    problems: list[str] = []
    _walk_service(old, new, (), problems)
    return problems


def _walk_service(old: dict[str, Any], new: dict[str, Any], path: tuple[str, ...], problems: list[str]) -> None:
    for key in old:
        if key not in new:   # an override is a whole file: what it leaves out would be gone
            problems.append(f"Schlüssel {'.'.join((*path, key))} fehlt; die Anpassung ist die ganze Datei "
                            "mit geänderten Werten")
    for key, value in new.items():
        here = (*path, key)
        name = ".".join(here)
        if key not in old:
            problems.append(f"Schlüssel {name} gibt es in der gemeinsamen service.toml nicht")
            continue
        if isinstance(old[key], dict):
            if not isinstance(value, dict):
                problems.append(f"{name} muss ein Abschnitt bleiben")
            else:
                _walk_service(old[key], value, here, problems)
            continue
        if here in FIXED_SERVICE_KEYS and value != old[key]:
            problems.append(f"{name} gehört zur gemeinsamen Prozessversion und kann nicht je Mandant "
                            "abweichen")
        elif _toml_type(value) != _toml_type(old[key]):
            problems.append(f"{name} muss vom Typ {_toml_type(old[key])} bleiben, ist aber {_toml_type(value)}")


__all__ = ["FIXED_SERVICE_KEYS", "check_override", "decision_contract", "kind_of"]
