"""The inbox's search box with a whole Aktenzeichen: the exact, indexed search of that business
key (engine/services/task_pages.py); any other text is searched as contained, as before."""

from __future__ import annotations

from engine.services import cases, task_pages
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS


def _keys(page: task_pages.TaskPage) -> list[str]:
    return sorted(item["business_key"] for item in page.items)


def test_a_whole_business_key_finds_that_case_and_a_part_of_one_every_case_containing_it(engine):
    deploy(engine, read_paths([str(MODELS / "entwurf")]), actor="po")
    for key in ("SU-2026-1", "SU-2026-10", "SU-2026-2"):
        cases.start_case(engine, "entwurf", {}, internal=True, business_key=key)
    mine = {"groups": ["sachbearbeitung"], "user": "sb1"}
    assert _keys(task_pages.task_page(engine, search="SU-2026-1", **mine)) == ["SU-2026-1"]
    assert _keys(task_pages.task_page(engine, search=" SU-2026-10 ", **mine)) == ["SU-2026-10"]
    assert _keys(task_pages.task_page(engine, search="SU-2026-", **mine)) == ["SU-2026-1", "SU-2026-10", "SU-2026-2"]
    assert _keys(task_pages.task_page(engine, search="2026-1", **mine)) == ["SU-2026-1", "SU-2026-10"]
    assert task_pages.task_page(engine, search="SU-2026-1", **mine).total == 1
