"""Which files a tenant's case of a shared process runs with (issue 17, item 3).

A *variant* is a definition's file list with the tenant's current overrides in place
(engine/persistence/override_tables.py). Its id is a hash of the definition id and the
override versions it uses, so the same overrides always give the same variant, and a changed
override gives a new one: the definition cache keys parsed processes by (definition, variant),
so no tenant ever gets another tenant's variant, and a case keeps the variant it started with
(``cases.variant_id``) until it is migrated.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from engine.bootstrap import Engine
from engine.persistence import tables as t
from engine.persistence.db import reading
from engine.persistence.override_tables import definition_variants, tenant_overrides
from engine.runtime.parsing import ParsedProcess
from engine.tenancy import tenant_or_none

_OVERRIDES = (select(tenant_overrides.c.id, tenant_overrides.c.file_name, tenant_overrides.c.version,
                     tenant_overrides.c.sha256, tenant_overrides.c.min_version, tenant_overrides.c.max_version)
              .where(tenant_overrides.c.tenant_id == bindparam("tenant"),
                     tenant_overrides.c.process_key == bindparam("key"))
              .order_by(tenant_overrides.c.file_name, tenant_overrides.c.version.desc()))


@dataclass(frozen=True)
class Variant:
    id: str
    definition_id: str
    tenant_id: str
    overrides: list[dict[str, Any]]   # [{"file", "override_id", "version", "sha256"}]
    files: list[dict[str, str]]        # the definition's files with the overrides in place


def current_overrides(conn: Connection, tenant_id: str, key: str) -> list[Any]:
    """The tenant's newest version of each override file of process ``key`` (withdrawn ones
    included: sha256 None)."""
    newest: dict[str, Any] = {}
    for row in conn.execute(_OVERRIDES, {"tenant": tenant_id, "key": key}):
        newest.setdefault(row.file_name, row)
    return list(newest.values())


def applies(row: Any, version: int) -> bool:
    return row.sha256 is not None and (row.min_version is None or row.min_version <= version) \
        and (row.max_version is None or version <= row.max_version)


def file_entry(files: list[dict[str, str]], file_name: str) -> dict[str, str] | None:
    """The entry of a definition's file list whose base name is ``file_name``."""
    return next((f for f in files if os.path.basename(f["name"]) == file_name), None)


