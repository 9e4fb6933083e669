"""a notification when an account, its groups or an API token change (PostgreSQL)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06

On PostgreSQL, statement triggers send ``NOTIFY amtsflow_accounts`` (no payload) when a
transaction commits that changed what an API token stands for: the token itself (revoked,
deleted, another account or scope), its account (roles, active, deleted) or the account's
groups. A web process that keeps the tokens it has identified (engine/services/token_cache.py)
listens on that channel and forgets them all. The frequent writes that change none of it are
left out: a token's ``last_used_at``, an account's ``last_login_at``. A column added to these
tables that a token's identity reads must be added to the UPDATE OF lists below. Notifications
of one transaction with the same payload are sent once. SQLite has no such channel: there
nothing keeps tokens.
"""
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

TRIGGERS = {
    "api_tokens": "UPDATE OF id, tenant_id, user_id, token_hash, scopes, revoked_at OR DELETE OR TRUNCATE",
    "users": "UPDATE OF id, tenant_id, username, display_name, email, password_hash, roles, trust_level, active "
             "OR DELETE OR TRUNCATE",
    "user_groups": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION amtsflow_account_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('amtsflow_accounts', '');
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
    """)
    for table, events in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {table}_account_notify AFTER {events} ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION amtsflow_account_notify()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_account_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS amtsflow_account_notify()")
