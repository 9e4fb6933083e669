"""The direction of imports from ARCHITECTURE.md, checked on the source (no I/O beyond reading it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _offenders(folder: str, forbidden: tuple[str, ...], allowed_under: str | None = None) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if allowed_under and rel.startswith(allowed_under):
            continue
        for name in _imports(path):
            if name.split(".")[0] in forbidden:
                found.append(f"{rel} imports {name}")
    return found


def test_engine_never_imports_webui_connectors_or_flask():
    assert _offenders("engine", ("webui", "connectors", "flask")) == []


def test_only_the_runtime_imports_spiffworkflow():
    assert _offenders("engine", ("SpiffWorkflow",), allowed_under="engine/runtime/") == []


def test_connectors_do_not_import_the_web_layer():
    assert _offenders("connectors", ("webui",)) == []


def test_the_web_layer_reaches_the_database_only_through_engine_services():
    """No SQL in views (STYLE.md): webui never imports SQLAlchemy or the engine's tables; the CLI
    may run migrations, the admin forms read the role and trust-level constants."""
    allowed = {"engine.persistence.migrate", "engine.persistence.identity_tables"}
    found = [line for line in _offenders("webui", ("sqlalchemy",))]
    for path in sorted((ROOT / "webui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        found += [f"{rel} imports {name}" for name in _imports(path)
                  if name.startswith("engine.persistence") and name not in allowed]
    assert found == []
