"""Deploy BPMN/DMN/form files: validate everything first, then store, version per process."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.engine import Connection

from engine.bootstrap import Engine
from engine.domain.errors import DeploymentError, Problem
from engine.persistence import tables as t
from engine.persistence.db import unit_of_work
from engine.persistence.scoping import for_all_tenants
from engine.runtime.parsing import BPMN_SUFFIXES, SCRIPT_SUFFIXES, ParsedBundle, ParsedProcess, SourceFile, parse_bundle
from engine.services import audit, compat, schedules
from engine.services.business_keys import service_policy
from engine.services.called import borrow_called, borrow_decisions, is_borrowed
from engine.services.retention import retention_of

MAX_FILES = 200


@dataclass
class DeployedProcess:
    key: str
    version: int
    definition_id: str
    created: bool            # False: content unchanged, the existing version is kept


@dataclass
class DeployResult:
    processes: list[DeployedProcess]
    warnings: list[Problem] = field(default_factory=list)


def read_paths(paths: list[str]) -> list[SourceFile]:
    """Files and folders (recursively) -> SourceFiles named relative to what was given."""
    files: list[SourceFile] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith("."):
                    files.append(SourceFile(str(child), child.read_bytes()))
        elif path.is_file():
            files.append(SourceFile(str(path), path.read_bytes()))
        else:
            raise DeploymentError([Problem(given, 0, "", "no such file or folder")])
    if len(files) > MAX_FILES:
        raise DeploymentError([Problem(paths[0], 0, "", f"{len(files)} files; at most {MAX_FILES} per deployment")])
    return files


def process_folders(files: list[SourceFile]) -> list[str]:
    """The folders of an upload that hold a process of their own (a ``service.toml``), deepest
    first; an upload of the whole library (``amtsflow deploy processes/``) has several."""
    roots = {os.path.dirname(f.name) for f in files if os.path.basename(f.name) == "service.toml"}
    return sorted(roots, key=lambda r: (-r.count("/"), r))


def _folder_of(name: str, roots: list[str]) -> str | None:
    """The process folder ``name`` lies in (the deepest), None outside every one."""
    return next((r for r in roots if r == "" or name.startswith(r + "/")), None)


def _needed_files(parsed: ParsedProcess, files: list[SourceFile]) -> list[SourceFile]:
    """The BPMN files of the process and what it calls, every DMN and form file and the
    service.toml (its retention period is part of what a version means). From an upload of
    several process folders, only the files of the folders of the process and of the processes
    it calls, and those outside every process folder: a version holds its own folder's files,
    changes only when they change, and a tenant's override names one file."""
    specs = [parsed.spec, *parsed.subprocess_specs.values()]
    spec_files = {getattr(s, "file", "") or "" for s in specs}
    bpmn_names = {os.path.basename(name) for name in spec_files}
    roots = process_folders(files)
    mine = {_folder_of(name, roots) for name in spec_files} if len(roots) > 1 else None
    chosen = []
    for f in files:
        base = os.path.basename(f.name)
        lower = base.lower()
        if mine is not None and not is_borrowed(f.name):
            folder = _folder_of(f.name, roots)
            if folder is not None and folder not in mine:
                continue   # another process's folder
            if lower.endswith(BPMN_SUFFIXES) and f.name not in spec_files:
                continue   # another process's model that happens to share the file name
        if lower.endswith((".dmn", ".json", ".form", *SCRIPT_SUFFIXES)) or base in bpmn_names \
                or base == "service.toml":
            chosen.append(f)
    return chosen


def _refuse_ambiguous_forms(files: list[SourceFile]) -> None:
    """Forms are found by file name: two process folders of one upload with different forms of the
    same name would give each process whichever was read last."""
    roots = process_folders(files)
    if len(roots) < 2:
        return
    seen: dict[str, SourceFile] = {}
    problems = []
    for f in files:
        base = os.path.basename(f.name)
        if not base.lower().endswith((".json", ".form")) or is_borrowed(f.name):
            continue
        other = seen.setdefault(base, f)
        if other is not f and other.sha256 != f.sha256 and _folder_of(other.name, roots) != _folder_of(f.name, roots):
            problems.append(Problem(f.name, 0, "", f"a different form of the same name is in {other.name}: forms are "
                                    "found by file name, so deploy these process folders one at a time or give "
                                    "the forms distinct names"))
    if problems:
        raise DeploymentError(problems)


