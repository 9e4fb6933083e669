"""The connector listing (CLI, API, studio); discovery and loading live in engine.plugins,
re-exported here for callers that know them by this module."""

from __future__ import annotations

from typing import Any, Mapping

from engine.plugins import (BUILTINS, GROUP, ConnectorLoadError, close_connectors, discover, entry_points,
                            load_connectors)
from engine.ports import Connector

__all__ = ["BUILTINS", "GROUP", "ConnectorLoadError", "close_connectors", "discover", "entry_points",
           "load_connectors", "describe"]


def describe(connectors: Mapping[str, Connector]) -> list[dict[str, Any]]:
    """Every ``name.operation`` with description and schemas (CLI, API, studio)."""
    rows = []
    for name, connector in sorted(connectors.items()):
        for op, spec in sorted(connector.operations().items()):
            result_schema = dict(spec.result_schema)
            errors = result_schema.pop("x-bpmn-errors", [])
            rows.append({"operation": f"{name}.{op}", "connector": name, "description": spec.description,
                         "params_schema": dict(spec.params_schema), "result_schema": result_schema,
                         "errors": list(errors)})
    return rows
