"""Called processes from other deployments.

A call activity may call a process that is not part of the upload (kept in another folder,
deployed before or after the caller). As in Camunda 7, binding ``latest`` (the default) runs the
newest version deployed *when a case reaches the call activity*: :class:`CallResolver` finds it
for the case's tenant while the case's command runs (engine.runtime.call_activity.resolving), with
that tenant's overrides of its files in place (its variant, engine.services.variants), and
the definition (and variant) it binds is kept with the case (the call task's internal data and
``cases.bound_definitions``), so the case keeps that version through every reload. A called
process deployed nowhere yet is a deploy warning (engine.runtime.checks) and, when a case gets
there, an incident; retrying it after the deploy runs the process.

At deploy time the calling process still gets stored files of deployed called processes added to
its own bundle (the deploy-time checks see them): ``latest`` (and ``deployment``, when the upload
does not hold the process) the newest deployed version, which a case then runs as bundled as
long as it is still the newest; ``version``/``versionTag`` the one named, which its cases always
run (a version that does not exist is refused at deploy; Camunda 7 fails the case when it gets
there). Borrowed files are renamed (``deployed-KEY-vN-name``) so they never clash with uploaded
ones, and are never registered as new versions themselves.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.engine import Connection

from engine.domain.errors import DeploymentError, Problem
from engine.persistence import tables as t
from engine.runtime import camunda_call
from engine.runtime.call_activity import BORROWED_PREFIX, Resolved, bound_token
from engine.services import variants
from engine.runtime.camunda_tasks import MAPPING_FILE
from engine.runtime.parsing import BPMN_SUFFIXES, SourceFile
from engine.runtime.xmlsafe import UnsafeXml, parse_untrusted

PREFIX = BORROWED_PREFIX


def is_borrowed(name: str) -> bool:
    return os.path.basename(name).startswith(PREFIX)


def borrow_called(conn: Connection, files: list[SourceFile]) -> list[SourceFile]:
    """Stored files of the deployed processes that the upload calls but does not contain."""
    trees: dict[str, Any] = {}
    for f in files:
        if f.name.lower().endswith(BPMN_SUFFIXES):
            try:
                trees[f.name] = parse_untrusted(f.content, f.name)
            except UnsafeXml:
                continue  # reported by the parser
    present = {p.get("id") for root in trees.values() for p in root.iter("{*}process")}
    in_upload = set(present)
    borrowed: list[SourceFile] = []
    seen_hashes = {f.sha256 for f in files}
    uploaded = {os.path.basename(f.name) for f in files}
    problems: list[Problem] = []
    for name, root in trees.items():
        for ref in camunda_call.called_references(root):
            if ref.process_id in present and ref.binding in ("latest", "deployment"):
                continue
            if (ref.binding == "version" and ref.version is None) or (ref.binding == "versionTag"
                                                                       and not ref.version_tag):
                continue  # an incomplete binding: the parser reports it
            if ref.binding == "version" and ref.process_id in in_upload and ref.version == _next_version(
                    conn, ref.process_id):
                continue  # the version this upload creates (Camunda: a deployment binding to its own version)
            row = _definition(conn, ref, name)
            if row is None:
                if ref.binding in ("version", "versionTag"):
                    wanted = f"version {ref.version}" if ref.binding == "version" else f"version tag '{ref.version_tag}'"
                    problems.append(Problem(name, ref.node.sourceline or 0, ref.node.get("id", ""),
                                            f"called process '{ref.process_id}' has no deployed {wanted}"))
                continue  # 'latest' of nothing deployed: the parser reports the missing process
            for stored in _files(conn, row):
                if not is_borrowed(stored.name) and (os.path.basename(stored.name) in uploaded
                                                     or stored.name.endswith(".toml")):
                    continue  # the upload's own form/decision/service.toml files win
                if stored.sha256 not in seen_hashes:
                    seen_hashes.add(stored.sha256)
                    borrowed.append(stored)
            present.add(ref.process_id)
    if problems:
        raise DeploymentError(problems)
    return borrowed


def _next_version(conn: Connection, key: str) -> int:
    d = t.process_definitions
    latest = conn.execute(select(d.c.version).where(d.c.key == key).order_by(d.c.version.desc()).limit(1)).scalar()
    return int(latest or 0) + 1


def _definition(conn: Connection, ref: camunda_call.CalledReference, filename: str) -> Any:
    d = t.process_definitions
    query = select(d).where(d.c.key == ref.process_id).order_by(d.c.version.desc())
    if ref.binding == "version":
        return conn.execute(query.where(d.c.version == ref.version)).first()
    if ref.binding != "versionTag":
        return conn.execute(query.limit(1)).first()
    tagged = [row for row in conn.execute(query).all() if _tag_of(conn, row, ref.process_id) == ref.version_tag]
    if len(tagged) > 1:   # Camunda 7 refuses to guess between versions carrying the same tag
        raise DeploymentError([Problem(
            filename, ref.node.sourceline or 0, ref.node.get("id", ""),
            f"there are {len(tagged)} deployed versions of '{ref.process_id}' with version tag "
            f"'{ref.version_tag}' ({', '.join(f'v{r.version}' for r in tagged)}); bind to a version instead")])
    return tagged[0] if tagged else None


def _tag_of(conn: Connection, row: Any, process_id: str) -> str | None:
    for stored in _files(conn, row):
        if stored.name.lower().endswith(BPMN_SUFFIXES):
            tag = camunda_call.version_tag(parse_untrusted(stored.content, stored.name), process_id)
            if tag is not None:
                return tag
    return None


def _files(conn: Connection, row: Any) -> list[SourceFile]:
    hashes = [f["sha256"] for f in row.files]
    contents: dict[str, bytes] = {r.sha256: r.content for r in conn.execute(
        select(t.resources.c.sha256, t.resources.c.content).where(t.resources.c.sha256.in_(hashes)))}
    result = []
    for f in row.files:
        base = os.path.basename(f["name"])
        if (base.lower().endswith(BPMN_SUFFIXES) or base == MAPPING_FILE) and not base.startswith(PREFIX):
            base = f"{PREFIX}{row.key}-v{row.version}-{base}"   # the parser merges such a mapping under the upload's
        result.append(SourceFile(base, contents[f["sha256"]]))
    return result



def _decision_ids(root: Any) -> set[str]:
    return {d.get("id", "") for d in root.iter("{*}decision")}


def borrow_decisions(conn: Connection, files: list[SourceFile]) -> list[SourceFile]:
    """DMN files of earlier deployments defining the decisions that the upload's business rule
    tasks name (``camunda:decisionRef``, a fixed id) but none of its DMN files define. Camunda 7
    resolves a decisionRef among all deployed decisions (a decision kept in another folder);
    here the newest deployed definition whose DMN defines it lends that file, stored with the
    caller like a borrowed called process (so its cases keep that decision after every reload)."""
    defined: set[str] = set()
    wanted: set[str] = set()
    for f in files:
        lower = f.name.lower()
        try:
            if lower.endswith(".dmn"):
                defined |= _decision_ids(parse_untrusted(f.content, f.name))
            elif lower.endswith(BPMN_SUFFIXES):
                root = parse_untrusted(f.content, f.name)
                for task in root.iter("{*}businessRuleTask"):
                    ref = (task.get("{http://camunda.org/schema/1.0/bpmn}decisionRef")
                           or task.get("{http://flowable.org/bpmn}decisionTableReferenceKey") or "").strip()
                    if ref and "{" not in ref:
                        wanted.add(ref)
        except UnsafeXml:
            continue  # reported by the parser
    missing = wanted - defined
    if not missing:
        return []
    d = t.process_definitions
    borrowed: list[SourceFile] = []
    seen: set[str] = {f.sha256 for f in files}
    for row in conn.execute(select(d).order_by(d.c.created_at.desc(), d.c.version.desc())):
        dmn = [f for f in row.files if f["name"].lower().endswith(".dmn") and f["sha256"] not in seen]
        if not dmn:
            continue
        contents: dict[str, bytes] = {r.sha256: r.content for r in conn.execute(
            select(t.resources.c.sha256, t.resources.c.content).where(
                t.resources.c.sha256.in_([f["sha256"] for f in dmn])))}
        for f in dmn:
            seen.add(f["sha256"])
            try:
                ids = _decision_ids(parse_untrusted(contents[f["sha256"]], f["name"]))
            except (UnsafeXml, KeyError):
                continue
            if ids & missing:
                base = os.path.basename(f["name"])
                if not base.startswith(PREFIX):
                    base = f"{PREFIX}{row.key}-v{row.version}-{base}"
                borrowed.append(SourceFile(base, contents[f["sha256"]]))
                missing -= ids
        if not missing:
            break
    return borrowed


_NEWEST = (select(t.process_definitions.c.id, t.process_definitions.c.files)
           .where(t.process_definitions.c.key == bindparam("key"),
                  or_(t.process_definitions.c.tenant_id == bindparam("tenant"),
                      t.process_definitions.c.tenant_id.is_(None)))
           .order_by(t.process_definitions.c.version.desc(), t.process_definitions.c.tenant_id.is_(None)).limit(1))
_VERSION = _NEWEST.where(t.process_definitions.c.version == bindparam("version"))   # the tenant's own first
_FILES = select(t.process_definitions.c.files).where(t.process_definitions.c.id == bindparam("id"))


class CallResolver:
    """Resolves the late-bound call activities of one case (engine.runtime.call_activity):
    the newest version of the called process among the case tenant's own definitions and the
    shared ones (as a new case of it would start; on equal version numbers its own; stated explicitly, so that a command run for
    all tenants never binds another tenant's process). ``conn``: the command's connection, or
    None for a step outside a transaction (a short-lived connection of its own)."""

    def __init__(self, engine: Any, definition_id: str, tenant_id: str | None, conn: Connection | None = None) -> None:
        self.engine = engine
        self.definition_id = definition_id
        self.tenant_id = tenant_id
        self.conn = conn
        self.pending: list[Any] = []    # variants bound outside a transaction: stored with the case

    def __call__(self, process_id: str, version: int | None = None) -> Resolved | None:
        """The newest visible definition of ``process_id``, or its ``version`` (binding version
        given as an expression); None: none deployed."""
        if self.conn is not None:
            return self._resolve(self.conn, process_id, version)
        with self.engine.db.connect() as conn:
            return self._resolve(conn, process_id, version)

    def _resolve(self, conn: Connection, process_id: str, version: int | None) -> Resolved | None:
        query = _NEWEST if version is None else _VERSION
        row = conn.execute(query, {"key": process_id, "tenant": self.tenant_id, "version": version}).first()
        if row is None:
            return None
        definition_id = str(row.id)
        variant = variants.variant_for(conn, definition_id, self.tenant_id)   # the tenant's overrides of it
        if variant is None:
            if definition_id == self.definition_id or self._bundled(conn, row.files):
                return Resolved(definition_id)
            parsed = self.engine.definitions.get(definition_id, conn)
            return Resolved(definition_id, parsed.spec, parsed.subprocess_specs)
        parsed = self.engine.definitions.get(definition_id, conn, variant.id, variant.files)
        if self.conn is not None:
            variants.store(self.conn, variant, self.engine.clock.now())
        else:
            self.pending.append(variant)
        return Resolved(bound_token(definition_id, variant.id), parsed.spec, parsed.subprocess_specs)

    def _bundled(self, conn: Connection, files: list[dict[str, str]]) -> bool:
        """Was this version deployed with the calling process (its upload, or borrowed at its
        deploy)? Then the caller's bundle holds the same BPMN files."""
        own = conn.execute(_FILES, {"id": self.definition_id}).scalar()
        shas = {f["sha256"] for f in own or []}
        bpmn = [f["sha256"] for f in files if f["name"].lower().endswith(BPMN_SUFFIXES)]
        return bool(bpmn) and all(sha in shas for sha in bpmn)


__all__ = ["CallResolver", "borrow_called", "borrow_decisions", "is_borrowed", "PREFIX"]
