"""The inbox query read on the driver's cursor gives exactly what SQLAlchemy's execution gives."""

from __future__ import annotations

import itertools

from engine.services import cases, inbox_query, queries
from tests.integration.helpers import deploy_models


def test_fast_reads_match_sqlalchemy_for_every_filter_combination(engine, clock):
    deploy_models(engine, "steploop.bpmn")
    ids = [cases.start_case(engine, "steploop", {"n": 0, "limit": 3}, business_key=f"AZ-{i}_x%", internal=True) for i in range(3)]
    cases.claim(engine, queries.list_tasks(engine)[0]["id"], "erika")
    combos = dict(user=[None, "erika"], case_id=[None, ids[1]], process_key=[None, "steploop"],
                  assignee=[None, "erika"], search=[None, "az-1", "%", ids[2], "Ü"],
                  state=["open", "completed"], limit=[1, 500])
    for values in itertools.product(*combos.values()):
        kw = dict(zip(combos, values))
        params = inbox_query.params_for([], state=kw["state"], limit=kw["limit"], user=kw["user"],
                                        case_id=kw["case_id"], process_key=kw["process_key"],
                                        assignee=kw["assignee"], search=kw["search"])
        query = inbox_query.page_query(inbox_query.Filters(
            user=bool(kw["user"]), case_id=bool(kw["case_id"]), process_key=bool(kw["process_key"]),
            assignee=bool(kw["assignee"]), search=bool(kw["search"]), open_only=kw["state"] == "open"), False)
        with engine.db.connect() as conn:
            expected = [queries.task_view(r) for r in conn.execute(query, params)]
        assert queries.list_tasks(engine, **kw) == expected, kw
    assert queries.list_tasks(engine, case_id=ids[0])[0]["due"] is None
    assert queries.list_tasks(engine, case_id=ids[0])[0]["created_at"] == clock.now().isoformat()
