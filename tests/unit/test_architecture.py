"""The direction of imports from ARCHITECTURE.md, checked on the source (no I/O beyond reading it).

Every import counts: absolute and relative ones, at the top of a module and inside functions
(a function-local import hides a cycle, it does not remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "webui", "connectors")


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names, relative ones resolved against ``module``."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports (``from a import b`` yields ``a`` and ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module, is_package = _module_name(path, root), path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def relative_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"line {node.lineno}: from {'.' * node.level}{node.module or ''} import ..."
            for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level > 0]


def private_imports(path: Path) -> list[str]:
    """Names with a leading underscore taken from another module (``from m import _x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"line {node.lineno}: {alias.name} from {node.module}" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module != "__future__"
            for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]


def _sources(folder: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / folder).rglob("*.py"))


def _offenders(folder: str, forbidden: tuple[str, ...], allowed_under: str | None = None) -> list[str]:
    found = []
    for path in _sources(folder):
        rel = path.relative_to(ROOT).as_posix()
        if allowed_under and rel.startswith(allowed_under):
            continue
        for name in sorted(imports(path)):
            if name.split(".")[0] in forbidden or any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{rel} imports {name}")
    return found


def import_cycles(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), over every import including local ones."""
    modules = {_module_name(p, root): p for pkg in packages for p in _sources(pkg, root)}
    graph = {m: sorted({n for n in imports(p, root) if n in modules and n != m}) for m, p in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_engine_never_imports_webui_connectors_or_flask():
    assert _offenders("engine", ("webui", "connectors", "flask")) == []


def test_only_the_runtime_imports_spiffworkflow():
    assert _offenders("engine", ("SpiffWorkflow",), allowed_under="engine/runtime/") == []


def test_connectors_do_not_import_the_web_layer():
    assert _offenders("connectors", ("webui",)) == []


def test_the_web_layer_reaches_the_database_only_through_engine_services():
    """No SQL in views (STYLE.md): webui never imports SQLAlchemy or the engine's tables; the CLI
    may run migrations and backups, the admin forms read the role and trust-level constants."""
    allowed = {"engine.persistence.migrate", "engine.persistence.backup", "engine.persistence.identity_tables"}
    found = _offenders("webui", ("sqlalchemy",))
    for path in _sources("webui"):
        rel = path.relative_to(ROOT).as_posix()
        found += [f"{rel} imports {name}" for name in sorted(imports(path))
                  if name.startswith("engine.persistence") and name != "engine.persistence"
                  and not any(name == a or name.startswith(a + ".") for a in allowed)]
    assert found == []


def test_the_web_layer_uses_services_and_read_models_not_the_runtime():
    """ARCHITECTURE.md: webui imports services and read models (engine.services.read_models),
    never engine.runtime."""
    assert _offenders("webui", ("engine.runtime",)) == []


def test_no_relative_imports():
    found = [f"{p.relative_to(ROOT).as_posix()} {line}" for pkg in (*PACKAGES, "bench")
             for p in _sources(pkg) for line in relative_imports(p)]
    assert found == []


def test_no_private_names_across_modules():
    found = [f"{p.relative_to(ROOT).as_posix()} {line}" for pkg in PACKAGES
             for p in _sources(pkg) for line in private_imports(p)]
    assert found == []


def test_no_import_cycles_not_even_through_function_local_imports():
    assert import_cycles() == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_checks_see_a_planted_relative_import_and_a_hidden_cycle(tmp_path):
    """The checks above can fail: a relative import into the runtime, and a cycle hidden in a
    function, are both found (the same functions run over the real tree)."""
    root = _plant(tmp_path, {
        "webui/__init__.py": "",
        "webui/views.py": "from ..engine.runtime import workflow\n",
        "engine/__init__.py": "",
        "engine/runtime/__init__.py": "",
        "engine/runtime/workflow.py": "",
        "engine/a.py": "from engine import b\n",
        "engine/b.py": "def f():\n    from . import a\n",
    })
    views = root / "webui/views.py"
    assert relative_imports(views) == ["line 1: from ..engine.runtime import ..."]
    assert "engine.runtime.workflow" in imports(views, root)   # resolved, so the runtime rule sees it
    assert import_cycles(root, ("engine",)) == [["engine.a", "engine.b"]]
    assert private_imports(_plant(tmp_path, {"engine/c.py": "from engine.b import _hidden\n"}) / "engine/c.py") \
        == ["line 1: _hidden from engine.b"]
