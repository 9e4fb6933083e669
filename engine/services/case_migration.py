"""Moving running cases to another version of their process: plan, check, dry run, batch.

1. ``propose`` makes a plan: every element id of the source version that the target also has
   maps to itself; the others are listed as unmapped, for the owner to map (renamed elements).
2. ``check_plan`` refuses a plan whose mapping names unknown elements or changes an element's kind.
3. ``migrate_case`` moves one case in one transaction (or, as a dry run, only tells what would
   happen); a case whose open activities cannot move is refused with the reasons and unchanged.
4. ``start_batch`` writes a batch (every running case of the source version, or the ids given)
   and a job; the job worker migrates it in slices of ``SLICE`` cases, recording each case's
   result, so a long batch shows its progress and survives a worker restart.
Each migrated case gets an audit entry ``migrated`` with the versions, the plan and the reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from engine.bootstrap import Engine
from engine.domain.errors import AmtsflowError, FormValidationError, InvalidState, NotFound
from engine.persistence import tables as t
from engine.services.job_rows import job_row
from engine.persistence.db import unit_of_work
from engine.persistence.ops_tables import migration_batch_cases, migration_batches
from engine.runtime.migration import MigrationIssue, check_and_migrate
from engine.runtime.parsing import ParsedProcess
from engine.services import case_repair, variants
from engine.tenancy import tenant_or_none
from engine.services.commands import Command, run_case_command

SLICE = 25
RUNNING = ("running", "waiting", "failed")


@dataclass(frozen=True)
class MigrationPlan:
    process_key: str
    source_version: int
    target_version: int
    mapping: dict[str, str] = field(default_factory=dict)   # source element id -> target element id


@dataclass(frozen=True)
class Element:
    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class Proposal:
    plan: MigrationPlan
    source: list[Element]
    target: list[Element]
    unmapped: list[str]          # source elements without a counterpart of the same id


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    migrated: bool
    issues: list[MigrationIssue]
    position: dict[str, str]     # open task id -> element id in the target (what the case would wait at)


def _definition(engine: Engine, key: str, version: int, conn: Any = None) -> tuple[str, ParsedProcess]:
    d = t.process_definitions
    query = select(d.c.id).where(d.c.key == key, d.c.version == version)
    if conn is None:
        with engine.db.connect() as own:
            definition_id = own.execute(query).scalar()
    else:
        definition_id = conn.execute(query).scalar()
    if definition_id is None:
        raise NotFound(f"{key} v{version} not deployed", user_message=f"Version {version} von „{key}“ gibt es nicht.")
    return definition_id, engine.definitions.get(definition_id, conn)


def _elements(parsed: ParsedProcess) -> list[Element]:
    found: dict[str, Element] = {}
    for model in parsed.models.values():
        if model.key != parsed.model.key and not any(i.nested for i in model.elements.values()):
            continue      # a called process: it is not part of this version
        for info in model.elements.values():
            if info.kind and info.kind not in ("sequenceFlow", "lane", "laneSet"):
                found.setdefault(info.id, Element(info.id, info.name or info.id, info.kind))
    return sorted(found.values(), key=lambda e: e.id)


def propose(engine: Engine, key: str, source_version: int, target_version: int) -> Proposal:
    _, source = _definition(engine, key, source_version)
    _, target = _definition(engine, key, target_version)
    source_elements, target_elements = _elements(source), _elements(target)
    target_ids = {e.id for e in target_elements}
    mapping = {e.id: e.id for e in source_elements if e.id in target_ids}
    unmapped = [e.id for e in source_elements if e.id not in target_ids]
    return Proposal(MigrationPlan(key, source_version, target_version, mapping), source_elements, target_elements,
                    unmapped)


def check_plan(engine: Engine, plan: MigrationPlan) -> None:
    """Refuse a plan that names elements the versions do not have, or maps across kinds."""
    if plan.source_version == plan.target_version:
        raise FormValidationError("same version", {"zielversion": ["Bitte wählen Sie eine andere Zielversion."]})
    _, source = _definition(engine, plan.process_key, plan.source_version)
    _, target = _definition(engine, plan.process_key, plan.target_version)
    sources = {e.id: e for e in _elements(source)}
    targets = {e.id: e for e in _elements(target)}
    errors: dict[str, list[str]] = {}
    for old, new in plan.mapping.items():
        if old not in sources:
            errors[old] = [f"„{old}“ gibt es in Version {plan.source_version} nicht."]
        elif new not in targets:
            errors[old] = [f"„{new}“ gibt es in Version {plan.target_version} nicht."]
        elif sources[old].kind != targets[new].kind:
            errors[old] = [f"„{old}“ ({sources[old].kind}) kann nicht zu „{new}“ ({targets[new].kind}) werden."]
    if errors:
        raise FormValidationError("migration plan refused", errors)


class _Refused(Exception):
    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.case_id)
        self.result = result


def migrate_case(engine: Engine, case_id: str, plan: MigrationPlan, *, actor: str, comment: str = "",
                 dry_run: bool = False) -> CaseResult:
    """Move one case (or, with ``dry_run``, only say whether it would move and where it would wait)."""
    reason = comment if dry_run else case_repair.require_comment(comment)
    source_id, _ = _definition(engine, plan.process_key, plan.source_version)

    def mutate(cmd: Command) -> CaseResult:
        if cmd.case.definition_id != source_id:
            raise _Refused(CaseResult(case_id, False, [MigrationIssue(
                "", f"Der Vorgang läuft nicht in Version {plan.source_version} (sondern in {cmd.case.version}).")], {}))
        if cmd.case.status not in RUNNING:
            raise _Refused(CaseResult(case_id, False, [MigrationIssue("", "Der Vorgang ist beendet.")], {}))
        target_id, target = _definition(engine, plan.process_key, plan.target_version, cmd.uow.conn)
        # the case's tenant's overrides as they are now (a migration is when a case takes them up)
        tenant = variants.tenant_of(cmd.uow.conn, cmd.case.variant_id) or tenant_or_none()
        variant = variants.variant_for(cmd.uow.conn, target_id, tenant)
        # its late-bound calls keep the definitions they bound
        target = engine.definitions.for_case(target_id, cmd.uow.conn, variant.id if variant else None,
                                             cmd.case.bound_definitions, variant.files if variant else None)
        registry = engine.serializer.spec_registry(cmd.parsed.model.dialect)
        outcome = check_and_migrate(cmd.wf, registry, cmd.parsed, target, plan.mapping, apply=not dry_run)
        result = CaseResult(case_id, not outcome.issues and not dry_run, outcome.issues, outcome.moved)
        if outcome.issues or dry_run:
            raise _Refused(result)
        _move_projections(cmd, target, outcome.moved)
        cmd.parsed = target
        variant_id = variant.id if variant is not None else None
        if variant is not None and not dry_run:
            variants.store(cmd.uow.conn, variant, engine.clock.now())
            cmd.audit_details["overrides"] = {o["file"]: o["version"] for o in variant.overrides}
        cmd.case = _with(cmd.case, definition_id=target_id, version=plan.target_version, variant_id=variant_id)
        cmd.uow.conn.execute(update(t.cases).where(t.cases.c.id == case_id)
                             .values(definition_id=target_id, version=plan.target_version, variant_id=variant_id))
        cmd.audit_details.update(comment=reason, source_version=plan.source_version,
                                 target_version=plan.target_version,
                                 mapping={k: v for k, v in plan.mapping.items() if k != v})
        return result

    try:
        return run_case_command(engine, case_id, actor, "migrated", mutate, allow_suspended=True)
    except _Refused as refused:
        return refused.result


def _with(row: Any, **changes: Any) -> SimpleNamespace:
    values = dict(row._mapping) if hasattr(row, "_mapping") else dict(vars(row))
    return SimpleNamespace(**{**values, **changes})


def _move_projections(cmd: Command, target: ParsedProcess, moved: dict[str, str]) -> None:
    """Open work items and timer jobs keep their rows (assignee, due date); they take the new
    element's id and name."""
    conn = cmd.uow.conn
    for task_id, element_id in moved.items():
        info = next((m.elements[element_id] for m in target.models.values() if element_id in m.elements), None)
        if info is None:
            continue
        conn.execute(update(t.work_items).where(t.work_items.c.id == task_id, t.work_items.c.state == "open")
                     .values(element_id=element_id, name=info.name or element_id))
        conn.execute(update(t.jobs).where(t.jobs.c.task_id == task_id).values(element_id=element_id))


