"""The migrated schema equals the declared tables (no drift between Alembic and tables.py)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from engine.persistence.db import make_engine
from engine.persistence.schema import metadata

# Made by a migration only where the database offers them (pg_trgm on PostgreSQL, migration 0014).
OPTIONAL_INDEXES = {"ix_case_fields_value_trgm", "ix_work_items_open_business_key_trgm"}


# SQLite's reflection skips expression indexes (with a warning): they are compared on PostgreSQL.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_declared_schema(database_url):
    db = make_engine(database_url)
    try:
        with db.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    finally:
        db.dispose()
    ours = [d for d in diff if not (isinstance(d, tuple) and d[0] == "remove_table")
            and not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].name in OPTIONAL_INDEXES)]
    assert ours == []


def _downgrade(db, revision: str) -> None:
    from alembic import command

    from engine.persistence.migrate import alembic_config

    config = alembic_config(db)
    with db.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
        conn.commit()


@contextmanager
def _written_at(db, revision: str) -> Iterator[None]:
    """The schema downgraded to ``revision`` for the body to write rows as they were then, and
    upgraded to the head afterwards (also when the body fails)."""
    from engine.persistence.migrate import upgrade

    upgrade(db)
    _downgrade(db, revision)
    try:
        yield
    finally:
        upgrade(db)


def _case_indexes(conn) -> set[str]:
    from sqlalchemy import text

    return set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'cases'")).scalars())


def _compression(conn) -> dict[str, str]:
    from sqlalchemy import text

    rows = conn.execute(text("SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'cases'::regclass "
                             "AND attname IN ('state', 'data', 'waits')"))
    return {name: str(method) for name, method in rows}


@pytest.mark.postgres
def test_migration_0027_case_state_lz4_two_case_indexes_fewer_and_its_downgrade(pg_url):
    """Migration 0027: the case row's large columns (rewritten by every command) use LZ4, not
    pglz, and the single-column indexes on process_key and status (the tenant-first ones serve
    every statement) are gone; its downgrade gives both back."""
    from sqlalchemy import text

    from engine.persistence.migrate import upgrade

    db = make_engine(pg_url)
    try:
        with db.connect() as conn:
            methods = conn.execute(text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
            if "lz4" not in (methods.scalar() or []):
                pytest.skip("this PostgreSQL has no LZ4")
            assert _compression(conn) == {"state": "l", "data": "l", "waits": "l"}
            assert not {"ix_cases_process_key", "ix_cases_status"} & _case_indexes(conn)
        _downgrade(db, "0026")
        try:
            with db.connect() as conn:
                assert _compression(conn) == {"state": "", "data": "", "waits": ""}
                assert {"ix_cases_process_key", "ix_cases_status"} <= _case_indexes(conn)
        finally:
            upgrade(db)
        with db.connect() as conn:
            assert _compression(conn) == {"state": "l", "data": "l", "waits": "l"}
            assert not {"ix_cases_process_key", "ix_cases_status"} & _case_indexes(conn)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_migration_0028_account_notify_and_its_downgrade(pg_url):
    """Migration 0028: a change to a token, an account or its groups notifies amtsflow_accounts
    (engine/services/token_cache.py forgets its tokens); last uses and sign-ins do not; the
    downgrade drops the triggers."""
    import psycopg
    from sqlalchemy import text

    from engine.persistence.migrate import upgrade
    from tests.conftest import truncate_all

    db = make_engine(pg_url)
    names = ("api_tokens_account_notify", "users_account_notify", "user_groups_account_notify")

    def triggers() -> set[str]:
        with db.connect() as conn:
            return {r[0] for r in conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgname LIKE '%account_notify'"))}

    listener = psycopg.connect(make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False),
                               autocommit=True)
    try:
        truncate_all(db)
        listener.execute("LISTEN amtsflow_accounts")
        with db.begin() as conn:
            conn.execute(text("INSERT INTO users (id, tenant_id, username, display_name, roles, active, created_at) "
                              "VALUES ('u1', 'default', 'fv', 'FV', '[\"clerk\"]', true, now())"))
            conn.execute(text("INSERT INTO api_tokens (id, tenant_id, user_id, name, token_hash, prefix, created_at) "
                              "VALUES ('t1', 'default', 'u1', 't', 'h', 'p', now())"))

        def notified(statement: str) -> bool:
            list(listener.notifies(timeout=0.2))     # what came before
            with db.begin() as conn:
                conn.execute(text(statement))
            return bool(list(listener.notifies(timeout=1, stop_after=1)))

        assert names == tuple(sorted(triggers(), key=names.index))
        assert notified("UPDATE api_tokens SET revoked_at = now()")
        assert notified("UPDATE users SET roles = '[\"owner\"]'")
        assert not notified("UPDATE api_tokens SET last_used_at = now()")
        assert not notified("UPDATE users SET last_login_at = now()")
        _downgrade(db, "0027")
        try:
            assert triggers() == set()
            assert not notified("UPDATE users SET active = false")
        finally:
            upgrade(db)
        assert set(names) == triggers()
        truncate_all(db)
    finally:
        listener.close()
        db.dispose()


def _indexes(conn, table: str) -> dict[str, tuple[list[str], bool]]:
    from sqlalchemy import inspect

    return {ix["name"]: (list(ix["column_names"]), bool(ix["unique"])) for ix in inspect(conn).get_indexes(table)}


def _check_0029(conn, *, applied: bool) -> None:
    cases, work_items = _indexes(conn, "cases"), _indexes(conn, "work_items")
    if applied:
        assert cases["uq_cases_business_key_process_key"] == (["tenant_id", "business_key", "process_key"], True)
        assert not {"uq_cases_process_key_business_key", "ix_cases_business_key"} & set(cases)
        assert "ix_work_items_due" not in work_items
    else:
        assert cases["uq_cases_process_key_business_key"] == (["tenant_id", "process_key", "business_key"], True)
        assert cases["ix_cases_business_key"] == (["business_key"], False)
        assert "uq_cases_business_key_process_key" not in cases
        assert work_items["ix_work_items_due"] == (["due"], False)


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migration_0029_business_key_in_the_unique_index_and_its_downgrade(database_url):
    """Migration 0029: the unique index of cases has the business key second and serves the
    lookups by business key alone (on PostgreSQL: the plan uses it), the single-column indexes
    ix_cases_business_key and ix_work_items_due are gone; its downgrade gives the old ones back."""
    from sqlalchemy import text

    from engine.persistence.migrate import upgrade

    db = make_engine(database_url)
    try:
        upgrade(db)
        with db.connect() as conn:
            _check_0029(conn, applied=True)
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL enable_seqscan TO off"))
                plan = "\n".join(conn.execute(text(
                    "EXPLAIN SELECT id FROM cases WHERE tenant_id = 'default' AND business_key = '2026-000001'")).scalars())
                assert "uq_cases_business_key_process_key" in plan, plan
                conn.rollback()
        _downgrade(db, "0028")
        try:
            with db.connect() as conn:
                _check_0029(conn, applied=False)
        finally:
            upgrade(db)
        with db.connect() as conn:
            _check_0029(conn, applied=True)
    finally:
        db.dispose()


def _upgraded_tables(url: str) -> set[str]:
    from sqlalchemy import inspect

    from engine.persistence.migrate import upgrade

    db = make_engine(url)
    try:
        upgrade(db)
        return set(inspect(db).get_table_names())
    finally:
        db.dispose()


def test_migration_0030_worker_tenants_and_its_downgrade(database_url):
    """Migration 0030: a worker's heartbeat row records the tenants it serves (NULL: every
    tenant, as every row written before it); the downgrade drops the column again."""
    from sqlalchemy import inspect

    from engine.persistence.migrate import upgrade

    db = make_engine(database_url)
    try:
        upgrade(db)
        with db.connect() as conn:
            column = {c["name"]: c for c in inspect(conn).get_columns("workers")}["tenants"]
            assert column["nullable"]
        _downgrade(db, "0029")
        try:
            with db.connect() as conn:
                assert "tenants" not in {c["name"] for c in inspect(conn).get_columns("workers")}
        finally:
            upgrade(db)
    finally:
        db.dispose()


def test_migration_0031_audit_heads_start_at_each_tenants_last_change(database_url):
    """Migration 0031: every tenant's chain of deployments and overrides gets its present last
    event as its recorded head (events of cases do not count); audit-verify finds it intact."""
    from datetime import datetime, timezone

    from sqlalchemy import delete, insert, select, text

    from engine.persistence import tables as t
    from engine.services import audit
    from engine.tenancy import all_tenants, tenant_scope

    db = make_engine(database_url)
    at = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    try:
        with _written_at(db, "0030"):
            with all_tenants("test"), db.begin() as conn:
                conn.execute(text("INSERT INTO tenants (id, name, settings, connectors, active, created_at) "
                                  "VALUES ('stadt-a', 'A', '{}', '{}', true, :at)"), {"at": at})
                heads = {}
                for tenant, changes in (("default", 3), ("stadt-a", 2)):
                    prev = audit.GENESIS
                    for i in range(changes):
                        event = audit.prepare(prev_hash=prev, case_id=None, at=at, actor="x", action="deployed",
                                              details={"deployment": f"d{i}"})
                        conn.execute(insert(t.audit_events).values(tenant_id=tenant, **event))
                        prev = heads[tenant] = event["hash"]
                    case_event = audit.prepare(prev_hash=audit.GENESIS, case_id="c1", at=at, actor="x",
                                               action="started", details={})
                    conn.execute(insert(t.audit_events).values(tenant_id=tenant, **case_event))
        with all_tenants("test"), db.connect() as conn:
            assert dict(conn.execute(select(t.audit_heads.c.tenant_id, t.audit_heads.c.hash)).all()) == heads
        for tenant in heads:
            with tenant_scope(tenant), db.connect() as conn:
                assert [p for p in audit.verify(conn, None) if "head" in p] == []
    finally:
        with all_tenants("test"), db.begin() as conn:
            conn.execute(delete(t.audit_events))
            conn.execute(delete(t.audit_heads))
            conn.execute(text("DELETE FROM tenants WHERE id = 'stadt-a'"))
        db.dispose()


def test_migration_0033_marks_a_deactivated_tenants_waiting_jobs_and_its_downgrade(database_url):
    """Migration 0033: the jobs a tenant deactivated before it holds (all but erasures) are
    marked paused, out of the next-due index; the downgrade drops the mark and the new index."""
    from datetime import datetime, timezone

    from sqlalchemy import inspect, text

    from engine.tenancy import all_tenants

    db = make_engine(database_url)
    at = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    try:
        with _written_at(db, "0032"):
            with db.connect() as conn:
                assert "paused" not in {c["name"] for c in inspect(conn).get_columns("jobs")}
                assert "ix_jobs_tenant_erasure_due" not in {i["name"] for i in inspect(conn).get_indexes("jobs")}
            with all_tenants("test"), db.begin() as conn:
                for tenant, active in (("stadt-a", True), ("stadt-z", False)):
                    conn.execute(text("INSERT INTO tenants (id, name, settings, connectors, active, created_at) "
                                      "VALUES (:id, :id, '{}', '{}', :active, :at)"),
                                 {"id": tenant, "active": active, "at": at})
                    for kind in ("service", "retention"):
                        conn.execute(text("INSERT INTO jobs (id, tenant_id, kind, due_at, retries, attempts, payload, "
                                          "suspended, created_at) VALUES (:id, :tenant, :kind, :at, 3, 0, '{}', "
                                          "false, :at)"), {"id": f"{tenant}-{kind}", "tenant": tenant, "kind": kind,
                                                            "at": at})
        with all_tenants("test"), db.connect() as conn:
            paused = dict(conn.execute(text("SELECT id, paused FROM jobs")).all())
            assert {key: bool(value) for key, value in paused.items()} == {
                "stadt-a-service": False, "stadt-a-retention": False,
                "stadt-z-service": True, "stadt-z-retention": False}
    finally:
        with all_tenants("test"), db.begin() as conn:
            conn.execute(text("DELETE FROM jobs WHERE tenant_id IN ('stadt-a', 'stadt-z')"))
            conn.execute(text("DELETE FROM tenants WHERE id IN ('stadt-a', 'stadt-z')"))
        db.dispose()


def test_migrations_run_on_a_url_with_percent_escapes(tmp_path):
    """Alembic's configuration interpolates "%": a URL's escapes reach the migrations unchanged
    (here a file name with a "%" in it)."""
    url = make_url(f"sqlite:///{tmp_path / 'amtsflow%41.db'}").render_as_string(hide_password=False)
    assert {"cases", "work_items", "jobs"} <= _upgraded_tables(url)
    assert (tmp_path / "amtsflow%41.db").exists()


@pytest.mark.postgres
def test_migrations_run_over_a_unix_socket_url(pg_url):
    """The README's Unix-socket URL (``?host=/var/run/postgresql``: rendered with %2F)."""
    import os

    directory = "/var/run/postgresql"
    if make_url(pg_url).host not in ("127.0.0.1", "localhost") or not os.path.exists(f"{directory}/.s.PGSQL.5432"):
        pytest.skip("the PostgreSQL server is not on this host's default socket")
    url = make_url(pg_url).set(host=None, port=None, query={"host": directory}).render_as_string(hide_password=False)
    assert "%2F" in url
    assert {"cases", "work_items", "jobs"} <= _upgraded_tables(url)


