"""REST API of the cockpit (issue 16): GET /api/v1/cases and the repairs, for owners and admins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.services import cases, identity, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import model


@pytest.fixture
def world(web_engine: Any, clock: Any) -> dict[str, Any]:
    deploy(web_engine, read_paths([str(model("repair"))]), actor="po")
    ids = []
    for n in range(3):                                                        # Person 0 divides by zero
        ids.append(cases.start_case(web_engine, "reparatur", {"antragsteller": f"Person {n}", "teiler": n},
                                    actor="erika", business_key=f"RP-2026-{n:04d}"))
        clock.advance(timedelta(minutes=5))
    tokens = {user: identity.create_api_token(web_engine, user, f"{user}-token")[1] for user in ("po", "admin", "sb1")}
    return {"ids": ids, "tokens": tokens}


def _get(client: Any, world: dict[str, Any], path: str, user: str = "po") -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {world['tokens'][user]}"})


def _post(client: Any, world: dict[str, Any], path: str, body: dict[str, Any], user: str = "po") -> Any:
    return client.post(path, json=body, headers={"Authorization": f"Bearer {world['tokens'][user]}"})


def test_search_pages_with_total_and_link(client: Any, world: dict[str, Any]) -> None:
    response = _get(client, world, "/api/v1/cases?process_key=reparatur&limit=2")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3" and "X-Total-Count-Exact" not in response.headers
    first = response.get_json()
    assert [row["business_key"] for row in first] == ["RP-2026-0002", "RP-2026-0001"]
    link = response.headers["Link"]
    assert link.endswith('>; rel="next"') and "process_key=reparatur" in link
    following = _get(client, world, link[1:link.index(">")].replace("http://localhost", ""))
    assert [row["business_key"] for row in following.get_json()] == ["RP-2026-0000"]
    assert "Link" not in following.headers
    failed = _get(client, world, "/api/v1/cases?status=incident").get_json()
    assert [row["business_key"] for row in failed] == ["RP-2026-0000"] and failed[0]["open_incidents"] == 1
    assert _get(client, world, "/api/v1/cases?field=antragsteller:Person%201").get_json()[0]["id"] == world["ids"][1]


@pytest.mark.parametrize("query", ["status=verloren", "started_from=gestern", "started_from=2026-12-01T00:00:00",
                                   "field=ohne-doppelpunkt", "limit=0", "version=zwei", "cursor=kaputt"])
def test_bad_search_parameters_are_problems(client: Any, world: dict[str, Any], query: str) -> None:
    response = _get(client, world, f"/api/v1/cases?{query}")
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


def test_repairs_over_the_api(client: Any, web_engine: Any, world: dict[str, Any]) -> None:
    broken = world["ids"][0]
    response = _post(client, world, f"/api/v1/cases/{broken}/data", {"data": {"teiler": 4}, "comment": "Korrektur"})
    assert response.status_code == 200 and response.get_json()["data"]["teiler"] == 4
    refused = _post(client, world, f"/api/v1/cases/{broken}/data", {"data": {"gebuehr": 1}, "comment": "Korrektur"})
    assert refused.status_code == 422 and "gebuehr" in refused.get_json()["errors"]
    no_reason = _post(client, world, f"/api/v1/cases/{broken}/suspend", {})
    assert no_reason.status_code in (400, 422)
    assert _post(client, world, f"/api/v1/cases/{broken}/suspend", {"comment": "Rückfrage"},
                 user="admin").get_json()["suspended"] is True
    assert _post(client, world, f"/api/v1/cases/{broken}/resume", {"comment": "Weiter geht's"}).status_code == 200
    done = _post(client, world, f"/api/v1/cases/{broken}/cancel", {"comment": "Zurückgezogen"})
    assert done.get_json()["status"] == "cancelled"
    actions = [h["action"] for h in queries.get_case(web_engine, broken)["history"]]
    assert actions[-4:] == ["data_edited", "suspended", "resumed", "cancelled"]


def test_clerks_and_citizens_may_not(client: Any, world: dict[str, Any]) -> None:
    assert _get(client, world, "/api/v1/cases", user="sb1").status_code == 403
    assert _post(client, world, f"/api/v1/cases/{world['ids'][1]}/cancel", {"comment": "Nicht erlaubt"},
                 user="sb1").status_code == 403
    assert client.get("/api/v1/cases").status_code == 401
    assert _post(client, world, "/api/v1/cases/unbekannt/cancel", {"comment": "Gibt es nicht"}).status_code == 404


def test_migration_over_the_api(client: Any, web_engine: Any) -> None:
    from engine.jobs import JobExecutor
    from engine.runtime.parsing import SourceFile

    folder = model("migration")
    deploy(web_engine, [SourceFile("m.bpmn", (folder / "v1.bpmn").read_bytes())], actor="po")
    case_id = cases.start_case(web_engine, "migration_test", {}, actor="t", internal=True)
    deploy(web_engine, [SourceFile("m.bpmn", (folder / "v2.bpmn").read_bytes())], actor="po")
    headers = {"Authorization": f"Bearer {identity.create_api_token(web_engine, 'po', 'mig')[1]}"}
    plan = {"process_key": "migration_test", "source_version": 1, "target_version": 2}
    tried = client.post("/api/v1/migrations", json=plan, headers=headers).get_json()
    assert tried["unmapped"] == ["pruefen"] and tried["cases"][0]["would_migrate"] is False
    plan["mapping"] = {"pruefen": "antrag_pruefen"}
    tried = client.post("/api/v1/migrations", json=plan, headers=headers).get_json()
    assert tried["cases"] == [{"case_id": case_id, "would_migrate": True, "issues": [],
                               "position": ["antrag_pruefen", "frist"]}]
    started = client.post("/api/v1/migrations", json={**plan, "dry_run": False, "comment": "Umstellung"},
                          headers=headers)
    assert started.status_code == 202 and started.get_json()["status"] == "running"
    JobExecutor(web_engine).run_until_idle()
    done = client.get(f"/api/v1/migrations/{started.get_json()['id']}", headers=headers).get_json()
    assert done["status"] == "done" and done["cases"][0]["status"] == "migrated"
    assert queries.get_case(web_engine, case_id)["version"] == 2


def test_position_change_over_the_api(client: Any, web_engine: Any) -> None:
    from engine.runtime.parsing import SourceFile

    deploy(web_engine, [SourceFile("m.bpmn", (model("migration") / "v2.bpmn").read_bytes())], actor="po")
    case_id = cases.start_case(web_engine, "migration_test", {}, actor="t", internal=True)
    headers = {"Authorization": f"Bearer {identity.create_api_token(web_engine, 'admin', 'mod')[1]}"}
    body = {"action": "skip", "element_id": "antrag_pruefen", "preview": True}
    shown = client.post(f"/api/v1/cases/{case_id}/modify", json=body, headers=headers).get_json()
    assert shown == {"before": ["antrag_pruefen", "frist"], "after": ["freigeben"], "ends_case": False,
                     "applied": False}
    done = client.post(f"/api/v1/cases/{case_id}/modify", json={**body, "preview": False, "comment": "Geklärt"},
                       headers=headers)
    assert done.status_code == 200 and done.get_json()["applied"] is True
    assert [t["element_id"] for t in queries.list_tasks(web_engine, case_id=case_id)] == ["freigeben"]
    refused = client.post(f"/api/v1/cases/{case_id}/modify", json={"action": "restart", "element_id": "ende",
                                                                   "comment": "Geht nicht"}, headers=headers)
    assert refused.status_code in (400, 409, 422) and refused.mimetype == "application/problem+json"
    assert "noch nicht" in refused.get_json()["detail"]


def test_moving_a_case_to_an_unreached_step_over_the_api(client: Any, web_engine: Any) -> None:
    from engine.runtime.parsing import SourceFile

    deploy(web_engine, [SourceFile("m.bpmn", (model("migration") / "v2.bpmn").read_bytes())], actor="po")
    case_id = cases.start_case(web_engine, "migration_test", {}, actor="t", internal=True)
    headers = {"Authorization": f"Bearer {identity.create_api_token(web_engine, 'admin', 'mod')[1]}"}
    body = {"action": "move", "element_id": "freigeben", "comment": "Prüfung erledigt"}
    done = client.post(f"/api/v1/cases/{case_id}/modify", json=body, headers=headers)
    assert done.status_code == 200 and done.get_json()["after"] == ["freigeben"]
    assert [t["element_id"] for t in queries.list_tasks(web_engine, case_id=case_id)] == ["freigeben"]