# -- batches --------------------------------------------------------------------------------
def running_cases(engine: Engine, key: str, version: int, limit: int | None = None) -> list[str]:
    c = t.cases
    query = (select(c.c.id).where(c.c.process_key == key, c.c.version == version, c.c.status.in_(RUNNING))
             .order_by(c.c.started_at, c.c.id))
    if limit is not None:
        query = query.limit(limit)
    with engine.db.connect() as conn:
        return list(conn.execute(query).scalars())


def dry_run(engine: Engine, plan: MigrationPlan, *, sample: int = 10, actor: str = "system") -> list[CaseResult]:
    check_plan(engine, plan)
    return [migrate_case(engine, case_id, plan, actor=actor, dry_run=True)
            for case_id in running_cases(engine, plan.process_key, plan.source_version, sample)]


def start_batch(engine: Engine, plan: MigrationPlan, *, actor: str, comment: str,
                case_ids: list[str] | None = None) -> str:
    """Write the batch and its job; returns the batch id (the worker does the rest)."""
    reason = case_repair.require_comment(comment)
    check_plan(engine, plan)
    ids = case_ids if case_ids is not None else running_cases(engine, plan.process_key, plan.source_version)
    if not ids:
        raise InvalidState("nothing to migrate", user_message=f"In Version {plan.source_version} läuft kein Vorgang.")
    batch_id, now = str(uuid.uuid4()), engine.clock.now()
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(insert(migration_batches).values(
            id=batch_id, process_key=plan.process_key, source_version=plan.source_version,
            target_version=plan.target_version, mapping=plan.mapping, comment=reason, created_by=actor,
            created_at=now, status="running", total=len(ids), migrated=0, refused=0))
        uow.conn.execute(insert(migration_batch_cases), [
            dict(batch_id=batch_id, case_id=case_id, position=n, status="pending") for n, case_id in enumerate(ids)])
        uow.conn.execute(insert(t.jobs).values(job_row(engine, "migration", now, {"batch": batch_id}, created_at=now)))
        uow.commit()
    return batch_id