def _stamp(url: str, revision: str) -> None:
    from sqlalchemy import text

    db = make_engine(url)
    try:
        with db.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        db.dispose()


def test_serve_and_worker_refuse_a_schema_this_release_does_not_run_on(tmp_path):
    """An older schema (`db upgrade` forgotten) or a newer one (an older release started again
    without restoring the backup): one line with what to do, exit 1; `db upgrade` refuses a
    revision it does not know in one line too, instead of alembic's stack trace."""
    import os
    import subprocess
    import sys

    from engine.persistence.migrate import SchemaMismatch, check_schema, upgrade

    url = f"sqlite:///{tmp_path / 'schema.sqlite'}"
    db = make_engine(url)
    try:
        with pytest.raises(SchemaMismatch, match="no amtsflow schema yet: run `amtsflow db upgrade`"):
            check_schema(db)
        upgrade(db)
        check_schema(db)   # the newest: nothing to say
    finally:
        db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMTSFLOW_")}
    env.update(AMTSFLOW_DATABASE_URL=url, AMTSFLOW_SECRET_KEY="k" * 40)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from webui.cli import main; main()", *args],
                              capture_output=True, text=True, env=env, timeout=60)

    _stamp(url, "0027")
    for args in (["worker", "--once"], ["serve", "--port", "0"]):
        done = cli(*args)
        assert done.returncode == 1, done.stderr
        assert done.stderr.strip().startswith("error: database: the database schema is at revision 0027, this "
                                              "release needs ") and done.stderr.strip().endswith("run `amtsflow db upgrade`")
    _stamp(url, "9999")
    for args in (["db", "upgrade"], ["worker", "--once"]):
        done = cli(*args)
        assert done.returncode == 1, done.stderr
        assert "revision 9999, which this release does not know" in done.stderr and "Traceback" not in done.stderr


