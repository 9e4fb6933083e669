"""An installation from before tenants (schema 0019, with data) upgrades into the default tenant.

The data: the stored cases of tests/fixtures/case_states (written by older code, upgraded to
0019), plus accounts, a group, an API token and an external identity written with the 0019
schema. After the upgrade to head every row is in the tenant ``default``, and the installation
still works: a stored case completes, a clerk signs in with the password, the token
authenticates, a group lists its members. On PostgreSQL the same rows are copied into a
database at 0019 first (the copy is made through the reflected 0019 tables, not the declared ones).
"""

from __future__ import annotations

import gzip
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import MetaData, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from connectors.registry import close_connectors, load_connectors
from connectors.simulators import runner
from engine.bootstrap import bootstrap
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.persistence.db import make_engine
from engine.persistence.migrate import upgrade
from engine.persistence.schema import metadata
from engine.services import cases, identity, queries
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS, _require_pg
from tests.stored_states import COMMITS, FIXTURES, apply, clock_of, manifest, payment_platform

from .conftest import Backoffices



COMMIT = COMMITS[0]
TOKEN = "amtsflow_pretenant_token_0123456789abcdef"
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def connectors(tmp_path: Path, backoffices: Backoffices) -> Iterator[dict[str, Any]]:
    platform = payment_platform(COMMIT, tmp_path / "payment.json")
    loaded = load_connectors(runner.connector_config({**backoffices.urls, "payment": platform.url}))
    yield loaded
    close_connectors(loaded)
    platform.stop()


def _at_0019(tmp_path: Path) -> Path:
    """The stored states upgraded to 0019 (the schema before this migration), with accounts added."""
    path = tmp_path / "pre_tenant.sqlite"
    with gzip.open(FIXTURES / COMMIT / "states.sqlite.gz") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    db = make_engine(f"sqlite:///{path}")
    upgrade(db, "0019")
    old = MetaData()
    old.reflect(db)
    assert "tenant_id" not in old.tables["cases"].c   # really the old schema
    naive = NOW.replace(tzinfo=None)
    with db.begin() as conn:
        conn.execute(insert(old.tables["users"]), [
            {"id": "u-clerk", "username": "sachbearbeiter", "display_name": "Sachbearbeiterin",
             "email": None, "password_hash": generate_password_hash("geheim-12345"), "roles": ["clerk"],
             "trust_level": None, "active": True, "created_at": naive, "last_login_at": None},
            {"id": "u-citizen", "username": "buerger-sub", "display_name": "Bürger", "email": None,
             "password_hash": None, "roles": ["citizen"], "trust_level": "substantial", "active": True,
             "created_at": naive, "last_login_at": None}])
        conn.execute(insert(old.tables["groups"]), [{"name": "ordnungsamt", "title": "Ordnungsamt",
                                                     "created_at": naive}])
        conn.execute(insert(old.tables["user_groups"]), [{"user_id": "u-clerk", "group_name": "ordnungsamt"}])
        conn.execute(insert(old.tables["api_tokens"]), [{
            "id": "t-1", "user_id": "u-clerk", "name": "Fachverfahren", "token_hash": identity.token_digest(TOKEN),
            "prefix": TOKEN[:12], "scopes": ["business_key"], "created_at": naive, "last_used_at": None,
            "revoked_at": None}])
        conn.execute(insert(old.tables["external_identities"]), [{
            "issuer": "https://id.example", "subject": "sub-1", "user_id": "u-citizen", "created_at": naive}])
    db.dispose()
    return path


def _copy_to_postgres(source: Path, name: str) -> str:
    base = _require_pg()
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    target = make_engine(url)
    upgrade(target, "0019")
    src_db = make_engine(f"sqlite:///{source}")
    old_src, old_dst = MetaData(), MetaData()
    old_src.reflect(src_db)
    old_dst.reflect(target)
    with src_db.connect() as src, target.begin() as dst:
        for table in old_dst.sorted_tables:
            if table.name in ("alembic_version", "tenants"):
                continue
            rows = [dict(r._mapping) for r in src.execute(select(old_src.tables[table.name]))]
            for row in rows:   # SQLite keeps naive UTC
                for key, value in row.items():
                    if isinstance(value, datetime) and value.tzinfo is None:
                        row[key] = value.replace(tzinfo=timezone.utc)
            if rows:
                dst.execute(insert(table), rows)
        dst.execute(text("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), "
                         "(SELECT max(id) FROM audit_events))"))
    src_db.dispose()
    target.dispose()
    return url


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_an_installation_before_tenants_upgrades_into_the_default_tenant(
        backend: str, tmp_path: Path, connectors: dict[str, Any]) -> None:
    source = _at_0019(tmp_path)
    pg_name = f"amtsflow_pretenant_{os.getpid()}"
    url = f"sqlite:///{source}" if backend == "sqlite" else _copy_to_postgres(source, pg_name)
    try:
        db = make_engine(url)
        upgrade(db)
        with db.connect() as conn:
            for table in metadata.sorted_tables:
                if "tenant_id" not in table.c:
                    continue
                other = conn.execute(select(func.count()).select_from(table).where(
                    (table.c.tenant_id != "default") | table.c.tenant_id.is_(None))).scalar_one()
                assert other == 0, table.name
            assert conn.execute(select(func.count()).select_from(t.cases)).scalar_one() >= 40
        db.dispose()

        entry = min(manifest(COMMIT), key=lambda e: len(e["remaining"]) or 99)
        clock = clock_of(entry)
        engine = bootstrap(Settings(database_url=url, case_cache_size=0,
                                    max_command_seconds=TEST_COMMAND_SECONDS), clock=clock)
        engine.connectors.update(connectors)
        try:
            worker = JobExecutor(engine, "tenant-migration-test")
            cases.set_suspended(engine, entry["case_id"], False)
            worker.run_until_idle()
            for action in entry["remaining"]:
                apply(engine, clock, worker, entry["case_id"], action)
            assert queries.get_case(engine, entry["case_id"])["status"] == entry["ends"]

            clerk = identity.authenticate(engine, "sachbearbeiter", "geheim-12345")
            assert clerk is not None and clerk.groups == ("ordnungsamt",)
            assert identity.authenticate(engine, "sachbearbeiter", "falsch") is None
            by_token = identity.user_for_token(engine, TOKEN)
            assert by_token is not None and by_token.username == "sachbearbeiter"
            assert by_token.scopes == ("business_key",)
            # a new account and group land next to the old ones
            identity.create_group(engine, "buergerbuero", "Bürgerbüro")
            assert {g["name"] for g in identity.list_groups(engine)} == {"ordnungsamt", "buergerbuero"}
        finally:
            engine.db.dispose()
    finally:
        if backend == "postgres":
            admin = create_engine(_require_pg(), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()
