"""tenant columns: every tenant-owned row names its tenant; existing rows go to ``default``

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

Every tenant-owned table gets ``tenant_id`` (a foreign key to ``tenants``), filled with
``default`` for the rows an installation already has. Names that were unique in the
installation become unique per tenant (process key and version, business key per process,
user names, group names, external identities, message ids); the inbox and case-search indexes
start with the tenant, since every query runs for one tenant (engine/persistence/scoping.py).
``process_definitions.tenant_id`` may be NULL: a shared definition, deployed by the provider
for every tenant. ``resources`` (content-addressed blobs) and ``workers`` stay installation-wide.

The column keeps the database default ``'default'`` (as the existing rows got it); the engine
always writes the tenant itself.

On SQLite the tables whose keys change are rebuilt, with foreign key enforcement off for the
rebuild (SQLite would otherwise empty the children of a dropped table through ON DELETE
CASCADE); the foreign keys are checked before the migration commits.
"""
from typing import Any

from alembic import op
import sqlalchemy as sa

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_OPEN = "state = 'open'"

# tables that only gain the column (and keep their keys)
_PLAIN = ("deployments", "cases", "work_items", "work_item_queue", "work_item_groups", "work_item_exclusions",
          "case_fields", "jobs", "incidents", "message_subscriptions", "case_comments", "audit_events",
          "documents", "api_tokens", "case_access_tokens", "callback_replays", "migration_batches",
          "migration_batch_cases", "process_definitions")

# (table, name, columns, partial condition or None): indexes that now start with the tenant
_INDEXES = (
    ("cases", "uq_cases_process_key_business_key", ["tenant_id", "process_key", "business_key"], None, True),
    ("cases", "ix_cases_process_started", ["tenant_id", "process_key", "started_at", "id"], None, False),
    ("cases", "ix_cases_process_version_started", ["tenant_id", "process_key", "version", "started_at", "id"],
     None, False),
    ("cases", "ix_cases_status_started", ["tenant_id", "status", "started_at", "id"], None, False),
    ("cases", "ix_cases_process_status_started", ["tenant_id", "process_key", "status", "started_at", "id"],
     None, False),
    ("cases", "ix_cases_started", ["tenant_id", "started_at", "id"], None, False),
    ("cases", "ix_cases_suspended_started", ["tenant_id", "started_at", "id"], "suspended", False),
    ("work_items", "ix_work_items_open_order", ["tenant_id", "sort_due", "created_at", "id"], _OPEN, False),
    ("work_items", "ix_work_items_open_age", ["tenant_id", "created_at", "id"], _OPEN, False),
    ("work_items", "ix_work_items_open_assignee", ["tenant_id", "assignee", "sort_due", "created_at", "id"],
     _OPEN, False),
    ("work_items", "ix_work_items_open_process", ["tenant_id", "process_key", "sort_due", "created_at", "id"],
     _OPEN, False),
    ("work_items", "ix_work_items_open_business_key", ["tenant_id", "business_key"], _OPEN, False),
    ("work_item_queue", "ix_work_item_queue_order",
     ["tenant_id", "group_name", "sort_due", "created_at", "work_item_id"], None, False),
    ("work_item_queue", "ix_work_item_queue_process",
     ["tenant_id", "group_name", "process_key", "sort_due", "created_at", "work_item_id"], None, False),
    ("message_subscriptions", "ix_subscriptions_lookup", ["tenant_id", "kind", "name", "correlation_key"],
     None, False),
    ("messages", "ix_messages_pending", ["tenant_id", "name", "correlation_key", "delivered_at"], None, False),
    ("user_groups", "ix_user_groups_group", ["tenant_id", "group_name"], None, False),
)


