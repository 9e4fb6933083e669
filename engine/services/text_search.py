"""Contained text, case-insensitive, in SQL: the LIKE pattern and, on PostgreSQL, the order in
which the words of a text are best looked up in a trigram index. Used by the studio's case
search (engine/services/case_search.py) and the inbox's (engine/services/inbox_search.py);
light on imports, as the engine's CLI reads task lists without the rest of the engine."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from engine.persistence import tables as t
from engine.persistence.scoping import for_all_tenants


def like_pattern(text: str) -> str:
    """A LIKE pattern for ``text`` contained anywhere, its %, _ and \\ taken as themselves
    (used with ESCAPE '\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def contains(dialect: str, column: Any, text: str) -> Any:
    """``column`` contains ``text``, whatever the case: ``lower(column) LIKE``, as the trigram
    indexes are built. On SQLite, which has no such index, a text of ASCII letters only is left to
    its own LIKE, which ignores the case of A-Z in C (the engine's Unicode ``lower()``,
    engine/persistence/db.py, is a Python call per row: 170 ms for an inbox search at 100,000 open
    tasks); other letters (Ä, ß) need ``lower()``."""
    if dialect == "sqlite" and text.isascii():
        return column.like(like_pattern(text), escape="\\")
    return func.lower(column).like(like_pattern(text.lower()), escape="\\")


def text_drivers(conn: Any, text: str | None) -> list[str]:
    """The words of a free text of several words, rarest first by the database's statistics.

    A field contains the text only if it contains each of its words, so each word is a condition
    of its own before the whole text. On PostgreSQL the trigram index (GIN) then walks the keys in
    that order: the rarest word's few candidates drive the scan and the common words ("Person",
    "Straße", "MS-") are only checked at those candidates. One condition for the whole text made
    GIN advance every trigram of it for each candidate of its rarest trigram, reading the large
    posting trees of trigrams that nearly every value has (1,650 buffers at a million cases).
    How common a word is comes from the planner's estimate on the indexed expression's statistics
    (one EXPLAIN per word, no rows read). Words under three characters have no trigram and are left
    to the whole text's condition. Elsewhere (SQLite): no drivers, the whole text alone."""
    if not text or conn.dialect.name != "postgresql":
        return []
    words = list(dict.fromkeys(w for w in text.strip().lower().split() if len(w) >= 3))
    if len(words) < 2:
        return []
    estimates = {word: fields_containing(conn, word) for word in words}
    return sorted(words, key=lambda w: estimates[w])


def fields_containing(conn: Any, text: str) -> float:
    """PostgreSQL: how many case fields contain ``text``, as the planner estimates it from the
    statistics of the indexed expression ``lower(value)`` (one EXPLAIN, no rows read; within
    about 10 % for a text at least one value in a hundred contains, a floor of 100 below that)."""
    cf = t.case_fields
    # over all tenants: an estimate only, and the tenant's value cannot be rendered as a literal
    probe = for_all_tenants(select(cf.c.case_id).where(func.lower(cf.c.value).like(like_pattern(text.lower()),
                                                                                 escape="\\")))
    compiled = probe.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled).replace("%", "%%")).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])
