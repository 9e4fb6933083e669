"""A case stored by an older release loads and completes under the current code.

The fixtures (tests/fixtures/case_states/<commit>/) hold a SQLite database written by the
code of that commit (on PostgreSQL, its rows copied into a database at the current schema): every standard process, several paths, one case suspended at each wait
of each path (see generate.py there for how they were made). Each test takes a copy of it,
upgrades the schema with the current migrations, resumes one case, checks that the current
code sees the same waits as the old one did, and drives it to the same end the old code
reached. The case cache is off: every step loads the stored state.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from connectors.registry import close_connectors, load_connectors
from connectors.simulators import runner
from engine.bootstrap import bootstrap
from engine.persistence.db import make_engine
from engine.persistence.migrate import upgrade
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.runtime.state_format import LEGACY, MIGRATIONS
from engine.services import cases, queries
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS, _require_pg
from tests.stored_states import (
    COMMITS, apply, clock_of, copy_into, manifest, payment_platform, upgraded_copy, waits,
)

from .conftest import Backoffices

ENTRIES = [(commit, entry) for commit in COMMITS for entry in manifest(commit)]


@pytest.fixture
def connectors(tmp_path: Path, backoffices: Backoffices) -> Iterator[dict[str, Any]]:
    """The simulators, with a payment platform of this test's own that knows the stored cases'
    transactions (a case that reaches its payment creates one; on the other database the same
    case must find the platform as the old code left it)."""
    platform = payment_platform(COMMITS[0], tmp_path / "payment.json")
    loaded = load_connectors(runner.connector_config({**backoffices.urls, "payment": platform.url}))
    yield loaded
    close_connectors(loaded)
    platform.stop()


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {c: upgraded_copy(c, tmp_path_factory.mktemp(c) / "states.sqlite") for c in COMMITS}


@pytest.fixture(scope="module")
def on_postgres(upgraded: dict[str, Path]) -> Iterator[dict[str, str]]:
    """Per commit, a PostgreSQL database at the current schema holding the rows of the upgraded
    SQLite fixture (each test resumes a different case; the others stay suspended)."""
    base = _require_pg()
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    urls = {}
    for commit in COMMITS:
        name = f"amtsflow_states_{commit}_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        urls[commit] = make_url(base).set(database=name).render_as_string(hide_password=False)
        db = make_engine(urls[commit])
        upgrade(db)
        db.dispose()
        copy_into(upgraded[commit], urls[commit])
    yield urls
    with admin.connect() as conn:
        for url in urls.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, upgraded: dict[str, Path], tmp_path: Path) -> dict[str, str]:
    """Per commit, the URL of the stored states: a fresh SQLite copy, or the module's PostgreSQL database."""
    if request.param == "postgres":
        return request.getfixturevalue("on_postgres")  # type: ignore[no-any-return]
    urls = {}
    for commit, path in upgraded.items():
        copy = tmp_path / f"{commit}.sqlite"
        shutil.copy(path, copy)
        urls[commit] = f"sqlite:///{copy}"
    return urls


def test_the_fixtures_cover_every_standard_process() -> None:
    processes = Path(__file__).resolve().parents[2] / "processes"
    keys = {p.name for p in processes.iterdir() if (p / "process.bpmn").exists()}
    for commit in COMMITS:
        assert {e["process"] for e in manifest(commit)} == keys


@pytest.mark.parametrize(("commit", "entry"), ENTRIES,
                         ids=[f"{c}-{e['process']}-{e['path']}-{e['wait']}" for c, e in ENTRIES])
def test_a_stored_case_loads_and_completes(commit: str, entry: dict[str, Any], database: dict[str, str],
                                           connectors: dict[str, Any]) -> None:
    clock = clock_of(entry)
    engine = bootstrap(Settings(database_url=database[commit], case_cache_size=0,
                                max_command_seconds=TEST_COMMAND_SECONDS), clock=clock)
    engine.connectors.update(connectors)
    case_id = entry["case_id"]
    try:
        with engine.db.connect() as conn:
            stored = conn.execute(select(t.cases.c.serializer_version).where(t.cases.c.id == case_id)).scalar_one()
        assert stored in LEGACY   # written before the format was ours
        worker = JobExecutor(engine, "upgrade-test")
        cases.set_suspended(engine, case_id, False)
        worker.run_until_idle()
        assert waits(engine, case_id) == entry["waits"]
        for action in entry["remaining"]:
            apply(engine, clock, worker, case_id, action)
        case = queries.get_case(engine, case_id)
        assert case["status"] == entry["ends"], case.get("incidents")
        with engine.db.connect() as conn:
            stored = conn.execute(select(t.cases.c.serializer_version).where(t.cases.c.id == case_id)).scalar_one()
        assert stored == MIGRATIONS.label
    finally:
        engine.db.dispose()
