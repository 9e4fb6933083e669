"""Issue 14.8, the four-eyes principle (``fourEyesOf``): whoever completed the named earlier task is
not offered the later one (task pages of the inbox and the API), cannot claim it, be delegated it
or complete it; a colleague of the same group can. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from engine.domain.errors import PermissionDenied
from engine.services import cases, queries, task_pages
from engine.services.deploy import deploy, read_paths
from tests.integration.helpers import MODELS

GROUPS = ["sachbearbeitung"]


def _offered(engine, user: str) -> list[str]:  # noqa: ANN001
    page = task_pages.task_page(engine, groups=GROUPS, user=user, viewer=user)
    assert page.total == len(page.items)
    return [t["element_id"] for t in page.items]


@pytest.fixture
def second_task(engine):  # noqa: ANN001
    deploy(engine, read_paths([str(MODELS / "four_eyes.bpmn")]), actor="test")
    case_id = cases.start_case(engine, "vieraugen", {}, internal=True)
    [first] = queries.list_tasks(engine, case_id=case_id)
    cases.claim(engine, first["id"], "sb1")
    cases.complete_task(engine, first["id"], {}, actor="sb1")
    [second] = queries.list_tasks(engine, case_id=case_id)
    assert second["element_id"] == "freigeben"
    return second


def test_the_first_decider_is_not_offered_the_second_task(engine, second_task):
    assert _offered(engine, "sb1") == []
    assert _offered(engine, "sb2") == ["freigeben"]
    # the group's list without a viewer (operators, `amtsflow tasks`) still shows it
    assert [t["element_id"] for t in task_pages.task_page(engine, groups=GROUPS).items] == ["freigeben"]
    for order in ("priority", "age"):      # the other orders of the list leave it out as well
        assert task_pages.task_page(engine, groups=GROUPS, user="sb1", viewer="sb1", order=order).items == []
    # on later pages too: the cursor path has the same condition
    page = task_pages.task_page(engine, groups=GROUPS, user="sb2", viewer="sb2", limit=1)
    assert page.next_cursor is None and len(page.items) == 1


def test_the_first_decider_can_neither_claim_nor_be_delegated_nor_complete(engine, second_task):
    task_id = second_task["id"]
    with pytest.raises(PermissionDenied) as claimed:
        cases.claim(engine, task_id, "sb1")
    assert "Vier-Augen-Prinzip" in claimed.value.user_message
    with pytest.raises(PermissionDenied) as delegated:
        cases.delegate(engine, task_id, "sb1", actor="sb2")
    assert "sb1 hat in diesem Vorgang bereits entschieden" in delegated.value.user_message
    with pytest.raises(PermissionDenied):
        cases.complete_task(engine, task_id, {}, actor="sb1")
    assert queries.get_task(engine, task_id)["assignee"] is None
    cases.claim(engine, task_id, "sb2")
    cases.complete_task(engine, task_id, {}, actor="sb2")
    assert queries.get_task(engine, task_id)["state"] == "completed"


def test_a_task_without_four_eyes_is_offered_to_everyone_of_the_group(engine):
    deploy(engine, read_paths([str(MODELS / "usertask.bpmn")]), actor="test")
    cases.start_case(engine, "usertask", {"antragsteller": "E"}, internal=True)
    assert _offered(engine, "sb1") == ["pruefen"]
