"""Fixtures: an Engine on a fresh SQLite file and (when configured) on PostgreSQL.

PostgreSQL tests run against AMTSFLOW_TEST_POSTGRES_URL (CI sets it to the server on
127.0.0.1:5432); without it they skip with a reason, unless AMTSFLOW_REQUIRE_POSTGRES is
set (CI), in which case a missing server is a failure, never a silent skip.
"""

from __future__ import annotations

import contextvars
import functools
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.bootstrap import Engine, bootstrap
from engine.persistence.db import make_engine
from engine.persistence.migrate import upgrade
from engine.persistence.schema import metadata
from engine.ports import FakeClock
from engine.settings import Settings
from engine.tenancy import DEFAULT_TENANT, tenant_scope

MODELS = Path(__file__).parent / "models"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PG_URL = os.environ.get("AMTSFLOW_TEST_POSTGRES_URL")
# The time budget of a command (production: 1 s of CPU time) is tested in tests/security with chosen
# values; elsewhere a loaded test machine must not turn a long legitimate loop into an incident.
TEST_COMMAND_SECONDS = 10.0


def _require_pg() -> str:
    if not PG_URL:
        if os.environ.get("AMTSFLOW_REQUIRE_POSTGRES"):
            pytest.fail("AMTSFLOW_REQUIRE_POSTGRES is set but AMTSFLOW_TEST_POSTGRES_URL is not")
        pytest.skip("no PostgreSQL configured (set AMTSFLOW_TEST_POSTGRES_URL to run these tests)")
    return PG_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    db = make_engine(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    base = _require_pg()
    name = f"amtsflow_test_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a crash: a commit returns before its WAL reaches the disk
        # (what it sees and locks is unchanged), no fsync wait per commit on a busy machine.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    db = make_engine(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_DELETE_ALL = "; ".join(f'DELETE FROM "{tbl.name}"' for tbl in reversed(metadata.sorted_tables))


def truncate_all(db: Any) -> None:
    """Empty every table as a freshly migrated database is: only the default tenant (migration 0019)."""
    from datetime import datetime, timezone

    from engine.persistence.tenant_tables import tenants
    from engine.tenancy import DEFAULT_TENANT

    # DELETE, children first, in one round trip: on a test's few rows it takes milliseconds where
    # TRUNCATE of every table (new files, exclusive locks, a synced commit) took 0.3-1 s per test.
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.exec_driver_sql(_DELETE_ALL)
        else:
            for tbl in reversed(metadata.sorted_tables):   # raw SQL: every tenant's rows
                conn.exec_driver_sql(f'DELETE FROM "{tbl.name}"')
        conn.execute(tenants.insert().values(id=DEFAULT_TENANT, name="Standardmandant", host=None, path_prefix=None,
                                             settings={}, connectors={}, active=True,
                                             created_at=datetime.now(timezone.utc)))


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "amtsflow.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# werkzeug's default (scrypt) costs 0.1 s per hash on a quiet machine and a second and more on a
# loaded one; fixtures create the six demo accounts per test (engine-rest, browser tests). Tests
# hash with one cheap pbkdf2 round trip of the same werkzeug code; check_password_hash reads the
# method from the stored hash. tests/web/test_identity.py checks the production method
# (fixture production_password_hashes).
TEST_PASSWORD_METHOD = "pbkdf2:sha256:1000"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashes() -> Iterator[None]:
    from werkzeug.security import generate_password_hash

    from engine.services import identity
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(identity, "generate_password_hash",
                      functools.partial(generate_password_hash, method=TEST_PASSWORD_METHOD))
        yield


@pytest.fixture
def production_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The password hashing of a production installation (werkzeug's default method)."""
    from werkzeug.security import generate_password_hash

    from engine.services import identity
    monkeypatch.setattr(identity, "generate_password_hash", generate_password_hash)


@pytest.fixture(scope="session", autouse=True)
def default_tenant_scope() -> Iterator[None]:
    """Every test and fixture acts for the default tenant (engine/tenancy.py), as a
    single-tenant installation does; tests of other tenants open their own tenant_scope(...)
    inside. Threads a test starts have no scope: the worker, the web app and the CLI set their own."""
    with tenant_scope(DEFAULT_TENANT):
        yield


def in_scope(fn: Any) -> Any:
    """``fn`` to run in a thread of the test's own with the test's tenant scope (a new thread
    starts without one; contextvars are not inherited)."""
    return functools.partial(contextvars.copy_context().run, fn)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    url = str(request.getfixturevalue("pg_url"))
    db = make_engine(url)
    truncate_all(db)
    db.dispose()
    return url


@pytest.fixture
def engine(database_url: str, clock: FakeClock) -> Iterator[Engine]:
    eng = bootstrap(Settings(database_url=database_url, max_command_seconds=TEST_COMMAND_SECONDS), clock=clock)
    yield eng
    eng.db.dispose()


def model(name: str) -> Path:
    return MODELS / name