def run_batch_slice(engine: Engine, job: Any, owner: str) -> None:
    """The job's work: migrate the next SLICE pending cases, then hand the job back (more left)
    or delete it and close the batch."""
    batch_id = job.payload["batch"]
    with engine.db.connect() as conn:
        batch = conn.execute(select(migration_batches).where(migration_batches.c.id == batch_id)).first()
        pending = list(conn.execute(
            select(migration_batch_cases.c.case_id).where(migration_batch_cases.c.batch_id == batch_id,
                                                          migration_batch_cases.c.status == "pending")
            .order_by(migration_batch_cases.c.position).limit(SLICE)).scalars())
    if batch is None:
        pending = []
    else:
        plan = MigrationPlan(batch.process_key, batch.source_version, batch.target_version, dict(batch.mapping))
        for case_id in pending:
            try:
                result = migrate_case(engine, case_id, plan, actor=batch.created_by, comment=batch.comment)
                status = "migrated" if result.migrated else "refused"
                message = "; ".join(issue.message for issue in result.issues) or None
            except AmtsflowError as exc:
                status, message = "refused", exc.user_message
            with unit_of_work(engine.db) as uow:
                uow.conn.execute(update(migration_batch_cases).where(
                    migration_batch_cases.c.batch_id == batch_id, migration_batch_cases.c.case_id == case_id)
                    .values(status=status, message=message))
                counter = migration_batches.c.migrated if status == "migrated" else migration_batches.c.refused
                uow.conn.execute(update(migration_batches).where(migration_batches.c.id == batch_id)
                                 .values({counter: counter + 1}))
                uow.commit()
    with unit_of_work(engine.db) as uow:
        left = uow.conn.execute(select(func.count()).select_from(migration_batch_cases).where(
            migration_batch_cases.c.batch_id == batch_id, migration_batch_cases.c.status == "pending")).scalar_one()
        if left and batch is not None:
            uow.conn.execute(update(t.jobs).where(t.jobs.c.id == job.id, t.jobs.c.lock_owner == owner)
                             .values(lock_owner=None, lock_expires_at=None, due_at=engine.clock.now()))
        else:
            uow.conn.execute(delete(t.jobs).where(t.jobs.c.id == job.id))
            uow.conn.execute(update(migration_batches).where(migration_batches.c.id == batch_id)
                             .values(status="done", finished_at=engine.clock.now()))
        uow.commit()


@dataclass(frozen=True)
class BatchView:
    id: str
    process_key: str
    source_version: int
    target_version: int
    status: str
    total: int
    migrated: int
    refused: int
    created_by: str
    comment: str
    cases: list[dict[str, Any]]


def get_batch(engine: Engine, batch_id: str) -> BatchView:
    with engine.db.connect() as conn:
        row = conn.execute(select(migration_batches).where(migration_batches.c.id == batch_id)).first()
        if row is None:
            raise NotFound(f"batch {batch_id} not found", user_message="Diese Migration gibt es nicht.")
        cases = [dict(r._mapping) for r in conn.execute(
            select(migration_batch_cases.c.case_id, migration_batch_cases.c.status, migration_batch_cases.c.message,
                   t.cases.c.business_key)
            .join(t.cases, t.cases.c.id == migration_batch_cases.c.case_id, isouter=True)
            .where(migration_batch_cases.c.batch_id == batch_id).order_by(migration_batch_cases.c.position))]
    return BatchView(row.id, row.process_key, row.source_version, row.target_version, row.status, row.total,
                     row.migrated, row.refused, row.created_by, row.comment, cases)
