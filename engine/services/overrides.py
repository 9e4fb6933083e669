"""A tenant's overrides of a shared process: upload, list, compare, withdraw (issue 17, item 3).

An override replaces one file (DMN table, form, UI schema, service.toml) of a shared process
for one tenant, for the definition versions ``min_version``..``max_version`` (open ends: every
version; without a range: the newest version and those deployed later). It is checked at upload
exactly like that file in a deployment: against the shared file (engine.runtime.override_checks:
what the process relies on stays) and as part of the whole variant, which is parsed and validated
with the deployment's checks. Every change is a new version, and audited; a withdrawal is a
version without content. New cases of the tenant start on the overrides current at their start
(engine.services.variants); running cases keep theirs until they are migrated.
"""

from __future__ import annotations

import difflib
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.bootstrap import Engine
from engine.domain.errors import Conflict, DeploymentError, NotFound, Problem
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.persistence.override_tables import tenant_overrides
from engine.persistence.tenant_tables import tenants
from engine.runtime.override_checks import check_override, kind_of
from engine.runtime.parsing import SourceFile, parse_bundle
from engine.services import audit, variants
from engine.tenancy import check_tenant_id, tenant_scope

MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Override:
    id: str
    tenant_id: str
    process_key: str
    file_name: str
    version: int
    sha256: str | None         # None: withdrawn (the shared file applies again)
    min_version: int | None
    max_version: int | None
    comment: str | None
    created_at: datetime
    created_by: str

    @property
    def withdrawn(self) -> bool:
        return self.sha256 is None

    @property
    def range_text(self) -> str:
        low = f"v{self.min_version}" if self.min_version is not None else "v1"
        return f"{low}–v{self.max_version}" if self.max_version is not None else f"ab {low}"


@dataclass(frozen=True)
class Comparison:
    file_name: str
    definition_version: int
    shared: str
    override: str | None       # None: the tenant has no override of this file
    diff: list[str]            # unified diff, shared -> override


def _override(row: Any) -> Override:
    return Override(row.id, row.tenant_id, row.process_key, row.file_name, row.version, row.sha256, row.min_version,
                    row.max_version, row.comment, row.created_at, row.created_by)


def _definitions(conn: Connection, key: str) -> list[Any]:
    d = t.process_definitions
    rows = list(conn.execute(select(d.c.id, d.c.version, d.c.files).where(d.c.key == key).order_by(d.c.version)))
    if not rows:
        raise NotFound(f"process '{key}' is not deployed", user_message=f"Den Prozess „{key}“ gibt es nicht.")
    return rows


def _check_tenant(conn: Connection, tenant_id: str) -> None:
    check_tenant_id(tenant_id)
    if conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id)).first() is None:
        raise NotFound(f"tenant '{tenant_id}' not found", user_message=f"Den Mandanten „{tenant_id}“ gibt es nicht.")


def _contents(conn: Connection, hashes: list[str]) -> dict[str, bytes]:
    return {r.sha256: bytes(r.content) for r in conn.execute(
        select(t.resources.c.sha256, t.resources.c.content).where(t.resources.c.sha256.in_(hashes)))}


def upload(engine: Engine, tenant_id: str, process_key: str, file_name: str, content: bytes, *, actor: str,
           min_version: int | None = None, max_version: int | None = None, comment: str | None = None) -> Override:
    """Store ``content`` as the tenant's new version of ``file_name`` of ``process_key``, after
    checking it against every definition version it applies to; DeploymentError otherwise."""
    name = os.path.basename(file_name)
    problems: list[Problem] = []
    if len(content) > MAX_BYTES:
        raise DeploymentError([Problem(name, 0, "", f"größer als {MAX_BYTES // 1024} KiB")])
    with engine.db.connect() as conn:
        _check_tenant(conn, tenant_id)
        rows = _definitions(conn, process_key)
        if min_version is None and max_version is None:
            min_version = rows[-1].version
        if min_version is not None and max_version is not None and min_version > max_version:
            raise DeploymentError([Problem(name, 0, "", f"Versionsbereich v{min_version}–v{max_version} ist leer")])
        covered = [r for r in rows if (min_version is None or r.version >= min_version)
                   and (max_version is None or r.version <= max_version)]
        if not covered:
            raise DeploymentError([Problem(name, 0, process_key, "keine bereitgestellte Version im Versionsbereich")])
        others = [r for r in variants.current_overrides(conn, tenant_id, process_key) if r.file_name != name]
        for definition in covered:
            problems += _check_against(engine, conn, definition, process_key, name, content, others, tenant_id)
    if problems:
        raise DeploymentError(problems)
    return _store(engine, tenant_id, process_key, name, content, actor, min_version, max_version, comment)


