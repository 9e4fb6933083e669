"""Studio: migrate running cases to a new version (issue 16): mapping, dry run, batch, progress."""

from __future__ import annotations

from typing import Any

import pytest

from engine.jobs import JobExecutor
from engine.runtime.parsing import SourceFile
from engine.services import cases, queries
from engine.services.deploy import deploy
from tests.conftest import model
from tests.web.conftest import csrf_token, login_as

MODELS = model("migration")


@pytest.fixture
def ten(web_engine: Any) -> list[str]:
    deploy(web_engine, [SourceFile("m.bpmn", (MODELS / "v1.bpmn").read_bytes())], actor="po")
    ids = [cases.start_case(web_engine, "migration_test", {}, actor="t", internal=True) for _ in range(10)]
    deploy(web_engine, [SourceFile("m.bpmn", (MODELS / "v2.bpmn").read_bytes())], actor="po")
    return ids


def test_owner_maps_the_renamed_task_tries_and_migrates_ten_cases(client: Any, web_engine: Any,
                                                                  ten: list[str]) -> None:
    login_as(client, "po")
    page = client.get("/studio/prozesse/migration_test/migration?von=1&nach=2").get_data(as_text=True)
    assert "In v1 laufen 10 Vorgänge." in page and "in v2 nicht vorhanden" in page
    token = csrf_token(client, "/studio/prozesse/migration_test/migration")
    form = {"csrf_token": token, "aktion": "probelauf", "ziel-pruefen": ""}
    unmapped = client.post("/studio/prozesse/migration_test/migration?von=1&nach=2", data=form).get_data(as_text=True)
    assert "0 von 10 Vorgängen ließen sich migrieren." in unmapped and "kein Gegenstück" in unmapped
    form["ziel-pruefen"] = "antrag_pruefen"
    tried = client.post("/studio/prozesse/migration_test/migration?von=1&nach=2", data=form).get_data(as_text=True)
    assert "10 von 10 Vorgängen ließen sich migrieren." in tried and "antrag_pruefen, frist" in tried
    assert all(queries.get_case(web_engine, c)["version"] == 1 for c in ten)
    started = client.post("/studio/prozesse/migration_test/migration?von=1&nach=2",
                          data={**form, "aktion": "starten", "kommentar": "Neue Freigabe"})
    assert started.status_code == 303 and "/studio/migrationen/" in started.headers["Location"]
    JobExecutor(web_engine).run_until_idle()
    batch = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Abgeschlossen:" in batch and "10 von 10 Vorgängen bearbeitet, 10 migriert, 0 nicht migriert." in batch
    assert all(queries.get_case(web_engine, c)["version"] == 2 for c in ten)


def test_a_plan_across_kinds_is_refused_on_the_page(client: Any, ten: list[str]) -> None:
    login_as(client, "po")
    token = csrf_token(client, "/studio/prozesse/migration_test/migration")
    response = client.post("/studio/prozesse/migration_test/migration?von=1&nach=2",
                           data={"csrf_token": token, "aktion": "probelauf", "ziel-pruefen": "frist"})
    assert response.status_code == 400 and "kann nicht zu" in response.get_data(as_text=True)


def test_only_owners_migrate(client: Any, ten: list[str]) -> None:
    for user, status in (("sb1", 403), ("erika", 403), ("admin", 403)):
        login_as(client, user)
        assert client.get("/studio/prozesse/migration_test/migration").status_code == status