def test_db_upgrade_says_which_migrations_it_applies(tmp_path):
    """An operator upgrading sees where the schema stood, each migration as it is applied (a long
    one on a large installation shows where it is) and where it ends; a second run says there
    was nothing to do."""
    import os
    import subprocess
    import sys

    from engine.persistence.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    db = make_engine(url)
    try:
        upgrade(db, "0026")
    finally:
        db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMTSFLOW_")}
    env.update(AMTSFLOW_DATABASE_URL=url)

    def upgrade_cli() -> list[str]:
        done = subprocess.run([sys.executable, "-c", "from webui.cli import main; main()", "db", "upgrade"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    lines = upgrade_cli()
    head = lines[-1].removeprefix("database is up to date (schema ").removesuffix(")")
    assert lines[0] == f"schema 0026: applying {len(lines) - 2} migration(s) up to {head}"
    assert [line.split()[0] for line in lines[1:-1]] == [f"{n:04d}" for n in range(27, int(head) + 1)]
    assert lines[1].startswith("  0027 cheaper case-row writes") and lines[1].endswith(" s)")
    assert upgrade_cli() == [f"database is up to date (schema {head})"]


def test_migration_0035_gives_each_waiting_buffered_message_its_ttl_job_and_its_downgrade(database_url):
    """Migration 0035: a message buffered before it and not delivered gets the expiry job a new one
    gets (the id a delivery removes, due when it expires; not paused for a deactivated tenant:
    an erasure, migration 0037); a delivered one gets none. The downgrade removes them."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import text

    from engine.services.messages import ttl_job_id
    from engine.tenancy import all_tenants

    db = make_engine(database_url)
    at = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    from sqlalchemy import select

    from engine.persistence import tables as t

    try:
        with _written_at(db, "0034"):
            with all_tenants("test"), db.begin() as conn:
                for tenant, active in (("stadt-a", True), ("stadt-z", False)):
                    conn.execute(text("INSERT INTO tenants (id, name, settings, connectors, active, created_at) "
                                      "VALUES (:id, :id, '{}', '{}', :active, :at)"),
                                 {"id": tenant, "active": active, "at": at})
                for mid, tenant, delivered in (("m-a", "stadt-a", None), ("m-z", "stadt-z", None),
                                               ("m-done", "stadt-a", at)):
                    conn.execute(t.messages.insert().values(    # as the engine writes them
                        id=mid, tenant_id=tenant, name="zahlung", payload={"betrag": 1}, received_at=at,
                        expires_at=at + timedelta(days=7), delivered_at=delivered))
        with all_tenants("test"), db.connect() as conn:
            jobs = conn.execute(text("SELECT id, tenant_id, kind, due_at, paused FROM jobs "
                                     "WHERE kind = 'message_ttl' ORDER BY tenant_id")).all()
        due = at + timedelta(days=7)
        assert [(j.id, j.tenant_id, j.kind, bool(j.paused)) for j in jobs] == [
            (ttl_job_id("m-a"), "stadt-a", "message_ttl", False), (ttl_job_id("m-z"), "stadt-z", "message_ttl", False)]
        with all_tenants("test"), db.connect() as conn:        # read as the engine reads them
            dues = conn.execute(select(t.jobs.c.due_at).where(t.jobs.c.kind == "message_ttl")).scalars().all()
        assert dues == [due, due]
        _downgrade(db, "0034")
        with all_tenants("test"), db.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM jobs WHERE kind = 'message_ttl'")).scalar() == 0
    finally:
        from engine.persistence.migrate import upgrade

        upgrade(db)
        with all_tenants("test"), db.begin() as conn:
            conn.execute(text("DELETE FROM jobs WHERE tenant_id IN ('stadt-a', 'stadt-z')"))
            conn.execute(text("DELETE FROM messages WHERE tenant_id IN ('stadt-a', 'stadt-z')"))
            conn.execute(text("DELETE FROM tenants WHERE id IN ('stadt-a', 'stadt-z')"))
        db.dispose()


def test_migration_0037_erases_expired_messages_and_drafts_of_a_paused_tenant_too(database_url):
    """Migration 0037: message_ttl and draft_expiry join retention in ix_jobs_tenant_erasure_due,
    and such jobs a deactivation had marked paused are unmarked; the downgrade marks them again."""
    from datetime import datetime, timezone

    from sqlalchemy import text

    from engine.tenancy import all_tenants

    db = make_engine(database_url)
    at = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)

    def index_sql() -> str:
        with db.connect() as conn:
            if db.dialect.name == "postgresql":
                return str(conn.execute(text("SELECT indexdef FROM pg_indexes "
                                             "WHERE indexname = 'ix_jobs_tenant_erasure_due'")).scalar_one())
            return str(conn.execute(text("SELECT sql FROM sqlite_master "
                                         "WHERE name = 'ix_jobs_tenant_erasure_due'")).scalar_one())

    def paused() -> dict[str, bool]:
        with all_tenants("test"), db.connect() as conn:
            return {row.id: bool(row.paused) for row in conn.execute(text(
                "SELECT id, paused FROM jobs WHERE tenant_id = 'stadt-z'"))}

    try:
        with _written_at(db, "0036"):
            assert "message_ttl" not in index_sql()
            with all_tenants("test"), db.begin() as conn:
                conn.execute(text("INSERT INTO tenants (id, name, settings, connectors, active, created_at) "
                                  "VALUES ('stadt-z', 'Z', '{}', '{}', false, :at)"), {"at": at})
                for kind in ("message_ttl", "draft_expiry", "service"):
                    conn.execute(text("INSERT INTO jobs (id, tenant_id, kind, due_at, retries, attempts, payload, "
                                      "suspended, created_at, paused) VALUES (:id, 'stadt-z', :kind, :at, 3, 0, "
                                      "'{}', false, :at, true)"), {"id": f"z-{kind}", "kind": kind, "at": at})
        assert "message_ttl" in index_sql() and "draft_expiry" in index_sql()
        assert paused() == {"z-message_ttl": False, "z-draft_expiry": False, "z-service": True}
        _downgrade(db, "0036")
        assert "message_ttl" not in index_sql()
        assert paused() == {"z-message_ttl": True, "z-draft_expiry": True, "z-service": True}
    finally:
        from engine.persistence.migrate import upgrade

        upgrade(db)
        with all_tenants("test"), db.begin() as conn:
            conn.execute(text("DELETE FROM jobs WHERE tenant_id = 'stadt-z'"))
            conn.execute(text("DELETE FROM tenants WHERE id = 'stadt-z'"))
        db.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migration_0039_gives_the_queue_rows_their_tasks_follow_up_and_its_downgrade(engine, database_url, clock):
    """Migration 0039: the queue rows of an open task on follow-up carry its day (the inbox's
    "without deferred" filter reads them); those of a task without one stay empty. The
    downgrade removes the column and gives back migration 0038's index."""
    from datetime import timedelta

    from sqlalchemy import inspect, select

    from engine.persistence import tables as t
    from engine.services import cases, queries
    from engine.services.deploy import deploy, read_paths
    from engine.services.follow_ups import set_follow_up
    from tests.conftest import MODELS

    deploy(engine, read_paths([str(MODELS / "entwurf")]), actor="po")
    deferred, plain = [queries.list_tasks(engine, case_id=cases.start_case(engine, "entwurf", {},
                                                                           internal=True))[0]["id"] for _ in range(2)]
    day = set_follow_up(engine, deferred, clock.now().date() + timedelta(days=3), "sb1")
    db = engine.db
    _downgrade(db, "0038")
    assert "follow_up" not in {c["name"] for c in inspect(db).get_columns("work_item_queue")}
    assert "ix_work_items_open_follow_up" in {i["name"] for i in inspect(db).get_indexes("work_items")}
    from engine.persistence.migrate import upgrade

    upgrade(db)
    q = t.work_item_queue
    with db.connect() as conn:
        kept = dict(conn.execute(select(q.c.work_item_id, q.c.follow_up)
                                 .where(q.c.work_item_id.in_([deferred, plain]))).all())
    assert kept == {deferred: day, plain: None}
    assert "ix_work_items_open_follow_up" not in {i["name"] for i in inspect(db).get_indexes("work_items")}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migration_0042_gives_the_queue_rows_their_case_and_its_downgrade(engine, database_url):
    """Migration 0042: the queue rows of the open tasks there are carry their task's case (the
    inbox's search checks a text's many candidate cases within a group's range); on PostgreSQL
    ix_work_item_queue_order holds it. The downgrade removes the column."""
    from sqlalchemy import inspect, select

    from engine.persistence import tables as t
    from engine.persistence.migrate import upgrade
    from engine.services import cases, queries
    from tests.integration.helpers import deploy_models

    deploy_models(engine, "inbox.bpmn")
    started = [cases.start_case(engine, "inbox", {"gruppen": "bauamt,kasse", "name": f"P{n}"}, internal=True)
               for n in range(3)]
    tasks = {queries.list_tasks(engine, case_id=case_id)[0]["id"]: case_id for case_id in started}
    db = engine.db
    _downgrade(db, "0041")
    assert "case_id" not in {c["name"] for c in inspect(db).get_columns("work_item_queue")}
    upgrade(db)
    q = t.work_item_queue
    with db.connect() as conn:
        rows = conn.execute(select(q.c.work_item_id, q.c.group_name, q.c.case_id)).all()
        if db.dialect.name == "postgresql":
            index = conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = "
                                         "'ix_work_item_queue_order'").scalar_one()
            assert "INCLUDE (case_id)" in index
    assert sorted((r.work_item_id, r.case_id) for r in rows) == sorted(
        (task_id, case_id) for task_id, case_id in tasks.items() for _group in range(2))
