"""service.toml [ruecknahme] nachricht: checked at deploy (the process must catch the message)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.domain.errors import DeploymentError
from engine.services import queries
from engine.services.deploy import deploy, read_paths

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "hundesteuer-anmeldung"


def _copy(tmp_path: Path, section: str) -> list:
    folder = tmp_path / "hundesteuer"
    shutil.copytree(PROCESS, folder)
    toml = folder / "service.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.split("[ruecknahme]")[0] + section, encoding="utf-8")
    return read_paths([str(folder)])


def test_the_declared_withdrawal_message_is_the_models(engine, tmp_path):
    deploy(engine, _copy(tmp_path, '[ruecknahme]\nnachricht = "antrag_zurueckgenommen"\n'), actor="po")
    row = next(r for r in queries.list_definitions(engine) if r["key"] == "hundesteuer-anmeldung")
    assert engine.definitions.get(row["id"]).model.withdrawal == "antrag_zurueckgenommen"


@pytest.mark.parametrize(("section", "message"), [
    ('[ruecknahme]\nnachricht = "zahlung_gebucht"\n', "empfängt diese Nachricht nirgends"),
    ("[ruecknahme]\nnachricht = 5\n", "must name the message"),
    ('[ruecknahme]\nnachricht = " "\n', "must name the message"),
])
def test_a_withdrawal_the_process_does_not_catch_is_refused(engine, tmp_path, section, message):
    with pytest.raises(DeploymentError) as refused:
        deploy(engine, _copy(tmp_path, section), actor="po")
    assert any("[ruecknahme]" in p.message and message in p.message for p in refused.value.problems)
