"""The studio blueprint and what its route modules share."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from engine.services import kpis, queries
from webui.auth import engine

bp = Blueprint("studio", __name__, url_prefix="/studio")


def process_overview() -> list[dict[str, Any]]:
    """One entry per process key with all its versions, newest first."""
    counts = kpis.cases_per_definition(engine())
    grouped: dict[str, dict[str, Any]] = {}
    for row in queries.list_definitions(engine()):
        entry = grouped.setdefault(row["key"], {"key": row["key"], "name": row["name"], "versions": []})
        entry["versions"].append({**row, "cases": counts.get(row["id"], 0)})
    return sorted(grouped.values(), key=lambda e: e["name"].lower())