def deploy(engine: Engine, files: list[SourceFile], actor: str = "system", *, name: str | None = None,
           source: str | None = None, shared: bool = False) -> DeployResult:
    """Deploy ``files`` (all-or-nothing); ``name`` and ``source`` label the deployment as a client
    gave them (Camunda Modeler's deploy dialog). The definitions belong to the current tenant,
    or with ``shared`` to every tenant (the provider's library: tenant_id NULL); the deployment
    record is the current tenant's either way."""
    _refuse_ambiguous_forms(files)
    with engine.db.connect() as conn:
        borrowed = borrow_called(conn, files)
        borrowed += borrow_decisions(conn, files + borrowed)
    files, bundle = _parse(engine, files, borrowed)
    if not bundle.processes:
        raise DeploymentError([Problem(files[0].name, 0, "", "no executable process (isExecutable=\"true\") found")])
    now = engine.clock.now()
    deployment_id = str(uuid.uuid4())
    result = DeployResult([], bundle.warnings)
    with unit_of_work(engine.db) as uow:
        conn = uow.conn
        known = set(conn.execute(select(t.resources.c.sha256).where(
            t.resources.c.sha256.in_([f.sha256 for f in files + borrowed])) ).scalars())
        stored = False
        for key, parsed in sorted(bundle.processes.items()):
            if is_borrowed(getattr(parsed.spec, "file", "") or ""):
                continue  # a deployed version another process calls: not deployed again
            needed = _needed_files(parsed, files + borrowed)
            content_hash = _content_hash(needed)
            # shared: compared with the library's own newest version, numbered above every
            # tenant's (a tenant sees its own versions and the shared ones: none may collide)
            latest = conn.execute(_LATEST_SHARED, {"key": key}).first() if shared else latest_definition(conn, key)
            highest = conn.execute(_HIGHEST, {"key": key}).scalar() if shared else (latest.version if latest else None)
            if latest is not None and latest.content_hash == content_hash:
                result.processes.append(DeployedProcess(key, latest.version, latest.id, False))
                continue
            if not stored:
                conn.execute(insert(t.deployments).values(id=deployment_id, created_at=now, created_by=actor,
                                                          files=[{"name": f.name, "sha256": f.sha256} for f in files],
                                                          name=name, source=source))
                stored = True
            for f in needed:
                if f.sha256 not in known:
                    conn.execute(insert(t.resources).values(sha256=f.sha256, content=f.content, created_at=now))
                    known.add(f.sha256)
            retention, problems = retention_of(files, key)
            policy, policy_problems = service_policy(files, key)
            if problems or policy_problems:
                raise DeploymentError(problems + policy_problems)
            version = (highest or 0) + 1
            definition_id = str(uuid.uuid4())
            conn.execute(insert(t.process_definitions).values(
                id=definition_id, **({"tenant_id": None} if shared else {}), key=key, version=version, name=parsed.model.name, content_hash=content_hash,
                deployment_id=deployment_id, files=[{"name": f.name, "sha256": f.sha256} for f in needed],
                start_events=parsed.model.start_events(), retention=retention,
                business_key_format=policy.business_key_format, system_messages=policy.system_messages,
                created_at=now))
            engine.definitions.put(definition_id, parsed)
            timers = parsed.model.start_events()["timers"]
            if shared and timers:
                raise DeploymentError([Problem(files[0].name, 0, key, (
                    "a timer start event in a process deployed for every tenant: its cases would all start in "
                    "one municipality; deploy it per tenant (amtsflow --tenant T deploy)"))])
            if shared:   # the newest version of every tenant now: no start timer of an older one fires
                conn.execute(for_all_tenants(delete(t.jobs).where(t.jobs.c.kind == "start_timer",
                                                                  t.jobs.c.element_id == key)))
            elif timers or latest is not None:
                timer_problems = schedules.schedule(engine, conn, key, definition_id, timers,
                                                    parsed.model.timer_ends())
                if timer_problems:
                    raise DeploymentError([Problem(files[0].name, 0, key, p) for p in timer_problems])
            result.processes.append(DeployedProcess(key, version, definition_id, True))
        if stored:
            created = [f"{p.key} v{p.version}" for p in result.processes if p.created]
            audit.append_change(conn, at=now, actor=actor, action="deployed",
                                details={"deployment": deployment_id, "processes": created})
        uow.commit()
    return result


def _parse(engine: Engine, files: list[SourceFile], borrowed: list[SourceFile]) -> tuple[list[SourceFile], ParsedBundle]:
    """The files to store and what they parse into. A Camunda model whose only problems are Java
    code camunda-mapping.json does not map yet deploys as Camunda deploys it, with a warning for
    each piece and a camunda-mapping.json that maps it to a placeholder which stops a case
    reaching it with an incident (engine.runtime.unmapped, compat.deploy_unmapped)."""
    def parse(candidate: list[SourceFile]) -> ParsedBundle:
        return parse_bundle(candidate + borrowed, engine.check_expression, engine.known_operations())

    try:
        return files, parse(files)
    except DeploymentError as refused:
        filled = compat.deploy_unmapped(files, list(refused.problems), parse)
        if filled is None:
            raise
        mapped, bundle, warnings = filled
        bundle.warnings = list(dict.fromkeys([*warnings, *bundle.warnings]))
        return mapped, bundle


def _content_hash(files: list[SourceFile]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: os.path.basename(f.name)):
        digest.update(os.path.basename(f.name).encode() + b"\0" + f.sha256.encode() + b"\0")
    return digest.hexdigest()


_LATEST = (select(t.process_definitions).where(t.process_definitions.c.key == bindparam("key"))
           .order_by(t.process_definitions.c.version.desc()).limit(1))


_LATEST_SHARED = for_all_tenants(
    select(t.process_definitions).where(t.process_definitions.c.key == bindparam("key"),
                                        t.process_definitions.c.tenant_id.is_(None))
    .order_by(t.process_definitions.c.version.desc()).limit(1))
_HIGHEST = for_all_tenants(select(func.max(t.process_definitions.c.version))
                           .where(t.process_definitions.c.key == bindparam("key")))


def latest_definition(conn: Connection, key: str) -> Any:
    """The newest version of process ``key`` (a row), or None."""
    return conn.execute(_LATEST, {"key": key}).first()


__all__ = ["deploy", "read_paths", "DeployResult", "DeployedProcess", "latest_definition"]
