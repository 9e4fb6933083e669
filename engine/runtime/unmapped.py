"""Java code a Camunda model names but camunda-mapping.json does not map yet.

Camunda 7 deploys a model whose Java delegates, Spring beans and listener classes do not
exist, and fails when a case reaches one (it resolves them at run time). amtsflow deploys
such a model too, so that a process owner can upload the models they have and map their Java
code one piece at a time, but it says so at deploy time: each unmapped delegate, Camunda
Connect connector, bean method or Java listener is a deploy warning that names the element
and the camunda-mapping.json entry to add (:mod:`engine.services.deploy_unmapped`).

Until it is mapped, the piece runs as an operation of the reserved connector
:data:`CONNECTOR` (``unmapped.<section>.<name>``), which no installation provides:

* a service task (or a throw event, a business rule task run as one) fails its job at once,
  without retries: the case stops there with an incident and never goes past it;
* a bean call inside an expression fails its step: the case stops with an incident there;
* a Java listener runs as the job of a mapped listener would (after the commit; the case
  does not wait for a listener's call), and that job fails at once with an incident.

Each incident names what is missing and the camunda-mapping.json entry to add. A new version
with the mapping, and moving the case to it, repairs the case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["CONNECTOR", "KnownOperations", "entry_of", "message", "operation_for"]

CONNECTOR = "unmapped"
_KEPT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.")
_HEX = re.compile(r"-([0-9a-f]{4})")
_WHAT = {"delegates": "Java delegate", "connectors": "Camunda Connect connector", "beans": "bean method"}


def operation_for(section: str, name: str) -> str:
    """The placeholder operation of camunda-mapping.json entry ``name`` in ``section``; the name
    is kept reversibly (:func:`entry_of`): a character an operation name cannot hold becomes
    ``-`` and four hex digits."""
    encoded = "".join(ch if ch in _KEPT else f"-{ord(ch):04x}" for ch in name[:200])
    return f"{CONNECTOR}.{section}.{encoded or '-0020'}"


def entry_of(operation: str) -> tuple[str, str] | None:
    """(section, name) of a placeholder operation, or None for any other operation."""
    connector, _, rest = operation.partition(".")
    if connector != CONNECTOR:
        return None
    section, _, encoded = rest.partition(".")
    return section, _HEX.sub(lambda m: chr(int(m.group(1), 16)), encoded)


def message(operation: str, element_id: str | None = None) -> str:
    """For operators: what is missing and how to repair the case."""
    section, name = entry_of(operation) or ("delegates", operation)
    where = f"{element_id}: " if element_id else ""
    return (f"{where}the {_WHAT.get(section, section)} '{name}' is mapped to no connector operation: add "
            f"{{\"{section}\": {{\"{name}\": \"connector.operation\"}}}} to camunda-mapping.json, deploy the new "
            "version and move the case to it (case migration); the Java code did not run")


class KnownOperations(set[str]):
    """The installed connector operations; a placeholder operation counts as known (it is
    deployed with a warning and fails with an incident when reached)."""

    def __init__(self, operations: Iterable[str] = ()) -> None:
        super().__init__(operations)

    def __contains__(self, operation: object) -> bool:
        return super().__contains__(operation) or (isinstance(operation, str) and entry_of(operation) is not None)