def _check_against(engine: Engine, conn: Connection, definition: Any, key: str, name: str, content: bytes,
                   others: list[Any], tenant_id: str) -> list[Problem]:
    """Problems of ``content`` as ``name`` of one definition version, with the tenant's other
    current overrides in place (the variant new cases would run on)."""
    where = f"{key} v{definition.version}"
    entry = variants.file_entry(list(definition.files), name)
    if kind_of(name) is None or entry is None:
        message = "kann nicht mandantenweise angepasst werden (nur Entscheidungstabellen, Formulare und " \
                  "service.toml)" if kind_of(name) is None else f"die Datei gibt es in {where} nicht"
        return [Problem(name, 0, where, message)]
    shared = _contents(conn, [entry["sha256"]])[entry["sha256"]]
    problems = [Problem(name, 0, where, m) for m in check_override(name, shared, content)]
    if problems:
        return problems
    candidate = variants.compose(definition.id, tenant_id, list(definition.files), others, definition.version)
    entries = candidate.files if candidate is not None else list(definition.files)
    texts = _contents(conn, [f["sha256"] for f in entries])
    files = [SourceFile(f["name"], content if os.path.basename(f["name"]) == name else texts[f["sha256"]])
             for f in entries]
    try:
        bundle = parse_bundle(files, engine.check_expression, engine.known_operations())
    except DeploymentError as exc:
        return [Problem(p.file, p.line, p.element_id or where, p.message) for p in exc.problems]
    if key not in bundle.processes:
        return [Problem(name, 0, where, "mit dieser Datei entsteht der Prozess nicht mehr")]
    return []


def _store(engine: Engine, tenant_id: str, key: str, name: str, content: bytes | None, actor: str,
           min_version: int | None, max_version: int | None, comment: str | None) -> Override:
    now = engine.clock.now()
    sha = SourceFile(name, content).sha256 if content is not None else None
    o = tenant_overrides
    with unit_of_work(engine.db) as uow:
        conn = uow.conn
        if sha is not None and conn.execute(select(t.resources.c.sha256).where(t.resources.c.sha256 == sha)).first() is None:
            conn.execute(insert(t.resources).values(sha256=sha, content=content, created_at=now))
        version = (conn.execute(select(func.max(o.c.version)).where(
            o.c.tenant_id == tenant_id, o.c.process_key == key, o.c.file_name == name)).scalar() or 0) + 1
        values = dict(id=str(uuid.uuid4()), tenant_id=tenant_id, process_key=key, file_name=name, version=version,
                      sha256=sha, min_version=min_version, max_version=max_version, comment=comment,
                      created_at=now, created_by=actor)
        try:
            conn.execute(insert(o).values(**values))
        except IntegrityError:
            raise Conflict(f"override {tenant_id}/{key}/{name} v{version} was stored concurrently",
                           user_message="Die Anpassung wurde gleichzeitig geändert; bitte erneut versuchen.") from None
        with tenant_scope(tenant_id):   # in the municipality's chain, also when the provider uploads it for them
            audit.append_change(conn, at=now, actor=actor,
                                action="override_withdrawn" if sha is None else "override_uploaded",
                                details={"tenant": tenant_id, "process": key, "file": name, "version": version,
                                         "sha256": sha, "min_version": min_version, "max_version": max_version,
                                         "comment": comment})
        uow.commit()
    return Override(str(values["id"]), tenant_id, key, name, version, sha, min_version, max_version, comment, now, actor)