def _sqlite_foreign_keys(on: bool) -> None:
    """Leave the migration's transaction, switch enforcement (a no-op inside a transaction), begin anew."""
    driver: Any = op.get_bind().connection.driver_connection
    if not on:
        if driver.in_transaction:
            driver.execute("COMMIT")
        driver.execute("PRAGMA foreign_keys=OFF")
        driver.execute("BEGIN IMMEDIATE")
        return
    broken = driver.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        driver.execute("ROLLBACK")
        raise RuntimeError(f"migration 0020 left rows without their parent: {broken[:10]}")
    driver.execute("COMMIT")
    driver.execute("PRAGMA foreign_keys=ON")
    driver.execute("BEGIN IMMEDIATE")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(False)
    for table, name, _columns, _where, _unique in _INDEXES:
        op.drop_index(name, table_name=table)

    for table in _PLAIN:
        nullable = table == "process_definitions"
        if sqlite:  # with enforcement off SQLite adds a column with a REFERENCES clause in place
            op.execute(f"ALTER TABLE {table} ADD COLUMN tenant_id VARCHAR(63) "
                       f"{'' if nullable else 'NOT NULL '}DEFAULT 'default' REFERENCES tenants (id)")
        else:
            op.add_column(table, sa.Column("tenant_id", sa.String(length=63), nullable=nullable,
                                           server_default="default"))
            op.create_foreign_key(f"fk_{table}_tenant_id_tenants", table, "tenants", ["tenant_id"], ["id"])

    def tenant() -> sa.Column[str]:
        return sa.Column("tenant_id", sa.String(length=63), nullable=False, server_default="default")

    with op.batch_alter_table("process_definitions", recreate="auto") as batch:
        batch.drop_constraint("uq_process_definitions_key_version", type_="unique")
        batch.create_unique_constraint("uq_process_definitions_key_version", ["tenant_id", "key", "version"])
    op.create_index("uq_process_definitions_shared_key_version", "process_definitions", ["key", "version"],
                    unique=True, postgresql_where=sa.text("tenant_id IS NULL"),
                    sqlite_where=sa.text("tenant_id IS NULL"))

    with op.batch_alter_table("messages") as batch:
        batch.add_column(tenant())
        batch.create_foreign_key("fk_messages_tenant_id_tenants", "tenants", ["tenant_id"], ["id"])
        batch.drop_constraint("uq_messages_message_id", type_="unique")
        batch.create_unique_constraint("uq_messages_message_id", ["tenant_id", "message_id"])

    with op.batch_alter_table("users") as batch:
        batch.add_column(tenant())
        batch.create_foreign_key("fk_users_tenant_id_tenants", "tenants", ["tenant_id"], ["id"])
        batch.drop_constraint("uq_users_username", type_="unique")
        batch.create_unique_constraint("uq_users_username", ["tenant_id", "username"])

    if not sqlite:
        op.drop_constraint("fk_user_groups_group_name_groups", "user_groups", type_="foreignkey")
    with op.batch_alter_table("groups") as batch:
        batch.add_column(tenant())
        batch.create_foreign_key("fk_groups_tenant_id_tenants", "tenants", ["tenant_id"], ["id"])
        batch.drop_constraint("pk_groups", type_="primary")
        batch.create_primary_key("pk_groups", ["tenant_id", "name"])
    with op.batch_alter_table("user_groups") as batch:
        batch.add_column(tenant())
        batch.create_foreign_key("fk_user_groups_tenant_id_tenants", "tenants", ["tenant_id"], ["id"])
        if sqlite:
            batch.drop_constraint("fk_user_groups_group_name_groups", type_="foreignkey")
        batch.create_foreign_key("fk_user_groups_group_name_groups", "groups", ["tenant_id", "group_name"],
                                 ["tenant_id", "name"], ondelete="CASCADE")

    with op.batch_alter_table("external_identities") as batch:
        batch.add_column(tenant())
        batch.create_foreign_key("fk_external_identities_tenant_id_tenants", "tenants", ["tenant_id"], ["id"])
        batch.drop_constraint("pk_external_identities", type_="primary")
        batch.create_primary_key("pk_external_identities", ["tenant_id", "issuer", "subject"])

    with op.batch_alter_table("business_key_sequences") as batch:
        batch.add_column(tenant())
        batch.create_foreign_key("fk_business_key_sequences_tenant_id_tenants", "tenants", ["tenant_id"], ["id"])
        batch.drop_constraint("pk_business_key_sequences", type_="primary")
        batch.create_primary_key("pk_business_key_sequences", ["tenant_id", "scope", "year"])

    for table, name, columns, where, unique in _INDEXES:
        kw: dict[str, Any] = {} if where is None else {"postgresql_where": sa.text(where),
                                                       "sqlite_where": sa.text(where)}
        op.create_index(name, table, columns, unique=unique, **kw)
    if sqlite:
        _sqlite_foreign_keys(True)


def downgrade() -> None:
    raise NotImplementedError("tenants cannot be merged back into one installation by a migration; "
                              "restore the backup taken before the upgrade")
