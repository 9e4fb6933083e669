"""Every module-level FastStatement of the engine's packages (for the tests that check them all)."""

from __future__ import annotations

import importlib
import pkgutil

import engine as engine_package
from engine.persistence.fast import FastStatement


def module_level_statements() -> dict[str, FastStatement]:
    """"module.NAME" -> the statement, for every FastStatement bound at module level (migrations left out)."""
    found = {}
    for info in pkgutil.walk_packages(engine_package.__path__, "engine."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, FastStatement):
                found[f"{info.name}.{name}"] = value
    return found
