"""Connectors as plug-ins: found through the entry-point group ``amtsflow.connectors``.

A package ships a connector by declaring an entry point in that group whose value is a
factory ``create(config: Mapping[str, str]) -> Connector``, e.g.

    [project.entry-points."amtsflow.connectors"]
    gewerbe = "amtsflow_gewerbe.connector:create"

The built-ins are always known by their ``module:factory`` names (also when the package
metadata was not reinstalled after an update); an entry point with a built-in's name
replaces the built-in. The engine imports no concrete connector: each is imported by name
when :func:`load_connectors` builds it (the composition root, engine.bootstrap.build_engine).
"""

from __future__ import annotations

import logging
import threading
from importlib import import_module
from importlib.metadata import entry_points
from collections.abc import Iterator, MutableMapping
from typing import Any, Callable, Iterable, Mapping

from engine.domain.errors import ConfigurationError
from engine.ports import Connector

GROUP = "amtsflow.connectors"
BUILTINS: dict[str, str] = {
    "http": "connectors.http:create",
    "mail": "connectors.mail:create",
    "documents": "connectors.documents:create",
    "melderegister": "connectors.melderegister:create",
    "kfz": "connectors.kfz:create",
    "payment": "connectors.payment:create",
    "dms": "connectors.dms:create",
    "fitconnect": "connectors.fitconnect_client:create",
}
log = logging.getLogger(__name__)


class ConnectorLoadError(ConfigurationError):
    """A connector factory could not be imported, built a wrong object or refused its settings
    (AMTSFLOW_CONNECTOR_*): an operator corrects it, the CLI says so in one line."""


def discover() -> dict[str, str]:
    """Connector name -> ``module:factory`` from the built-ins and the entry-point group."""
    found = dict(BUILTINS)
    for ep in entry_points(group=GROUP):
        if ep.name in found and found[ep.name] != ep.value:
            log.info("connector %s: entry point %s replaces %s", ep.name, ep.value, found[ep.name])
        found[ep.name] = ep.value
    return found


def _factory(target: str) -> Callable[[Mapping[str, str]], Any]:
    module, _, attr = target.partition(":")
    try:
        factory = getattr(import_module(module), attr or "create")
    except (ImportError, AttributeError) as exc:
        raise ConnectorLoadError(f"connector factory {target} cannot be imported: {exc}") from exc
    if not callable(factory):
        raise ConnectorLoadError(f"connector factory {target} is not callable")
    return factory  # type: ignore[no-any-return]


def load_connectors(config: Mapping[str, str] | None = None, *, names: Iterable[str] | None = None,
                    strict: bool = True) -> dict[str, Connector]:
    """Build every discovered connector (or only ``names``) from one configuration mapping.

    ``strict=False`` logs and skips a connector that fails to load instead of raising."""
    config = dict(config or {})
    wanted = set(names) if names is not None else None
    result: dict[str, Connector] = {}
    for name, target in sorted(discover().items()):
        if wanted is not None and name not in wanted:
            continue
        try:
            connector = _factory(target)(config)
            if getattr(connector, "name", None) != name or not callable(getattr(connector, "call", None)) \
                    or not callable(getattr(connector, "operations", None)):
                raise ConnectorLoadError(f"connector factory {target} must return a Connector named '{name}'")
        except ConnectorLoadError:
            if strict:
                raise
            log.exception("connector %s skipped", name)
            continue
        except Exception as exc:  # a factory refusing its configuration
            if strict:
                raise ConnectorLoadError(f"connector {name} ({target}) failed to start: {exc}") from exc
            log.exception("connector %s skipped", name)
            continue
        result[name] = connector
    return result


def close_connectors(connectors: Mapping[str, Connector]) -> None:
    """Release the connection pools of connectors that have any (none were built: nothing to do)."""
    if isinstance(connectors, LazyConnectors) and not connectors.loaded:
        return
    for connector in connectors.values():
        close = getattr(connector, "close", None)
        if callable(close):
            close()


class LazyConnectors(MutableMapping[str, Connector]):
    """The discovered connectors, built on first use.

    A command that never calls out (``amtsflow tasks``, ``case``) never imports a connector
    module (PDF layout, HTTP clients): the CLI starts fast. Any read or write loads them all
    once, under a lock; entries set afterwards (a test's fake) replace a discovered one.
    """

    def __init__(self, config: Mapping[str, str] | None = None) -> None:
        self._config = dict(config or {})
        self._items: dict[str, Connector] | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._items is not None

    def _all(self) -> dict[str, Connector]:
        items = self._items
        if items is None:
            with self._lock:
                if self._items is None:
                    self._items = load_connectors(self._config)
                items = self._items
        return items

    def __getitem__(self, name: str) -> Connector:
        return self._all()[name]

    def __setitem__(self, name: str, connector: Connector) -> None:
        self._all()[name] = connector

    def __delitem__(self, name: str) -> None:
        del self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
