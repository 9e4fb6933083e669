"""Studio: what changed between two versions of a process.

Both versions come from their stored sources: the files (name and content hash, from
``queries.definition_files``) and the flow elements of the parsed models (the definition cache
parses the stored BPMN). An element counts as renamed when its id stayed and its name changed,
and as re-identified when an id vanished and a new id appeared with the same type and name
(a modeler's "change id", which breaks running cases' positions and needs a migration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from flask import abort, render_template, request

from engine.services.read_models import ElementInfo
from engine.services import queries
from webui.auth import engine
from webui.studio.blueprint import bp, process_overview

KIND_LABELS = {
    "startEvent": "Startereignis", "endEvent": "Endereignis", "userTask": "Benutzeraufgabe",
    "serviceTask": "Serviceaufgabe", "scriptTask": "Skriptaufgabe", "businessRuleTask": "Entscheidungsaufgabe",
    "sendTask": "Sendeaufgabe", "receiveTask": "Empfangsaufgabe", "manualTask": "Manuelle Aufgabe",
    "task": "Aufgabe", "callActivity": "Aufruf", "subProcess": "Teilprozess",
    "exclusiveGateway": "Exklusives Gateway", "parallelGateway": "Paralleles Gateway",
    "inclusiveGateway": "Inklusives Gateway", "eventBasedGateway": "Ereignisbasiertes Gateway",
    "intermediateCatchEvent": "Zwischenereignis (empfangend)", "intermediateThrowEvent": "Zwischenereignis (sendend)",
    "boundaryEvent": "Randereignis",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@dataclass
class VersionDiff:
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    added: list[ElementInfo] = field(default_factory=list)
    removed: list[ElementInfo] = field(default_factory=list)
    renamed: list[tuple[ElementInfo, ElementInfo]] = field(default_factory=list)
    retyped: list[tuple[ElementInfo, ElementInfo]] = field(default_factory=list)
    reidentified: list[tuple[ElementInfo, ElementInfo]] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not any(getattr(self, f) for f in self.__dataclass_fields__)


def _elements(definition_id: str) -> dict[str, ElementInfo]:
    parsed = engine().definitions.get(definition_id)
    elements: dict[str, ElementInfo] = {}
    for model in [parsed.model, *(m for k, m in parsed.models.items() if k != parsed.model.key)]:
        for element_id, info in model.elements.items():
            elements.setdefault(element_id, info)
    return elements


def _files(definition_id: str) -> dict[str, str]:
    """File name -> content hash; compared by base name (a ZIP's folder or the upload path is no change)."""
    files = queries.definition_files(engine(), definition_id)
    short = {PurePath(f["name"].replace("\\", "/")).name: f["sha256"] for f in files}
    return short if len(short) == len(files) else {f["name"]: f["sha256"] for f in files}


def compare(old_id: str, new_id: str) -> VersionDiff:
    diff = VersionDiff()
    old_files, new_files = _files(old_id), _files(new_id)
    diff.files_added = sorted(set(new_files) - set(old_files))
    diff.files_removed = sorted(set(old_files) - set(new_files))
    diff.files_changed = sorted(n for n in set(old_files) & set(new_files) if old_files[n] != new_files[n])
    old, new = _elements(old_id), _elements(new_id)
    for element_id in sorted(set(old) & set(new)):
        before, after = old[element_id], new[element_id]
        if before.kind != after.kind:
            diff.retyped.append((before, after))
        elif before.name != after.name:
            diff.renamed.append((before, after))
    gone = [old[i] for i in sorted(set(old) - set(new))]
    came = [new[i] for i in sorted(set(new) - set(old))]
    for before in list(gone):
        match = next((a for a in came if a.kind == before.kind and a.name == before.name and a.name), None)
        if match is not None:
            diff.reidentified.append((before, match))
            gone.remove(before)
            came.remove(match)
    diff.removed, diff.added = gone, came
    return diff


def _version(entry: dict[str, Any], number: int | None, default: dict[str, Any]) -> dict[str, Any]:
    if number is None:
        return default
    found = next((v for v in entry["versions"] if v["version"] == number), None)
    if found is None:
        abort(404)
    return dict(found)


@bp.get("/prozesse/<key>/aenderungen")
def changes(key: str) -> Any:
    entry = next((p for p in process_overview() if p["key"] == key), None)
    if entry is None:
        abort(404)
    versions = entry["versions"]                       # newest first
    new = _version(entry, request.args.get("bis", type=int), versions[0])
    older = [v for v in versions if v["version"] < new["version"]]
    old = _version(entry, request.args.get("von", type=int), older[0] if older else new)
    diff = compare(old["id"], new["id"]) if old["id"] != new["id"] else None
    return render_template("studio/changes.html", process=entry, old=old, new=new, diff=diff, kind_label=kind_label)
