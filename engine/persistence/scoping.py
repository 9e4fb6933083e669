"""Every statement on a tenant-owned table runs for the tenant of the current scope (issue 17).

The tenant is not a parameter that each query must remember. When SQLAlchemy compiles a SELECT,
UPDATE or DELETE, every tenant-owned table it reads (joins, subqueries, CTEs too) gets
``tenant_id = :amtsflow_tenant`` (for ``process_definitions``: ``... OR tenant_id IS NULL``, the
shared definitions), and an INSERT into such a table that does not name the tenant writes
``:amtsflow_tenant``. This happens at compile time, so SQLAlchemy's statement cache keeps working
and a cached statement costs nothing more per execution; the ``before_execute`` hook only adds
the value of ``amtsflow_tenant``, the current scope's tenant (engine.tenancy), to the parameters.

Inside ``all_tenants(...)`` the hook marks the statement (a parameter ``amtsflow_all_tenants``
that is always true, which gives it a cache entry of its own) and the compiler leaves the
criteria out; an INSERT must then name its tenant. Outside any scope a statement on a
tenant-owned table is refused with :class:`~engine.tenancy.TenantMissing`; a scoped INSERT that
names another tenant than the scope's, too. :class:`~engine.persistence.fast.FastStatement`
bypasses ``execute`` and binds the tenant itself (its plans are compiled through the same hooks).

What the hooks cannot see: ``exec_driver_sql`` and ``text()`` statements (the engine uses them
for pings and maintenance only).
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Boolean, String, and_, bindparam, event, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import Alias, CompoundSelect, FromClause, Join, Select, TableClause

from engine.persistence.schema import metadata
from engine.tenancy import Scope, TenantMissing, current_scope

TENANT_PARAM = "amtsflow_tenant"

# The tables scoped here (migration 0020). Tables other work adds with a tenant column are
# scoped once their code runs in a tenant's scope: add them to SCOPED_TABLES.
SCOPED_TABLES = (
    "deployments", "process_definitions", "cases", "business_key_sequences", "work_items", "work_item_queue",
    "work_item_groups", "work_item_exclusions", "case_fields", "jobs", "incidents", "message_subscriptions",
    "messages", "case_comments", "audit_events", "documents", "users", "groups", "user_groups",
    "external_identities", "api_tokens", "case_access_tokens", "callback_replays", "migration_batches",
    "migration_batch_cases", "audit_heads", "task_drafts",
    "application_drafts",
)

# tenant-owned tables -> may the tenant be NULL (shared rows every tenant sees)?
OWNED: dict[TableClause, bool] = {
    metadata.tables[name]: bool(metadata.tables[name].c.tenant_id.nullable) for name in SCOPED_TABLES
}


def _owned(clause: Any) -> FromClause | None:
    """The FROM element when it is a tenant-owned table or an alias of one."""
    if clause in OWNED:
        return clause  # type: ignore[no-any-return]
    if isinstance(clause, Alias) and clause.element in OWNED:
        return clause
    return None


def _criterion(owned: FromClause, tenant: BindParameter[str]) -> ColumnElement[bool]:
    column = owned.c.tenant_id
    base = owned.element if isinstance(owned, Alias) else owned
    if OWNED[base]:  # type: ignore[index]
        return or_(column == tenant, column.is_(None))
    return column == tenant


def _leftmost(clause: Any) -> Any:
    while isinstance(clause, Join):
        clause = clause.left
    return clause


def _join_tables(join: Any, into: set[Any]) -> None:
    for side in (join.left, join.right):
        if isinstance(side, Join):
            _join_tables(side, into)
        else:
            into.add(side)


def _where_tables(element: Select[Any]) -> list[FromClause]:
    """The owned tables (or aliases) of a SELECT's FROM list that take the criteria in WHERE: all
    but those joined to another one (those take it in the join's ON clause, see _compile_join),
    the leftmost of a join included. Subqueries are compiled, and scoped, on their own."""
    joined: set[Any] = set()
    candidates: list[Any] = []
    for from_ in element._from_obj:
        if isinstance(from_, Join):
            _join_tables(from_, joined)
            candidates.append(_leftmost(from_))
        else:
            candidates.append(from_)
    for target, *_rest in element._setup_joins:
        joined.add(target)
    candidates.extend(element.columns_clause_froms)
    for criterion in element._where_criteria:
        candidates.extend(criterion._from_objects)
    lefts = {_leftmost(f) for f in element._from_obj if isinstance(f, Join)}
    seen: list[FromClause] = []
    for candidate in candidates:
        owned = _owned(candidate)
        if owned is not None and (owned not in joined or owned in lefts) and owned not in seen:
            seen.append(owned)
    return seen


TENANT = bindparam(TENANT_PARAM, type_=String(63), required=True, unique=False)
ALL_TENANTS = "amtsflow_all_tenants"
_ALL = bindparam(ALL_TENANTS, True, type_=Boolean, unique=False)


def _is_marked(element: Any) -> bool:
    return any(isinstance(c, BindParameter) and c.key == ALL_TENANTS for c in element._where_criteria)


def _unscoped(compiler: Any, element: Any) -> bool:
    """Compiling for all tenants? Decided by the outermost statement's mark, for every nested one."""
    flag = getattr(compiler, "_amtsflow_all", None)
    if flag is None:
        flag = _is_marked(element)
        compiler._amtsflow_all = flag
    return bool(flag)


@compiles(Select)
def _compile_select(element: Select[Any], compiler: Any, **kw: Any) -> str:
    if not _unscoped(compiler, element):
        criteria = [_criterion(owned, TENANT) for owned in _where_tables(element)]
        if criteria:
            element = element.where(*criteria)
    return str(compiler.visit_select(element, **kw))


@compiles(Join)
def _compile_join(element: Join, compiler: Any, **kw: Any) -> str:
    if not getattr(compiler, "_amtsflow_all", False):
        owned = _owned(_leftmost(element.right))
        if owned is not None:
            crit = _criterion(owned, TENANT)
            element = Join(element.left, element.right,
                           and_(element.onclause, crit) if element.onclause is not None else crit,
                           isouter=element.isouter, full=element.full)
    return str(compiler.visit_join(element, **kw))


@compiles(Update)
@compiles(Delete)
def _compile_dml(element: Any, compiler: Any, **kw: Any) -> str:
    if not _unscoped(compiler, element):
        owned = _owned(element.table)
        if owned is not None:
            element = element.where(_criterion(owned, TENANT))
    return str(getattr(compiler, f"visit_{element.__visit_name__}")(element, **kw))


def _names_tenant(element: Insert, column_keys: Any) -> bool:
    if column_keys and "tenant_id" in column_keys:
        return True
    if element._values and any(getattr(k, "key", k) == "tenant_id" for k in element._values):
        return True
    return bool(element._multi_values) or element._select_names is not None


@compiles(Insert)
@compiles(sqlite.Insert)
@compiles(postgresql.Insert)
def _compile_insert(element: Insert, compiler: Any, **kw: Any) -> str:
    if element.table in OWNED and not _names_tenant(element, compiler.column_keys):
        element = element.values(tenant_id=TENANT)
    return str(compiler.visit_insert(element, **kw))


def touches_owned(statement: Any) -> bool:
    return any(element in OWNED for element in visitors.iterate(statement))


def _check_insert(statement: Insert, rows: list[Mapping[str, Any]], scope: Scope) -> None:
    named = [row["tenant_id"] for row in rows if "tenant_id" in row]
    if statement._values:
        named += [v.value if isinstance(v, BindParameter) else v
                  for k, v in statement._values.items() if getattr(k, "key", k) == "tenant_id"]
    for many in statement._multi_values:
        for row in many:
            if not isinstance(row, Mapping) or not any(getattr(k, "key", k) == "tenant_id" for k in row):
                raise TenantMissing(f"a multi-row INSERT INTO {statement.table} must name each row's tenant")
            named += [v for k, v in row.items() if getattr(k, "key", k) == "tenant_id"]
    if scope.tenant_id is None:
        if not named and not rows and statement._select_names is None or \
                rows and len([r for r in rows if "tenant_id" in r]) != len(rows) and not statement._values:
            raise TenantMissing(f"INSERT INTO {statement.table} across all tenants ({scope.reason}) "
                                "must name the tenant")
        return
    shared_ok = OWNED.get(statement.table, False)   # NULL: a shared row (process_definitions)
    wrong = [n for n in named if n != scope.tenant_id and not (n is None and shared_ok)]
    if wrong:
        raise TenantMissing(f"INSERT INTO {statement.table} for tenant {wrong[0]!r} inside the scope of "
                            f"{scope.tenant_id!r}")


_SCOPED_KINDS = (Select, CompoundSelect, Insert, Update, Delete)


def _before_execute(conn: Connection, clauseelement: Any, multiparams: Any, params: Any,
                    execution_options: Any) -> tuple[Any, Any, Any]:
    if not isinstance(clauseelement, _SCOPED_KINDS):   # text(), DDL, functions: not ours to scope
        return clauseelement, multiparams, params
    scope = current_scope()
    if isinstance(clauseelement, Insert):
        if clauseelement.table not in OWNED:
            return clauseelement, multiparams, params
        if scope is None:
            raise TenantMissing(f"INSERT INTO {clauseelement.table} outside any tenant scope")
        _check_insert(clauseelement, multiparams or ([params] if params else []), scope)
        if scope.tenant_id is None:
            return clauseelement, multiparams, params
    elif scope is None:
        if touches_owned(clauseelement):
            raise TenantMissing(f"statement on tenant-owned tables outside any tenant scope: {clauseelement}")
        return clauseelement, multiparams, params
    elif scope.tenant_id is None:
        if isinstance(clauseelement, CompoundSelect):
            raise TenantMissing("UNION across all tenants is not supported; query each part on its own")
        return clauseelement.where(_ALL), multiparams, params
    tenant = scope.tenant_id
    if multiparams:
        return clauseelement, [{**row, TENANT_PARAM: tenant} for row in multiparams], params
    return clauseelement, multiparams, {**params, TENANT_PARAM: tenant}


def install() -> None:
    """Scope every statement of every engine in this process (idempotent)."""
    if not event.contains(SAEngine, "before_execute", _before_execute):
        event.listen(SAEngine, "before_execute", _before_execute, retval=True)


def for_all_tenants(statement: Any) -> Any:
    """``statement`` marked to compile without the tenant criteria (FastStatement's all-tenants plan)."""
    if isinstance(statement, (Select, Update, Delete)):
        return statement.where(_ALL)
    return statement


__all__ = ["SCOPED_TABLES", "ALL_TENANTS", "touches_owned", "OWNED", "TENANT_PARAM", "for_all_tenants", "install"]
