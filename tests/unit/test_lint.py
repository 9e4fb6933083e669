"""Static checks that catch real bugs (undefined names, unused imports, mutable defaults)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _missing(what: str) -> None:
    """Outside CI a missing tool skips; in CI (CI or AMTSFLOW_REQUIRE_POSTGRES set, as .ci/run
    does) it fails: a check that silently does not run is no check."""
    message = f"{what} is not installed (pip install -e '.[test]')"
    if os.environ.get("CI") or os.environ.get("AMTSFLOW_REQUIRE_POSTGRES"):
        pytest.fail(message)
    pytest.skip(message)


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        _missing("ruff")
    result = subprocess.run([ruff, "check", "--quiet", "engine", "webui", "connectors", "bench", "tests"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_engine_and_webui():
    """engine/ and webui/ are fully typed (mypy strict): the web layer is checked against the
    services' typed read models. Configuration in pyproject.toml. The cache in .mypy_cache
    (git-ignored) makes repeated runs fast."""
    try:
        import mypy  # noqa: F401
    except ImportError:
        _missing("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "engine", "webui"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
