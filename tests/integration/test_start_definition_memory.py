"""A start remembers the definition it ran on: the tenant's next start of the same process
steps with it without reading anything first, and checks in its write transaction (with the
statement that takes its business key) that it is still the newest version with the same
overrides; a version another process deployed meanwhile is started on all the same (issue 13,
the web + worker set-up of bench/engine.py: one round trip less per start). Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.bootstrap import Engine, bootstrap
from engine.persistence import tables as t
from engine.services import case_start, cases
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy, read_paths

MODELS = Path(__file__).resolve().parents[1] / "models"
ANTRAG = [MODELS / n for n in ("antrag.bpmn", "antrag-start.schema.json", "pruefung.schema.json")]
DATA = {"name": "P", "anzahl": 2}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read-only connection a start opens before its step (engine.persistence.db.reading)."""
    opened: list[str] = []
    original = case_start.reading

    @contextmanager
    def counted(db: Any) -> Iterator[Any]:
        opened.append("reading")
        with original(db) as conn:
            yield conn

    monkeypatch.setattr(case_start, "reading", counted)
    return opened


def version_of(engine: Engine, case_id: str) -> int:
    with engine.db.connect() as conn:
        return int(conn.execute(select(t.cases.c.version).where(t.cases.c.id == case_id)).scalar_one())


def test_the_next_start_reads_nothing_before_its_step(engine: Engine, reads: list[str]) -> None:
    deploy(engine, read_paths([str(p) for p in ANTRAG]))
    first = cases.start_case(engine, "antrag", dict(DATA), actor="bench")
    assert reads == ["reading"]
    second = cases.start_case(engine, "antrag", dict(DATA), actor="bench")
    assert reads == ["reading"]                  # stepped with the remembered definition
    assert version_of(engine, first) == version_of(engine, second) == 1
    with engine.db.connect() as conn:
        keys = conn.execute(select(t.cases.c.business_key).where(t.cases.c.id.in_([first, second]))).scalars().all()
    assert len(set(keys)) == 2 and "" not in keys


def test_a_start_runs_on_the_version_another_process_deployed(engine: Engine, reads: list[str]) -> None:
    deploy(engine, read_paths([str(p) for p in ANTRAG]))
    assert version_of(engine, cases.start_case(engine, "antrag", dict(DATA), actor="bench")) == 1
    other = bootstrap(engine.settings, clock=engine.clock)   # another process: a cache of its own
    try:
        files = [SourceFile(f.name, f.content.replace(b'name="Testantrag"', b'name="Testantrag 2"'))
                 for f in read_paths([str(p) for p in ANTRAG])]
        deploy(other, files)
    finally:
        other.db.dispose()
    reads.clear()
    case_id = cases.start_case(engine, "antrag", dict(DATA), actor="bench")
    assert version_of(engine, case_id) == 2      # the write transaction's check found version 2
    assert reads == ["reading"]                  # ... and the second attempt read it
    assert version_of(engine, cases.start_case(engine, "antrag", dict(DATA), actor="bench")) == 2
    assert reads == ["reading"]



def test_the_check_compares_what_the_first_read_read(engine: Engine) -> None:
    """The write transaction's check reads the newest version and the overrides stamp with
    result processing (FastStatement.all_deferred), the start's first read without
    (FastStatement.first): both give the same stamp, with and without overrides, or every start
    of a tenant with overrides would be stepped twice."""
    from sqlalchemy import insert

    from engine.persistence.db import reading, unit_of_work
    from engine.persistence.tenant_tables import tenants
    from engine.services import overrides
    from engine.tenancy import tenant_scope
    from tests.integration.test_tenant_overrides import DMN, KEY, PROCESS

    deploy(engine, read_paths([str(PROCESS)]), actor="provider", shared=True)
    with engine.db.begin() as conn:
        conn.execute(insert(tenants).values(id="musterstadt", name="Musterstadt", settings={}, connectors={},
                                            active=True, created_at=engine.clock.now()))

    def both() -> tuple[Any, Any]:
        params = {"key": KEY, "tenant": "musterstadt"}
        with tenant_scope("musterstadt"):
            with reading(engine.db) as conn:
                first = case_start._LATEST_ID.first(conn, params)
            with unit_of_work(engine.db) as uow:
                checked = case_start._LATEST_ID.all_deferred(uow.conn, params)
                uow.commit()
        assert checked.rows is not None
        return case_start._stamp(first), case_start._stamp(checked.rows[0])

    read, checked = both()
    assert read == checked and read is not None and read[3] == 0
    overrides.upload(engine, "musterstadt", KEY, "gebuehr.dmn", DMN.replace(b"18000", b"15000"), actor="owner")
    read, checked = both()
    assert read == checked and read is not None and read[3] == 1 and read[4] is not None
