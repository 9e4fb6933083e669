"""Shared test helpers for engine-level tests."""

from __future__ import annotations

from pathlib import Path

from engine.bootstrap import Engine
from engine.services.deploy import DeployResult, deploy, read_paths

MODELS = Path(__file__).resolve().parents[1] / "models"

ANTRAG = ["antrag.bpmn", "antrag-start.schema.json", "pruefung.schema.json"]


def deploy_models(engine: Engine, *names: str) -> DeployResult:
    return deploy(engine, read_paths([str(MODELS / n) for n in names]), actor="test")
