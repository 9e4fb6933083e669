"""A whole process library in one upload (`amtsflow deploy processes/`, as the README's command
line allows): each process's version holds its own folder's files, as if its folder had been
deployed alone; a tenant's override names one file; forms of the same name in two folders are
refused instead of one process getting the other's. Both databases."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.domain.errors import DeploymentError
from engine.services import overrides
from engine.services.deploy import deploy, read_paths

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
FOLDERS = ("bewohnerparkausweis", "hundesteuer-anmeldung")


@pytest.fixture
def library(tmp_path: Path) -> Path:
    for name in FOLDERS:
        shutil.copytree(PROCESSES / name, tmp_path / "processes" / name)
    return tmp_path / "processes"


def _files(engine: Any, key: str) -> list[str]:
    from sqlalchemy import select

    from engine.persistence import tables as t
    from engine.services.deploy import latest_definition

    with engine.db.connect() as conn:
        row = latest_definition(conn, key)
        return [f["name"] for f in conn.execute(select(t.process_definitions.c.files).where(
            t.process_definitions.c.id == row.id)).scalar_one()]


def test_each_process_of_a_library_upload_holds_its_own_folder(engine: Any, library: Path) -> None:
    result = deploy(engine, read_paths([str(library)]), actor="provider")
    assert sorted(f"{p.key} v{p.version}" for p in result.processes) == ["bewohnerparkausweis v1",
                                                                         "hundesteuer-anmeldung v1"]
    for key in FOLDERS:
        assert {name.split("/")[-2] if "/forms/" not in name else name.split("/")[-3]
                for name in _files(engine, key)} == {key}, _files(engine, key)
    # the same folder deployed alone is the same version: nothing else was part of it
    assert [p.created for p in deploy(engine, read_paths([str(library / FOLDERS[0])]), actor="po").processes] == [False]
    # a change in one folder gives that process a new version, the other none
    steuer = library / "hundesteuer-anmeldung" / "steuersatz.dmn"
    steuer.write_text(steuer.read_text().replace("</definitions>", "<!-- Satzung 2027 --></definitions>"))
    changed = {p.key: p.created for p in deploy(engine, read_paths([str(library)]), actor="provider").processes}
    assert changed == {"bewohnerparkausweis": False, "hundesteuer-anmeldung": True}
    # a tenant's override of one file of one process of the library (another folder's files are not its)
    fee = (PROCESSES / "bewohnerparkausweis" / "gebuehr.dmn").read_bytes().replace(b"<text>18000</text>",
                                                                                 b"<text>15000</text>")
    assert overrides.upload(engine, "default", "bewohnerparkausweis", "gebuehr.dmn", fee, actor="po").version == 1


def test_forms_of_the_same_name_in_two_folders_are_refused(engine: Any, library: Path) -> None:
    first = library / "bewohnerparkausweis" / "forms" / "parkausweis-antrag.schema.json"
    twin = library / "hundesteuer-anmeldung" / "forms" / "parkausweis-antrag.schema.json"
    twin.write_text(first.read_text().replace('"title"', '"description": "anders", "title"', 1))
    with pytest.raises(DeploymentError) as refused:
        deploy(engine, read_paths([str(library)]), actor="provider")
    [problem] = refused.value.problems
    assert problem.file.endswith("parkausweis-antrag.schema.json") and "forms are found by file name" in problem.message