def variant_id(definition_id: str, overrides: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256(definition_id.encode())
    for o in sorted(overrides, key=lambda o: o["file"]):
        digest.update(f"\0{o['file']}\0{o['override_id']}\0{o['sha256']}".encode())
    return digest.hexdigest()


def compose(definition_id: str, tenant_id: str, files: list[dict[str, str]], rows: list[Any],
            version: int) -> Variant | None:
    """The variant of a definition (``files``, ``version``) with the override ``rows`` that
    apply to it in place; None when none applies."""
    replaced: dict[str, Any] = {}
    for row in rows:
        if applies(row, version) and file_entry(files, row.file_name) is not None:
            replaced[row.file_name] = row
    if not replaced:
        return None
    overrides = [{"file": name, "override_id": r.id, "version": r.version, "sha256": r.sha256}
                 for name, r in sorted(replaced.items())]
    new_files = [{"name": f["name"], "sha256": replaced[os.path.basename(f["name"])].sha256}
                 if os.path.basename(f["name"]) in replaced else dict(f) for f in files]
    return Variant(variant_id(definition_id, overrides), definition_id, tenant_id, overrides, new_files)


def variant_for(conn: Connection, definition_id: str, tenant_id: str | None) -> Variant | None:
    """The variant a new case of ``tenant_id`` starts on (None: the definition's own files)."""
    if tenant_id is None:
        return None
    d = t.process_definitions
    definition = conn.execute(select(d.c.key, d.c.version, d.c.files).where(d.c.id == definition_id)).first()
    if definition is None:
        return None
    rows = current_overrides(conn, tenant_id, definition.key)
    if not rows:
        return None
    return compose(definition_id, tenant_id, list(definition.files), rows, definition.version)


def overrides_stamp(process_key: Any) -> tuple[Any, Any]:
    """Two scalar subqueries for a statement that reads a definition: how many override rows the
    tenant (bound as ``tenant``) has for ``process_key`` (a column of that statement) and the
    greatest of their ids. Overrides are only ever added (a withdrawal is a new row), so the
    pair changes whenever the tenant's overrides of the process do, in every process."""
    o = tenant_overrides
    where = (o.c.tenant_id == bindparam("tenant"), o.c.process_key == process_key)
    return (select(func.count()).where(*where).scalar_subquery().label("override_rows"),
            select(func.max(o.c.id)).where(*where).scalar_subquery().label("last_override"))


MAX_CACHED_VARIANTS = 1024


def cached_variant(engine: Engine, conn: Connection, definition_id: str, tenant_id: str | None,
                   stamp: tuple[int, str | None]) -> Variant | None:
    """:func:`variant_for`, remembered per (definition, tenant, :func:`overrides_stamp`): a
    start reads the stamp with its definition, so no statement of its own when no override
    exists or none changed; a changed override changes the stamp, and the variant is read anew."""
    if tenant_id is None or not stamp[0]:
        return None
    key = (definition_id, tenant_id, stamp)
    cache = engine.variant_cache
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    variant = variant_for(conn, definition_id, tenant_id)
    if len(cache) >= MAX_CACHED_VARIANTS:
        cache.clear()
    cache[key] = variant
    return variant


def store(conn: Connection, variant: Variant, now: datetime) -> None:
    """Keep the variant (once: its id says what it is made of)."""
    found = conn.execute(select(definition_variants.c.id).where(definition_variants.c.id == variant.id)).first()
    if found is not None:
        return
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(definition_variants).values(   # a concurrent start may store it too
        id=variant.id, definition_id=variant.definition_id, tenant_id=variant.tenant_id,
        overrides=variant.overrides, files=variant.files, created_at=now).on_conflict_do_nothing(index_elements=["id"]))


def stored_files(conn: Connection, variant: str) -> tuple[str, list[dict[str, str]]] | None:
    """(definition id, files) of a stored variant."""
    row = conn.execute(select(definition_variants.c.definition_id, definition_variants.c.files)
                       .where(definition_variants.c.id == variant)).first()
    return None if row is None else (row.definition_id, list(row.files))


def parsed_for_tenant(engine: Engine, definition_id: str) -> ParsedProcess:
    """The parsed process as a new case of the current tenant would run it (its overrides in
    place): what the portal shows as the start form, with the tenant's labels and options."""
    tenant = tenant_or_none()
    if tenant is None:
        return engine.definitions.get(definition_id)
    with reading(engine.db) as conn:
        variant = variant_for(conn, definition_id, tenant)
        if variant is None:
            return engine.definitions.get(definition_id, conn)
        return engine.definitions.get(definition_id, conn, variant.id, variant.files)


def tenant_of(conn: Connection, variant: str | None) -> str | None:
    """The tenant a variant was made for (None for None)."""
    if variant is None:
        return None
    value = conn.execute(select(definition_variants.c.tenant_id).where(definition_variants.c.id == variant)).scalar()
    return None if value is None else str(value)


def overrides_of(conn: Connection, variant: str | None) -> list[dict[str, Any]]:
    """The override versions a variant is made of ([] for None: the shared files)."""
    if variant is None:
        return []
    value = conn.execute(select(definition_variants.c.overrides).where(definition_variants.c.id == variant)).scalar()
    return list(value or [])


__all__ = ["MAX_CACHED_VARIANTS", "Variant", "applies", "cached_variant", "compose", "overrides_stamp", "current_overrides", "file_entry", "overrides_of", "store",
           "parsed_for_tenant", "stored_files", "tenant_of", "variant_for", "variant_id"]
