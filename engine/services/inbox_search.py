"""The inbox's free-text search (``search``/``q``: contained in a case field or the business key)
at a regional provider's scale.

Read as a condition on every task of a clerk's groups, a name took 2.9 s at 1,000,000 open tasks:
each queue row read its work item and probed the case fields with ILIKE, and the total read them
all. Here the text first finds the cases it can mean, through indexes made for contained text:
the trigram index on ``lower(case_fields.value)`` (migration 0014) and the one on the open tasks'
``lower(business_key)`` (migration 0041), both where PostgreSQL offers pg_trgm. When they are few
(at most :data:`CANDIDATES`), the page and its total are the tasks of those cases, read by
``work_items(case_id)`` with the groups checked at each (``inbox_query.Filters.cases``). On
PostgreSQL up to :data:`MANY` candidates are read; more than :data:`FEW` of them cost more to
read every task of than to walk the groups' ranges checking each queue row's case against the
hashed set of candidates (``inbox_query.Filters.among``, the case on the row: migration 0042),
the total counted among the first ``COUNT_CAP`` + 1 queue rows. A text that even more cases
contain keeps its own condition on each task (a work item and case-field probe; its matches are
dense, so a page is found early), its total counted among the first
:data:`inbox_query.SEARCH_COUNT_ROWS` tasks read. On SQLite (the small municipality's default,
no trigram index) the reads scan and the candidates stop at CANDIDATES.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, literal_column, select, union

from engine.persistence import tables as t
from engine.services import inbox_query
from engine.services.text_search import contains, fields_containing, text_drivers

CANDIDATES = 2_000   # more cases than this contain the text: searched task by task
# PostgreSQL: more candidates than this are checked per task as a set (MANY). Reading the tasks of
# a candidate costs about 25 us (1,111: 28 ms), walking a group's range about 0.4 us a task
# (20,000: 8 ms); a group of 12,500 tasks costs what 500 candidates do.
FEW = 500
# PostgreSQL: up to this many candidates are read and checked per task as a hashed set (the
# rest: the text's own condition per task). "Person 12" (one case in ninety at 1,000,000) has
# 11,000, read in 12-40 ms; then about 4,500 tasks of a group are walked for a page of 50.
MANY = 20_000
# PostgreSQL: a text the statistics say this many case fields contain is not read for candidates
# first. Reading them cost 150-290 ms at 1,000,000 cases for "Person 1" (one in nine; GIN walks
# the posting lists of its common trigrams) only to find more than MANY; the estimate is one
# EXPLAIN. Twice the limit: estimates near it are coarse ("person 66" 20,202 for 11,111 fields).
COMMON = 2 * MANY


def candidate_cases(conn: Any, text: str, state: str) -> list[str] | None:
    """The ids of the cases ``text`` may mean (a case field or, for tasks in ``state``, a
    business key contains it; or it is a case id), or None when more than CANDIDATES do
    (PostgreSQL: more than MANY)."""
    cf, w = t.case_fields, t.work_items
    needle, dialect = text.strip(), conn.dialect.name
    if dialect == "postgresql" and fields_containing(conn, needle) > COMMON:
        return None   # the planner's estimate says "many": the read would only find that out
    # several words: each its own condition, the rarest first (engine/services/text_search.py)
    words = [contains(dialect, cf.c.value, word) for word in text_drivers(conn, text)]
    in_fields = select(cf.c.case_id).where(*words, contains(dialect, cf.c.value, needle))
    # open tasks: the literal, which the partial trigram index's predicate needs
    in_keys = select(w.c.case_id).where(w.c.state == (literal_column("'open'") if state == "open" else state),
                                        contains(dialect, w.c.business_key, needle))
    most = MANY if dialect == "postgresql" else CANDIDATES
    # read as one text: 11,000 rows through the driver and the result layer cost 12 ms more
    found = union(in_fields, in_keys).limit(most + 1).subquery()
    count, ids = conn.execute(select(func.count(), func.aggregate_strings(found.c.case_id, ","))).one()
    if count > most:
        return None
    # the text may be a case id (as the API allows); case ids have no commas
    return list(dict.fromkeys([*(ids.split(",") if count else ()), needle]))


def narrowed(conn: Any, filters: inbox_query.Filters, params: dict[str, Any],
             state: str) -> tuple[inbox_query.Filters, dict[str, Any]]:
    """``filters`` and ``params`` with a free text replaced by its few candidate cases (see the
    module's docstring); unchanged when there is no text or it has many."""
    text = params.get("search")
    if not filters.search or not text:
        return filters, params
    cases = candidate_cases(conn, text, state)
    if cases is None:
        return filters, params
    few = min(CANDIDATES, FEW) if conn.dialect.name == "postgresql" else CANDIDATES
    if len(cases) > few + 1:   # the text itself is one of them (a case id)
        case_set = ",".join(case for case in cases if "," not in case)   # a text with a comma is no case id
        return replace(filters, search=False, among=True), {**params, "case_set": case_set}
    return replace(filters, search=False, cases=True), {**params, "case_ids": cases}
