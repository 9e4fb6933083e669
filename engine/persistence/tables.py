"""SQLAlchemy Core tables. The schema itself is managed by Alembic (migrations/)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData,
    String, Table, Text, UniqueConstraint, text,
)
from sqlalchemy.types import TypeDecorator

from engine.domain import priorities
from engine.tenancy import DEFAULT_TENANT


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both sides, also on SQLite (which stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

TS = UtcDateTime()
ID = String(36)
TENANT_ID = String(63)   # engine.tenancy.TENANT_ID_MAX


def tenant_column(*, nullable: bool = False) -> Column[Any]:
    """The owning tenant (issue 17). Every table of this module but ``resources`` has one:
    resources are content-addressed blobs reached only through a (tenant-scoped) definition.
    engine/persistence/scoping.py adds the tenant to every statement on these tables. The
    database default (migration 0020 filled the existing rows with it) is only a fallback: the
    engine writes the tenant of the scope itself."""
    return Column("tenant_id", TENANT_ID, ForeignKey("tenants.id"), nullable=nullable, server_default=DEFAULT_TENANT)


resources = Table(
    "resources", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", TS, nullable=False),
)

deployments = Table(
    "deployments", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("files", JSON, nullable=False),          # [{"name": ..., "sha256": ...}]
    Column("name", String(200)),                    # as the deploying client named it (Camunda Modeler)
    Column("source", String(200)),                  # e.g. "Camunda Modeler", "studio"
)

process_definitions = Table(
    "process_definitions", metadata,
    Column("id", ID, primary_key=True),
    # None: shared, deployed by the provider for every tenant; a tenant sees its own and the shared
    tenant_column(nullable=True),
    Column("key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(500), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("deployment_id", ID, ForeignKey("deployments.id"), nullable=False),
    Column("files", JSON, nullable=False),          # the files this process needs
    Column("start_events", JSON, nullable=False),   # {"messages": [...], "timers": [...]}
    Column("retention", String(40)),                # ISO duration after the case ends; None: keep
    Column("business_key_format", String(200)),     # service.toml aktenzeichen; None: the shared default
    Column("system_messages", JSON),                # service.toml [nachrichten] nur_systeme: names
    Column("created_at", TS, nullable=False),
    UniqueConstraint("tenant_id", "key", "version", name="uq_process_definitions_key_version"),
    # NULLs are distinct in the constraint above: the shared definitions' versions by themselves
    Index("uq_process_definitions_shared_key_version", "key", "version", unique=True,
          postgresql_where=text("tenant_id IS NULL"), sqlite_where=text("tenant_id IS NULL")),
)

cases = Table(
    "cases", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("definition_id", ID, ForeignKey("process_definitions.id"), nullable=False),
    Column("process_key", String(200), nullable=False),   # indexed tenant first (below; migration 0027)
    Column("version", Integer, nullable=False),
    Column("business_key", String(200)),           # indexed tenant first with the process (below; migration 0029)
    Column("status", String(20), nullable=False),         # indexed tenant first (below; migration 0027)
    Column("citizen_status", String(200)),          # the latest milestone (engine/runtime/milestones.py)
    Column("suspended", Boolean, nullable=False, default=False),
    Column("state", Text, nullable=False),
    Column("serializer_version", String(40), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("waits", JSON, nullable=False),          # what the projections were built from
    Column("audit_hash", String(64), nullable=False),  # head of this case's audit chain
    Column("error", Text),
    Column("started_by", String(200)),
    Column("started_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("ended_at", TS),
    # the tenant's variant of the definition it started on (engine/persistence/override_tables.py);
    # None: the definition's own files
    Column("variant_id", String(64)),
    # definitions the case's call activities bound when they started (binding latest resolved per
    # case, engine/runtime/call_activity.py): their specs are loaded with the case's own
    Column("bound_definitions", JSON),
    # An Aktenzeichen names one case of a process of a tenant; NULLs (no key) are distinct on both databases.
    # The business key second: the index also serves the lookups by business key without a process
    # (the case search), so no index of its own (migration 0029: one entry fewer per case row write).
    Index("uq_cases_business_key_process_key", "tenant_id", "business_key", "process_key", unique=True),
    # The cockpit's case search, newest first (engine/services/case_search.py, migrations 0014,
    # 0020): within one tenant, so the tenant comes first.
    Index("ix_cases_process_started", "tenant_id", "process_key", "started_at", "id"),
    Index("ix_cases_process_version_started", "tenant_id", "process_key", "version", "started_at", "id"),
    Index("ix_cases_status_started", "tenant_id", "status", "started_at", "id"),
    Index("ix_cases_process_status_started", "tenant_id", "process_key", "status", "started_at", "id"),
    Index("ix_cases_started", "tenant_id", "started_at", "id"),
    Index("ix_cases_suspended_started", "tenant_id", "started_at", "id",
          postgresql_where=text("suspended"), sqlite_where=text("suspended")),
    # The owners' figures over the cases completed in a period (engine/services/process_figures.py;
    # migration 0040): an entry per case once, when it completes
    Index("ix_cases_process_completed", "tenant_id", "process_key", "ended_at",
          postgresql_where=text("status = 'completed'"), sqlite_where=text("status = 'completed'")),
)

# The counters behind assigned business keys: one row per tenant, scope (a process key, or the shared
# default) and year, incremented in the starting transaction (gapless; on PostgreSQL the row
# lock orders concurrent starts of one scope).
business_key_sequences = Table(
    "business_key_sequences", metadata,
    Column("tenant_id", TENANT_ID, ForeignKey("tenants.id"), primary_key=True, server_default=DEFAULT_TENANT),
    Column("scope", String(200), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)

UNDATED = datetime(9999, 12, 31, tzinfo=timezone.utc)   # sort key of a work item without due date
_OPEN: dict[str, Any] = {"postgresql_where": text("state = 'open'"), "sqlite_where": text("state = 'open'")}

work_items = Table(
    "work_items", metadata,
    Column("id", ID, primary_key=True),             # the SpiffWorkflow task id
    tenant_column(),
    Column("case_id", ID, ForeignKey("cases.id"), nullable=False, index=True),
    Column("process_key", String(200), nullable=False),
    Column("element_id", String(200), nullable=False),
    Column("name", String(500), nullable=False),
    Column("state", String(20), nullable=False),   # open, completed, cancelled
    Column("candidate_groups", JSON, nullable=False),
    Column("candidate_users", JSON, nullable=False),
    Column("assignee", String(200)),
    Column("due", TS),                              # read with the state: ix_work_items_state_due (migration 0029)
    Column("follow_up", TS),                        # camunda:followUpDate: when to look again
    Column("priority", Integer),
    Column("created_at", TS, nullable=False),
    Column("ended_at", TS),
    Column("completed_by", String(200)),
    # Inbox at scale (issue 13): the order key and the business key live on the row, so paging,
    # sorting and business-key search never join cases; partial indexes cover open items only.
    Column("business_key", String(200)),
    Column("sort_due", TS, nullable=False),         # due, or UNDATED (sorts last) when there is none
    Index("ix_work_items_state_due", "state", "due"),
    Index("ix_work_items_assignee", "tenant_id", "assignee"),   # the tenant first (migration 0023)
    # an inbox is one tenant's: the tenant first (migration 0020)
    Index("ix_work_items_open_order", "tenant_id", "sort_due", "created_at", "id", **_OPEN),
    Index("ix_work_items_open_age", "tenant_id", "created_at", "id", **_OPEN),   # the list's "oldest first" order
    Index("ix_work_items_open_assignee", "tenant_id", "assignee", "sort_due", "created_at", "id", **_OPEN),
    Index("ix_work_items_open_process", "tenant_id", "process_key", "sort_due", "created_at", "id", **_OPEN),
    Index("ix_work_items_open_business_key", "tenant_id", "business_key", **_OPEN),
    # the list's priority order: highest first, none counts as 50 (engine/services/inbox_orders.py;
    # migrations 0022, 0023: the tenant first, as every inbox statement names it)
    Index("ix_work_items_open_priority", "tenant_id", text("(-COALESCE(priority, 50))"), "sort_due", "created_at", "id",
          **_OPEN),
    Index("ix_work_items_open_assignee_priority", "tenant_id", "assignee", text("(-COALESCE(priority, 50))"),
          "sort_due", "created_at", "id", **_OPEN),   # a clerk's assigned tasks by priority (migration 0023)
)

# One row per open work item and candidate group, in inbox order: a group's page is one range
# of this index, however many tasks other groups have. Written and removed with the work item.
work_item_queue = Table(
    "work_item_queue", metadata,
    Column("work_item_id", ID, ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True),
    Column("group_name", String(200), primary_key=True),
    tenant_column(),
    Column("process_key", String(200), nullable=False),
    Column("sort_due", TS, nullable=False),
    Column("created_at", TS, nullable=False),
    # -COALESCE(priority, 50) of the work item: a group's page by priority is one range (migration 0023)
    Column("priority_rank", Integer, nullable=False, server_default="-50"),
    # the work item's follow-up (Wiedervorlage), kept with it (engine/services/follow_ups.py): the
    # inbox leaves out the deferred ones within the range it reads (migration 0039)
    Column("follow_up", TS),
    # the work item's case: a free text's many candidate cases are checked within the range (0042)
    Column("case_id", ID),
    Index("ix_work_item_queue_order", "tenant_id", "group_name", "sort_due", "created_at", "work_item_id",
          postgresql_include=["case_id"]),
    Index("ix_work_item_queue_process", "tenant_id", "group_name", "process_key", "sort_due", "created_at",
          "work_item_id"),
    Index("ix_work_item_queue_priority", "tenant_id", "group_name", "priority_rank", "sort_due", "created_at",
          "work_item_id"),
    Index("ix_work_item_queue_age", "tenant_id", "group_name", "created_at", "work_item_id"),   # migration 0023
    # the counts (a group, a group and a process; without the deferred ones) read only these columns:
    # on PostgreSQL a group is one key with a deduplicated list of row pointers (the tasks without a
    # follow-up), ~20x smaller than the ordered indexes (migrations 0025, 0039)
    Index("ix_work_item_queue_count", "tenant_id", "group_name", "process_key", "follow_up"),
)

work_item_groups = Table(
    "work_item_groups", metadata,
    Column("work_item_id", ID, ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True),
    Column("group_name", String(200), primary_key=True),
    tenant_column(),
    Index("ix_work_item_groups_group", "group_name"),
)

# Who may not take a work item although their group may (four-eyes principle, ``fourEyesOf``):
# written with the work item; the inbox leaves the item out for them, claiming and completing fail.
work_item_exclusions = Table(
    "work_item_exclusions", metadata,
    Column("work_item_id", ID, ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True),
    Column("username", String(200), primary_key=True),
    tenant_column(),
)

# A clerk's unfinished task form ("Zwischenspeichern"): the fields as typed, shown again on the
# task page, also to a colleague the task is handed to. One per open work item; removed in the
# transaction that ends the work item (engine/services/projections.py), and with the work item
# (migration 0034).
task_drafts = Table(
    "task_drafts", metadata,
    Column("work_item_id", ID, ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True),
    tenant_column(),
    Column("fields", JSON, nullable=False),        # form field path -> text, or list of texts
    Column("saved_by", String(200), nullable=False),
    Column("saved_at", TS, nullable=False),
)

# A citizen's unfinished application ("Als Entwurf speichern"): the start form's fields as typed,
# one per person and process, until it is sent or it expires (a job of kind draft_expiry removes
# it; engine/services/application_drafts.py, migration 0036).
application_drafts = Table(
    "application_drafts", metadata,
    Column("tenant_id", TENANT_ID, ForeignKey("tenants.id"), primary_key=True, server_default=DEFAULT_TENANT),
    Column("owner", String(200), primary_key=True),            # the citizen's username
    Column("process_key", String(200), primary_key=True),
    Column("fields", JSON, nullable=False),
    Column("saved_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
)

case_fields = Table(
    "case_fields", metadata,
    Column("case_id", ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(200), primary_key=True),
    tenant_column(),
    Column("value", String(500)),
    Index("ix_case_fields_name_value", "tenant_id", "name", "value"),   # the tenant first (migration 0023)
)

# the jobs a worker may take once due and free: no external-task topic, retries left, not suspended
TAKEABLE_JOBS = "topic IS NULL AND retries > 0 AND suspended = false"
# the same for the next-due read only ("kind IS NOT NULL" is always true: engine/jobs.py NEXT_DUE_MARK),
# without the jobs a deactivated tenant holds (paused)
NEXT_DUE_JOBS = TAKEABLE_JOBS + " AND kind IS NOT NULL AND paused = false"
# The kinds of job that run although their municipality is deactivated (engine/jobs.py _free_to_take):
# erasures of personal data whose time ran out - a closed case's retention period (retention), a
# buffered message's time to live (message_ttl), a citizen's application draft (draft_expiry);
# and the takeable ones of those kinds (migration 0037)
ERASURE_KINDS = ("retention", "message_ttl", "draft_expiry")
ERASURE_KINDS_SQL = "kind IN (" + ", ".join(f"'{kind}'" for kind in ERASURE_KINDS) + ")"
TAKEABLE_ERASURES = ERASURE_KINDS_SQL + " AND " + TAKEABLE_JOBS

jobs = Table(
    "jobs", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("case_id", ID, ForeignKey("cases.id"), index=True),
    Column("kind", String(20), nullable=False),     # service, timer, message_ttl
    Column("task_id", ID),
    Column("element_id", String(200)),
    Column("due_at", TS, nullable=False),
    Column("lock_owner", String(200)),
    Column("lock_expires_at", TS),
    Column("retries", Integer, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("payload", JSON, nullable=False),
    Column("suspended", Boolean, nullable=False, default=False),
    Column("created_at", TS, nullable=False),
    # higher runs first among due jobs (engine/domain/priorities.py); the default follows kind
    Column("priority", Integer, nullable=False, default=priorities.column_default, server_default="50"),
    Column("topic", String(200)),                   # kind "external": the topic outside workers fetch
    # its tenant is deactivated and it waits (all but erasures; engine/services/tenants.py update_tenant)
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    # the first takeable job by due time: the idle worker's next wake-up (engine/jobs.py, migrations 0032, 0033)
    Index("ix_jobs_takeable_due", "due_at", postgresql_where=text(NEXT_DUE_JOBS), sqlite_where=text(NEXT_DUE_JOBS)),
    Index("ix_jobs_topic", "topic", "due_at"),
    # a tenant's due jobs by priority: the acquisition's turn of each tenant (engine/jobs.py, migration 0032)
    Index("ix_jobs_tenant_priority_due", "tenant_id", "priority", "due_at", postgresql_where=text(TAKEABLE_JOBS),
          sqlite_where=text(TAKEABLE_JOBS)),
    # a deactivated tenant's erasures by due time: they run while its other jobs wait (migration 0033)
    Index("ix_jobs_tenant_erasure_due", "tenant_id", "due_at", postgresql_where=text(TAKEABLE_ERASURES),
          sqlite_where=text(TAKEABLE_ERASURES)),
)

incidents = Table(
    "incidents", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("case_id", ID, ForeignKey("cases.id"), index=True),  # None: a start schedule (no case yet)
    Column("job_id", ID),
    Column("task_id", ID),
    Column("element_id", String(200)),
    Column("kind", String(20), nullable=False),     # job, workflow
    Column("message", Text, nullable=False),
    Column("details", Text),
    Column("status", String(20), nullable=False, index=True),  # open, resolved
    Column("created_at", TS, nullable=False),
    Column("resolved_at", TS),
    Column("resolved_by", String(200)),
    # The cases with an open incident (case search, studio), whatever the size of the history.
    Index("ix_incidents_open_case", "case_id", postgresql_where=text("status = 'open'"),
          sqlite_where=text("status = 'open'")),
)

subscriptions = Table(
    "message_subscriptions", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("case_id", ID, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("task_id", ID, nullable=False),
    Column("kind", String(10), nullable=False),     # message, signal
    Column("name", String(200), nullable=False),
    Column("correlation_key", String(200)),
    Index("ix_subscriptions_lookup", "tenant_id", "kind", "name", "correlation_key"),
)

messages = Table(
    "messages", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("message_id", String(200)),               # sender's id: idempotent delivery (per tenant)
    Column("name", String(200), nullable=False),
    Column("correlation_key", String(200)),
    Column("payload", JSON, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("expires_at", TS),
    Column("delivered_case_id", ID),
    Column("delivered_at", TS),
    Index("ix_messages_pending", "tenant_id", "name", "correlation_key", "delivered_at"),
    UniqueConstraint("tenant_id", "message_id", name="uq_messages_message_id"),
)

case_comments = Table(
    "case_comments", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("case_id", ID, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", TS, nullable=False),
)

# The head of each tenant's chain of deployments, overrides and tenant changes (the audit events
# without a case; a case's head is cases.audit_hash): a chain whose last events were removed no
# longer ends at it, and the row lock orders concurrent appends (migration 0031).
audit_heads = Table(
    "audit_heads", metadata,
    Column("tenant_id", TENANT_ID, ForeignKey("tenants.id"), primary_key=True, server_default=DEFAULT_TENANT),
    Column("hash", String(64), nullable=False),
)

audit_events = Table(
    "audit_events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    tenant_column(),
    Column("case_id", ID, index=True),
    Column("at", TS, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(50), nullable=False),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
