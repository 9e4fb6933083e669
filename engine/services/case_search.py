"""Case search for process owners and operators (studio, API, CSV export).

Filters: process, version, status (the engine's statuses plus ``suspended`` and ``incident``),
business key (exact), started and ended ranges, a declared case field's exact value, and free
text over the declared case fields and the business key. Newest first; pages are keyset-paged
on (started_at, id), so the next page costs what the first does; the total is counted up to
COUNT_CAP ("mehr als 10.000").

Indexes (migration 0014): (process_key, version, started_at, id), (status, started_at, id),
(started_at, id), partial ones for suspended cases and open incidents; on PostgreSQL a trigram
index on lower(case_fields.value) serves the free text (a business key matches it exactly);
a text of several words is searched word by word, rarest first, then as a whole (text_drivers).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterator, Sequence

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState
from engine.persistence import tables as t
from engine.services.text_search import contains, text_drivers

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
COUNT_CAP = 10_000
ENGINE_STATUSES = ("running", "waiting", "completed", "failed", "cancelled")
STATUSES = (*ENGINE_STATUSES, "suspended", "incident")
STATUS_LABELS = {"running": "läuft", "waiting": "wartet", "completed": "abgeschlossen", "failed": "fehlgeschlagen",
                 "cancelled": "abgebrochen", "suspended": "angehalten", "incident": "mit Störung"}
_C = t.cases


@dataclass(frozen=True)
class CaseQuery:
    process_key: str | None = None
    version: int | None = None
    status: str | None = None
    business_key: str | None = None
    started_from: datetime | None = None
    started_until: datetime | None = None
    ended_from: datetime | None = None
    ended_until: datetime | None = None
    field_name: str | None = None
    field_value: str | None = None
    text: str | None = None
    limit: int = PAGE_SIZE
    after: str | None = None          # the cursor of the previous page's last row

    def __post_init__(self) -> None:
        if self.status and self.status not in STATUSES:
            raise InvalidState(f"unknown status {self.status!r}",
                               user_message="Diesen Status gibt es nicht: " + ", ".join(STATUS_LABELS.values()) + ".")
        if (self.field_name is None) != (self.field_value is None):
            raise InvalidState("field filter needs name and value",
                               user_message="Für die Suche in einem Feld geben Sie das Feld und den Wert an.")
        if self.text is not None and len(self.text.strip()) < 2:
            raise InvalidState("search text too short", user_message="Bitte geben Sie mindestens zwei Zeichen ein.")
        if self.version is not None and not 1 <= self.version <= 2**31 - 1:
            raise InvalidState("version out of range", user_message="Diese Version gibt es nicht.")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidState("limit out of range", user_message=f"Es passen 1 bis {MAX_PAGE_SIZE} Vorgänge auf eine Seite.")


@dataclass(frozen=True)
class CaseRow:
    id: str
    process_key: str
    version: int
    status: str
    suspended: bool
    business_key: str | None
    citizen_status: str | None
    started_by: str | None
    started_at: datetime
    ended_at: datetime | None
    open_incidents: int
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    total_capped: bool                # True: there are more than ``total`` matches
    next_cursor: str | None


def _conditions(q: CaseQuery, drivers: Sequence[str] = (), dialect: str = "postgresql") -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if q.process_key:
        conds.append(_C.c.process_key == q.process_key)
    if q.version is not None:
        conds.append(_C.c.version == q.version)
    if q.status in ENGINE_STATUSES:
        conds.append(_C.c.status == q.status)
    elif q.status == "suspended":   # the bare column: the partial index's own predicate
        conds.append(_C.c.suspended)
    elif q.status == "incident":   # the few open incidents drive the search (partial index)
        i = t.incidents
        conds.append(_C.c.id.in_(select(i.c.case_id).where(i.c.status == "open")))
    if q.business_key:
        conds.append(_C.c.business_key == q.business_key.strip())
    for column, lower, upper in ((_C.c.started_at, q.started_from, q.started_until),
                                 (_C.c.ended_at, q.ended_from, q.ended_until)):
        if lower is not None:
            conds.append(column >= lower)
        if upper is not None:
            conds.append(column < upper)
    cf = t.case_fields
    if q.field_name is not None:
        conds.append(_C.c.id.in_(select(cf.c.case_id).where(cf.c.name == q.field_name, cf.c.value == q.field_value)))
    if q.text:   # a declared field contains the text, or the business key is the text
        words = [contains(dialect, cf.c.value, word) for word in drivers]
        conds.append(_C.c.id.in_(
            select(cf.c.case_id).where(*words, contains(dialect, cf.c.value, q.text.strip()))
            .union(select(_C.c.id).where(_C.c.business_key == q.text.strip()))))
    return conds


def encode_cursor(started_at: datetime, case_id: str) -> str:
    return base64.urlsafe_b64encode(f"{started_at.isoformat()}|{case_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, case_id = raw.split("|", 1)
        return datetime.fromisoformat(stamp), case_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidState("invalid cursor", user_message="Dieser Seitenverweis ist ungültig.") from None


def _page_query(q: CaseQuery, drivers: Sequence[str] = (), dialect: str = "postgresql") -> Select[Any]:
    query = select(_C.c.id, _C.c.process_key, _C.c.version, _C.c.status, _C.c.suspended, _C.c.business_key,
                   _C.c.citizen_status, _C.c.started_by, _C.c.started_at, _C.c.ended_at).where(
        *_conditions(q, drivers, dialect))
    if q.after:
        started_at, case_id = decode_cursor(q.after)
        query = query.where(or_(_C.c.started_at < started_at,
                                and_(_C.c.started_at == started_at, _C.c.id < case_id)))
    return query.order_by(_C.c.started_at.desc(), _C.c.id.desc())


def _count_query(q: CaseQuery, drivers: Sequence[str] = (), dialect: str = "postgresql") -> Select[Any]:
    """Matches up to COUNT_CAP + 1. Only "with incident" asked: counted on the open incidents'
    partial index alone (a case has its incidents; the cases table is not read)."""
    if q.status == "incident" and replace(q, status=None, limit=PAGE_SIZE, after=None) == CaseQuery():
        i = t.incidents
        matches = select(i.c.case_id).where(i.c.status == "open", i.c.case_id.is_not(None)).distinct()
    else:
        matches = select(_C.c.id).where(*_conditions(q, drivers, dialect))
    return select(func.count()).select_from(matches.limit(COUNT_CAP + 1).subquery())


def search(engine: Engine, q: CaseQuery, *, count: bool = True) -> CasePage:
    """One page of matches; ``count=False`` skips the total (the export reads page after page)."""
    with engine.db.connect() as conn:
        drivers = text_drivers(conn, q.text)
        dialect = conn.dialect.name
        rows = conn.execute(_page_query(q, drivers, dialect).limit(q.limit + 1)).all()
        more = len(rows) > q.limit
        rows = rows[:q.limit]
        counted = conn.execute(_count_query(q, drivers, dialect)).scalar_one() if count else 0
        found = _decorate(conn, rows)
    last = rows[-1] if rows and more else None
    return CasePage(rows=found, total=min(counted, COUNT_CAP), total_capped=counted > COUNT_CAP,
                    next_cursor=encode_cursor(last.started_at, last.id) if last is not None else None)


def _decorate(conn: Any, rows: Sequence[Any]) -> list[CaseRow]:
    """Open incidents and declared case fields of the rows on this page (two queries per page)."""
    ids = [row.id for row in rows]
    incidents: dict[str, int] = {}
    fields: dict[str, dict[str, str]] = {}
    if ids:
        i, cf = t.incidents, t.case_fields
        incidents = dict(conn.execute(select(i.c.case_id, func.count()).where(i.c.case_id.in_(ids), i.c.status == "open")
                                      .group_by(i.c.case_id)).all())
        for case_id, name, value in conn.execute(select(cf.c.case_id, cf.c.name, cf.c.value).where(cf.c.case_id.in_(ids))):
            fields.setdefault(case_id, {})[name] = value
    return [CaseRow(id=r.id, process_key=r.process_key, version=r.version, status=r.status, suspended=bool(r.suspended),
                    business_key=r.business_key, citizen_status=r.citizen_status, started_by=r.started_by,
                    started_at=r.started_at, ended_at=r.ended_at, open_incidents=incidents.get(r.id, 0),
                    fields=fields.get(r.id, {})) for r in rows]


def export(engine: Engine, q: CaseQuery, *, batch: int = 1000) -> Iterator[CaseRow]:
    """Every match, newest first, read in keyset batches (memory stays flat for a large export)."""
    cursor = None
    while True:
        page = search(engine, replace(q, limit=min(batch, MAX_PAGE_SIZE), after=cursor), count=False)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def field_names(engine: Engine, process_key: str | None = None) -> list[str]:
    """The case fields declared by the latest version of a process (all processes when None)."""
    d = t.process_definitions
    with engine.db.connect() as conn:
        query = select(d.c.id, d.c.key, d.c.version)
        if process_key:
            query = query.where(d.c.key == process_key)
        latest: dict[str, tuple[int, str]] = {}
        for row in conn.execute(query):
            if row.key not in latest or row.version > latest[row.key][0]:
                latest[row.key] = (row.version, row.id)
        names: list[str] = []
        for _version, definition_id in latest.values():
            for name in engine.definitions.get(definition_id, conn).model.case_fields:
                if name not in names:
                    names.append(name)
    return names