def withdraw(engine: Engine, tenant_id: str, process_key: str, file_name: str, *, actor: str,
             comment: str | None = None) -> Override:
    """End the tenant's override of ``file_name``: new cases use the shared file again."""
    name = os.path.basename(file_name)
    with engine.db.connect() as conn:
        _check_tenant(conn, tenant_id)
        current = {r.file_name: r for r in variants.current_overrides(conn, tenant_id, process_key)}
    if name not in current or current[name].sha256 is None:
        raise NotFound(f"tenant {tenant_id} has no override of {process_key}/{name}",
                       user_message=f"Für {name} gibt es keine Anpassung.")
    return _store(engine, tenant_id, process_key, name, None, actor, None, None, comment)


def list_current(engine: Engine, tenant_id: str, process_key: str | None = None) -> list[Override]:
    """The tenant's overrides in force (newest version of each file, not withdrawn)."""
    o = tenant_overrides
    query = select(o).where(o.c.tenant_id == tenant_id).order_by(o.c.process_key, o.c.file_name, o.c.version.desc())
    if process_key is not None:
        query = query.where(o.c.process_key == process_key)
    newest: dict[tuple[str, str], Override] = {}
    with engine.db.connect() as conn:
        for row in conn.execute(query):
            newest.setdefault((row.process_key, row.file_name), _override(row))
    return [v for v in newest.values() if not v.withdrawn]


def history(engine: Engine, tenant_id: str, process_key: str, file_name: str) -> list[Override]:
    """Every version of one override file, newest first."""
    o = tenant_overrides
    with engine.db.connect() as conn:
        rows = conn.execute(select(o).where(o.c.tenant_id == tenant_id, o.c.process_key == process_key,
                                            o.c.file_name == os.path.basename(file_name))
                            .order_by(o.c.version.desc())).all()
    return [_override(r) for r in rows]


def content_of(engine: Engine, override: Override) -> bytes:
    if override.sha256 is None:
        return b""
    with engine.db.connect() as conn:
        return _contents(conn, [override.sha256]).get(override.sha256, b"")


def compare(engine: Engine, tenant_id: str, process_key: str, file_name: str,
            version: int | None = None) -> Comparison:
    """The shared file (of ``version``, default the newest) beside the tenant's current override."""
    name = os.path.basename(file_name)
    with engine.db.connect() as conn:
        rows = _definitions(conn, process_key)
        definition = next((r for r in rows if r.version == version), None) if version is not None else rows[-1]
        if definition is None:
            raise NotFound(f"{process_key} v{version} not deployed", user_message=f"Version {version} gibt es nicht.")
        entry = variants.file_entry(list(definition.files), name)
        if entry is None:
            raise NotFound(f"{process_key} v{definition.version} has no file {name}",
                           user_message=f"Die Datei {name} gibt es in dieser Version nicht.")
        current = {r.file_name: r for r in variants.current_overrides(conn, tenant_id, process_key)}
        mine = current.get(name)
        hashes = [entry["sha256"]] + ([mine.sha256] if mine is not None and mine.sha256 else [])
        texts = {k: v.decode("utf-8", errors="replace") for k, v in _contents(conn, hashes).items()}
    shared = texts[entry["sha256"]]
    override = texts.get(mine.sha256) if mine is not None and mine.sha256 else None
    diff = [] if override is None else list(difflib.unified_diff(
        shared.splitlines(), override.splitlines(), f"gemeinsam/{name}", f"{tenant_id}/{name}", lineterm=""))
    return Comparison(name, definition.version, shared, override, diff)


def overridable_files(engine: Engine, process_key: str) -> list[str]:
    """The files of the newest version of ``process_key`` a tenant may override."""
    with engine.db.connect() as conn:
        rows = _definitions(conn, process_key)
    return sorted({os.path.basename(f["name"]) for f in rows[-1].files if kind_of(f["name"]) is not None})


__all__ = ["Comparison", "Override", "compare", "content_of", "history", "list_current", "overridable_files",
           "upload", "withdraw"]
