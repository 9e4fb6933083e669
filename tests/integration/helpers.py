"""Shared test helpers for engine-level tests."""

from __future__ import annotations

from pathlib import Path

from engine.bootstrap import Engine
from engine.services.deploy import DeployResult, deploy, read_paths

MODELS = Path(__file__).resolve().parents[1] / "models"

ANTRAG = ["antrag.bpmn", "antrag-start.schema.json", "pruefung.schema.json"]


def deploy_models(engine: Engine, *names: str) -> DeployResult:
    return deploy(engine, read_paths([str(MODELS / n) for n in names]), actor="test")


def empty_pg_engine(pg_url: str) -> Engine:
    """An engine on the session's PostgreSQL test database, emptied, with a FakeClock (its ``clock``)."""
    from engine.bootstrap import bootstrap
    from engine.persistence.db import make_engine
    from engine.ports import FakeClock
    from engine.settings import Settings
    from tests.conftest import truncate_all

    db = make_engine(pg_url)
    truncate_all(db)
    return bootstrap(Settings(database_url=pg_url), db=db, clock=FakeClock())
