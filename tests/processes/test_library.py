"""The process library as a whole: each folder deploys on its own, carries what a process owner needs."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from engine.runtime.parsing import parse_bundle
from engine.services.deploy import read_paths

from .conftest import PROCESSES, Scenario

SERVICES = sorted(p.name for p in PROCESSES.iterdir() if (p / "process.bpmn").exists())


def test_the_four_services_are_there() -> None:
    assert SERVICES == ["bewohnerparkausweis", "gewerbeanmeldung", "hundesteuer-anmeldung", "wohnsitz-ummeldung"]
    assert not list(PROCESSES.rglob("*.py")), "no Python in processes/"


@pytest.mark.parametrize("service", SERVICES)
def test_folder_has_readme_service_toml_dmn_and_german_forms(service: str) -> None:
    folder = PROCESSES / service
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "Was Sie ohne Programmierung ändern können" in readme and "Connectors" in readme
    meta = tomllib.loads((folder / "service.toml").read_text(encoding="utf-8"))
    assert meta["key"] == service and len(meta["leika"]) == 14
    assert {"aufbewahrung", "sla", "connectors"} <= meta.keys()
    for dmn in folder.glob("*.dmn"):
        assert dmn.stem in readme, f"{dmn.name} is not explained in the README"
    for schema_file in (folder / "forms").glob("*.schema.json"):
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        assert schema["title"] and schema_file.name.startswith(schema_file.name.split("-")[0])
        ui = json.loads(schema_file.with_name(schema_file.name.replace(".schema.", ".uischema.")).read_text())
        assert ui["ui:order"]


@pytest.mark.parametrize("service", SERVICES)
def test_no_field_title_says_optional_itself(service: str) -> None:
    """The form renderer marks every field that is not required "– optional" (macros/form.html):
    a title that says so too reads "Weitere Unterlage (Datei, freiwillig) – optional"."""
    for schema_file in (PROCESSES / service / "forms").glob("*.schema.json"):
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        required = set(schema.get("required", []))
        for name, field in schema.get("properties", {}).items():
            title = str(field.get("title", "")).lower()
            if name not in required and field.get("type") != "boolean":
                assert "freiwillig" not in title and "optional" not in title, (schema_file.name, name)


def test_all_folders_also_deploy_as_one_bundle_without_name_clashes() -> None:
    bundle = parse_bundle(read_paths([str(PROCESSES)]))
    assert sorted(bundle.processes) == SERVICES and bundle.warnings == []
    names = [p.name for p in Path(PROCESSES).rglob("*.json")]
    assert len(names) == len(set(names)), "form file names must be unique across the library"


def test_each_folder_deploys_once_and_redeploying_changes_nothing(scenario: Scenario) -> None:
    for service in SERVICES:
        scenario.deploy(service)
        scenario.deploy(service)
    from engine.services.queries import list_definitions

    assert sorted((d["key"], d["version"]) for d in list_definitions(scenario.engine)) == [(s, 1) for s in SERVICES]
