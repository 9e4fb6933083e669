"""inbox indexes led by the tenant; a group's priority page as one index range

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03

Every inbox statement carries ``tenant_id = :amtsflow_tenant`` (engine/persistence/scoping.py),
so an index that does not start with the tenant makes a clerk's page walk every tenant's rows
(bench/inbox.py --tenants 100 shows it). Two indexes from before the tenants now start with it:

- ``ix_work_items_open_priority``: (tenant_id, -COALESCE(priority, 50), sort_due, created_at, id)
  over the open work items (migration 0022's key, with the tenant in front);
- ``ix_case_fields_name_value``: (tenant_id, name, value), the exact case-field filter;
- ``ix_work_items_assignee``: (tenant_id, assignee); user names are unique per tenant only, so
  ``sb1`` may have tasks in every municipality (PostgreSQL chose this index for a clerk's own tasks).

And the priority order gets the group queue's treatment (engine/services/inbox_orders.py):
``work_item_queue.priority_rank`` holds the task's rank (-COALESCE(priority, 50), as the work
item's index computes it; the priority of an open task does not change), and
``ix_work_item_queue_priority`` (tenant_id, group_name, priority_rank, sort_due, created_at,
work_item_id) makes a group's page by priority one index range, as its page by due date is;
``ix_work_items_open_assignee_priority`` (tenant_id, assignee, rank, inbox key) does the same for
the tasks assigned to the clerk, which the page merges in. ``ix_work_item_queue_age`` (tenant_id,
group_name, created_at, work_item_id) does it for the order by age (before, a group's page walked
the tenant's age index: 90 ms at 1,000,000 open tasks on PostgreSQL).
Before, that page walked the priority index of all open tasks and probed each row's groups (about
1.4 s a page at 100,000 open tasks on SQLite when the group's tasks were ranked low).
"""
from alembic import op
import sqlalchemy as sa

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_OPEN = "state = 'open'"
RANK = "(-COALESCE(priority, 50))"   # engine.services.inbox_orders.DEFAULT_PRIORITY


def upgrade() -> None:
    op.drop_index("ix_work_items_open_priority", table_name="work_items")
    op.create_index("ix_work_items_open_priority", "work_items",
                    ["tenant_id", sa.text(RANK), "sort_due", "created_at", "id"],
                    unique=False, postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))
    op.drop_index("ix_case_fields_name_value", table_name="case_fields")
    op.create_index("ix_case_fields_name_value", "case_fields", ["tenant_id", "name", "value"], unique=False)
    op.drop_index("ix_work_items_assignee", table_name="work_items")
    op.create_index("ix_work_items_assignee", "work_items", ["tenant_id", "assignee"], unique=False)
    # SQLite adds a NOT NULL column with a default in place (no table rebuild)
    op.add_column("work_item_queue", sa.Column("priority_rank", sa.Integer(), nullable=False, server_default="-50"))
    op.execute("UPDATE work_item_queue SET priority_rank = (SELECT -COALESCE(w.priority, 50) FROM work_items w "
               "WHERE w.id = work_item_queue.work_item_id) WHERE work_item_id IN "
               "(SELECT id FROM work_items WHERE priority IS NOT NULL)")
    op.create_index("ix_work_item_queue_priority", "work_item_queue",
                    ["tenant_id", "group_name", "priority_rank", "sort_due", "created_at", "work_item_id"],
                    unique=False)
    op.create_index("ix_work_item_queue_age", "work_item_queue", ["tenant_id", "group_name", "created_at", "work_item_id"],
                    unique=False)
    op.create_index("ix_work_items_open_assignee_priority", "work_items",
                    ["tenant_id", "assignee", sa.text(RANK), "sort_due", "created_at", "id"],
                    unique=False, postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))


def downgrade() -> None:
    op.drop_index("ix_work_items_open_assignee_priority", table_name="work_items")
    op.drop_index("ix_work_item_queue_age", table_name="work_item_queue")
    op.drop_index("ix_work_item_queue_priority", table_name="work_item_queue")
    with op.batch_alter_table("work_item_queue") as batch:
        batch.drop_column("priority_rank")
    op.drop_index("ix_work_items_assignee", table_name="work_items")
    op.create_index("ix_work_items_assignee", "work_items", ["assignee"], unique=False)
    op.drop_index("ix_case_fields_name_value", table_name="case_fields")
    op.create_index("ix_case_fields_name_value", "case_fields", ["name", "value"], unique=False)
    op.drop_index("ix_work_items_open_priority", table_name="work_items")
    op.create_index("ix_work_items_open_priority", "work_items", [sa.text(RANK), "sort_due", "created_at", "id"],
                    unique=False, postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))
