"""The inbox's free-text search (``search``/``q``: contained in a case field or the business key)
at a regional provider's scale.

Read as a condition on every task of a clerk's groups, a name took 2.9 s at 1,000,000 open tasks:
each queue row read its work item and probed the case fields with ILIKE, and the total read them
all. Here the text first finds the cases it can mean, through indexes made for contained text:
the trigram index on ``lower(case_fields.value)`` (migration 0014) and the one on the open tasks'
``lower(business_key)`` (migration 0041), both where PostgreSQL offers pg_trgm. When they are few
(at most :data:`CANDIDATES`), the page and its total are the tasks of those cases, read by
``work_items(case_id)`` with the groups checked at each (``inbox_query.Filters.cases``). A text
that many cases contain keeps the condition on each task (its matches are dense, so a page is
found early), and its total is counted among the first :data:`inbox_query.SEARCH_COUNT_ROWS` tasks read.
On SQLite (the small municipality's default, no trigram index) the same two reads scan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import literal_column, select, union

from engine.persistence import tables as t
from engine.services import inbox_query
from engine.services.text_search import contains, fields_containing, text_drivers

CANDIDATES = 2_000   # more cases than this contain the text: searched task by task (dense matches)
# PostgreSQL: a text the statistics say this many case fields contain is not read for candidates
# first. Reading them cost 150-290 ms at 1,000,000 cases for "Person 1" (one in nine; GIN walks
# the posting lists of its common trigrams) only to find more than CANDIDATES; the estimate is
# one EXPLAIN. Ten times the limit, so that an estimate ten times too high still reads them.
COMMON = 10 * CANDIDATES


def candidate_cases(conn: Any, text: str, state: str) -> list[str] | None:
    """The ids of the cases ``text`` may mean (a case field or, for tasks in ``state``, a
    business key contains it; or it is a case id), or None when more than CANDIDATES do."""
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
    found = conn.execute(union(in_fields, in_keys).limit(CANDIDATES + 1)).scalars().all()
    if len(found) > CANDIDATES:
        return None
    return list(dict.fromkeys([*found, needle]))   # the text may be a case id (as the API allows)


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
    return replace(filters, search=False, cases=True), {**params, "case_ids": cases}
