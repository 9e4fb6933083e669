"""The name under which each instance of a multi-instance activity sees its index.

Camunda 7 and Flowable call it ``loopCounter``; Flowable's ``elementIndexVariable`` on the loop
characteristics (``<multiInstanceLoopCharacteristics flowable:elementIndexVariable="i">``) renames
it: the instance then sees ``i`` (0, 1, ...) and no ``loopCounter``, as Flowable's
MultiInstanceActivityBehavior sets only the variable of that name. It is local to the
instance like ``loopCounter`` (never written to the loop's scope).

The Flowable normaliser (:mod:`engine.runtime.flowable`) keeps the name in the attribute
:data:`INDEX_ATTRIBUTE` of the loop characteristics; the parser puts it onto the multi-instance
task spec (:func:`attach`); whoever reads an instance's index or its local names asks
:func:`name_of` / :func:`loop_locals`.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.runtime.namespaces import tag

__all__ = ["COUNTERS", "INDEX_ATTRIBUTE", "LOOP_COUNTER", "attach", "definitions", "loop_locals", "name_of"]

INDEX_ATTRIBUTE = "{urn:amtsflow:flowable}elementIndexVariable"
LOOP_COUNTER = "loopCounter"
COUNTERS = ("nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances")
_SPEC_ATTRIBUTE = "index_variable"


def name_of(loop_spec: Any) -> str:
    """The index variable's name of the multi-instance task spec ``loop_spec``."""
    return getattr(loop_spec, _SPEC_ATTRIBUTE, None) or LOOP_COUNTER


def loop_locals(loop_spec: Any) -> set[str]:
    """The names every instance of ``loop_spec`` holds for itself: its index and the counters."""
    return {name_of(loop_spec), *COUNTERS}


def definitions(root: etree._Element) -> dict[str, str]:
    """Activity id -> its index variable's name, for the activities that rename it."""
    found: dict[str, str] = {}
    for loop in root.iter(tag("multiInstanceLoopCharacteristics")):
        activity = loop.getparent()
        name = loop.get(INDEX_ATTRIBUTE)
        if name and activity is not None and activity.get("id"):
            found[activity.get("id", "")] = name
    return found


def attach(task_spec: Any, name: str) -> None:
    """Specs are re-parsed from the stored deployment: the name never enters a case's state."""
    setattr(task_spec, _SPEC_ATTRIBUTE, name)
