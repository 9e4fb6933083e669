"""Business keys (Aktenzeichen) and the service.toml policies that come with them.

A business key names one case of a process: unique per process key (a database index), chosen
by the engine when a case starts without one, in the format the process declares in its
service.toml (``aktenzeichen = "UM-{jahr}-{nummer:06d}"``). Numbers count per process key and
year; processes without a format share one counter and the format ``{jahr}-{nummer:06d}``, so
that their keys never collide with each other either. Only systems (API tokens with the
``business_key`` scope) and the engine's own callers choose a key themselves.

The same file lists the messages that only systems may send (``nachrichten_nur_systeme``):
payments, registers, retrievals. A person's token cannot fake them.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, bindparam, cast, exists, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.domain.errors import Conflict, Problem
from engine.persistence import tables as t
from engine.persistence.fast import FastStatement
from engine.runtime.parsing import SourceFile

MAX_BUSINESS_KEY = 200
DEFAULT_FORMAT = "{jahr}-{nummer:06d}"
SHARED_SCOPE = "*"                  # the counter of every process without a format of its own
PLACEHOLDERS = ("jahr", "nummer")
LITERAL = re.compile(r"[A-Za-z0-9ÄÖÜäöüß./_-]*")
NUMBER_SPEC = re.compile(r"(0?[1-9])?d?")  # "", "d", "6d", "06d": digits, optionally zero-padded
MAX_NAMES = 100
SKIP_TAKEN = 1000                   # assigned numbers skipped at most because a system chose that key


@dataclass(frozen=True)
class ServicePolicy:
    business_key_format: str | None = None
    system_messages: list[str] = field(default_factory=list)


def format_problems(fmt: object) -> list[str]:
    """Why ``fmt`` is no valid Aktenzeichen format (English, for the deploy report); [] if it is."""
    if not isinstance(fmt, str) or not fmt or len(fmt) > 100:
        return ["aktenzeichen must be a text of 1 to 100 characters"]
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        return [f"aktenzeichen {fmt!r} is not a valid format: {exc}"]
    problems, seen = [], []
    for literal, name, spec, conversion in parts:
        if not LITERAL.fullmatch(literal):
            problems.append(f"aktenzeichen {fmt!r}: character not allowed in {literal!r} (letters, digits, . / _ -)")
        if name is None:
            continue
        if name not in PLACEHOLDERS or conversion is not None:
            problems.append(f"aktenzeichen {fmt!r}: unknown placeholder {{{name}}}; use {{jahr}} and {{nummer}}")
            continue
        if name == "nummer" and not NUMBER_SPEC.fullmatch(spec or ""):
            problems.append(f"aktenzeichen {fmt!r}: number format {spec!r} not allowed (e.g. {{nummer:06d}})")
        if name == "jahr" and spec:
            problems.append(f"aktenzeichen {fmt!r}: {{jahr}} takes no format")
        if name in seen:
            problems.append(f"aktenzeichen {fmt!r}: {{{name}}} may appear only once")
        seen.append(name)
    if "nummer" not in seen:
        problems.append(f"aktenzeichen {fmt!r} needs the placeholder {{nummer}}")
    return problems


def service_policy(files: list[SourceFile], key: str) -> tuple[ServicePolicy, list[Problem]]:
    """What the deployment's service.toml for process ``key`` says about keys and messages."""
    for f in files:
        if not f.name.endswith("service.toml"):
            continue
        try:
            data = tomllib.loads(f.content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return ServicePolicy(), []      # reported once by retention_of
        if data.get("key") not in (None, key):
            continue
        fmt = data.get("aktenzeichen")
        problems = [Problem(f.name, 0, key, p) for p in (format_problems(fmt) if fmt is not None else [])]
        names = data.get("nachrichten_nur_systeme", [])
        if not isinstance(names, list) or len(names) > MAX_NAMES or not all(
                isinstance(n, str) and 0 < len(n) <= 200 for n in names):
            problems.append(Problem(f.name, 0, key, "nachrichten_nur_systeme must be a list of message names"))
            names = []
        return ServicePolicy(fmt if isinstance(fmt, str) else None, sorted(set(names))), problems
    return ServicePolicy(), []


def render(fmt: str | None, year: int, number: int) -> str:
    """The key for ``number`` (formats are checked at deploy: only {jahr} and {nummer[:0Nd]})."""
    return (fmt or DEFAULT_FORMAT).format(jahr=year, nummer=number)


def _count_up(dialect: Any) -> FastStatement:
    seq = t.business_key_sequences
    statement = dialect.insert(seq).values(scope=bindparam("scope"), year=bindparam("year"), last_number=1)
    statement = statement.on_conflict_do_update(index_elements=[seq.c.tenant_id, seq.c.scope, seq.c.year],
                                                set_={"last_number": seq.c.last_number + 1})
    return FastStatement(statement.returning(seq.c.last_number))


# Statements of every start, built once (building one costs more than running it) and run on
# the driver's cursor (engine/persistence/fast.py).
_COUNT_UP = {"postgresql": _count_up(postgresql), "sqlite": _count_up(sqlite)}
_TAKEN = FastStatement(select(t.cases.c.id).where(t.cases.c.process_key == bindparam("process_key"),
                                                  t.cases.c.business_key == bindparam("business_key")).limit(1))
_LAST_NUMBER = FastStatement(select(t.business_key_sequences.c.last_number)
                             .where(t.business_key_sequences.c.scope == bindparam("scope"),
                                    t.business_key_sequences.c.year == bindparam("year")))
_MOVE_COUNTER = FastStatement(update(t.business_key_sequences)
                              .where(t.business_key_sequences.c.scope == bindparam("b_scope"),
                                     t.business_key_sequences.c.year == bindparam("b_year"),
                                     t.business_key_sequences.c.last_number == bindparam("b_last"))
                              .values(last_number=bindparam("number")))


def _count_up_checked() -> FastStatement:
    """PostgreSQL: :func:`_count_up` that also says whether the key of the new number is taken,
    one statement instead of two (the counter row stays locked until the commit either way).
    The key is rendered in SQL: ``prefix || number padded to width with fill || suffix``
    (:func:`_key_parts`; formats allow no other number formatting)."""
    seq = t.business_key_sequences
    number = cast(literal_column("business_key_sequences.last_number", BigInteger), Text)
    key = func.concat(bindparam("prefix", type_=String), func.lpad(number, func.greatest(
        bindparam("width", type_=Integer), func.length(number)), bindparam("fill", type_=String)),
        bindparam("suffix", type_=String))
    taken = exists().where(t.cases.c.process_key == bindparam("process_key"), t.cases.c.business_key == key)
    statement = postgresql.insert(seq).values(scope=bindparam("scope"), year=bindparam("year"), last_number=1)
    statement = statement.on_conflict_do_update(index_elements=[seq.c.tenant_id, seq.c.scope, seq.c.year],
                                                set_={"last_number": seq.c.last_number + 1})
    return FastStatement(statement.returning(seq.c.last_number, taken.label("taken")))


_COUNT_UP_CHECKED = {"postgresql": _count_up_checked()}


def _key_parts(fmt: str | None, year: int) -> dict[str, Any]:
    """The key of the format for ``year`` around its number: prefix, suffix, the number's
    minimum width and fill (``{nummer:06d}``: 6, "0"; ``{nummer:6d}``: 6, " "; ``{nummer}``: 0)."""
    parts: dict[str, Any] = {"prefix": "", "suffix": "", "width": 0, "fill": " "}
    side = "prefix"
    for literal, name, spec, _conversion in string.Formatter().parse(fmt or DEFAULT_FORMAT):
        parts[side] += literal
        if name == "jahr":
            parts[side] += str(year)
        elif name == "nummer":
            digits = (spec or "").rstrip("d")
            parts["width"], parts["fill"] = int(digits or 0), "0" if digits.startswith("0") else " "
            side = "suffix"
    return parts


def next_number(conn: Connection, scope: str, year: int) -> int:
    """Count up (scope, year) in the caller's transaction; the first use of a year starts at 1."""
    statement = _COUNT_UP["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    return int(statement.first_column(conn, {"scope": scope, "year": year})[0])


def taken(conn: Connection, process_key: str, business_key: str) -> bool:
    return bool(_TAKEN.first_column(conn, {"process_key": process_key, "business_key": business_key}))


def assign(conn: Connection, process_key: str, fmt: str | None, year: int) -> str:
    """The next free key of the process's format (a number a system already used is skipped)."""
    scope = process_key if fmt else SHARED_SCOPE
    checked = _COUNT_UP_CHECKED.get(conn.dialect.name)
    params = {"scope": scope, "year": year, "process_key": process_key, **_key_parts(fmt, year)} if checked else {}
    for _ in range(SKIP_TAKEN):
        if checked is not None:   # counted up and checked in one statement
            [row] = checked.all(conn, params)
            key = render(fmt, year, int(row.last_number))
            if not row.taken:
                return key
            continue
        key = render(fmt, year, next_number(conn, scope, year))
        if not taken(conn, process_key, key):
            return key
    raise Conflict(f"process '{process_key}': {SKIP_TAKEN} assigned business keys in a row were taken already",
                   user_message="Für diesen Vorgang konnte kein Aktenzeichen vergeben werden.")


def peek(conn: Connection, process_key: str, fmt: str | None, year: int) -> tuple[str, int, int]:
    """Without writing: the key :func:`assign` would give now, its number and the counter it was
    read at. :func:`claim` takes that number later, in the transaction that stores the case (a
    new case is stepped in between, outside any write lock)."""
    scope = process_key if fmt else SHARED_SCOPE
    last = int(next(iter(_LAST_NUMBER.first_column(conn, {"scope": scope, "year": year})), None) or 0)
    for number in range(last + 1, last + 1 + SKIP_TAKEN):
        key = render(fmt, year, number)
        if not taken(conn, process_key, key):
            return key, number, last
    raise Conflict(f"process '{process_key}': {SKIP_TAKEN} assigned business keys in a row were taken already",
                   user_message="Für diesen Vorgang konnte kein Aktenzeichen vergeben werden.")


def claim(conn: Connection, process_key: str, fmt: str | None, year: int, number: int, last: int) -> bool:
    """Move the counter from ``last`` (as :func:`peek` read it) to ``number`` in the caller's
    transaction; False when another start moved it first."""
    scope = process_key if fmt else SHARED_SCOPE
    seq = t.business_key_sequences
    if last == 0:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(seq).values(scope=scope, year=year, last_number=number).on_conflict_do_nothing()
        return conn.execute(statement.returning(seq.c.last_number)).first() is not None
    return _MOVE_COUNTER.run(conn, {"b_scope": scope, "b_year": year, "b_last": last, "number": number}) == 1


def refuse_taken(process_key: str, business_key: str) -> Conflict:
    return Conflict(f"process '{process_key}' has a case with business key {business_key!r} already",
                    user_message=f"Das Aktenzeichen „{business_key}“ ist für diese Leistung bereits vergeben.")
