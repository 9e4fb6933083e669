"""engine.runtime.conditions.modelled: a case whose models have no conditional event skips the
per-command walks for waiting and offered conditions; every kind of conditional event counts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition

from engine.runtime import conditions


class Spec:   # a process spec as far as modelled() reads it (weakly referenced, like the parsed ones)
    def __init__(self, *definitions: Any) -> None:
        self.task_specs = {f"t{i}": SimpleNamespace(event_definition=d) for i, d in enumerate(definitions)}
        self.task_specs["plain"] = SimpleNamespace()   # a task without an event definition


def _wf(spec: Spec, **subprocess_specs: Spec) -> Any:
    return SimpleNamespace(spec=spec, subprocess_specs=subprocess_specs)


def test_a_model_without_conditional_events_has_nothing_to_track() -> None:
    wf = _wf(Spec(MessageEventDefinition("m"), None), sub=Spec(MessageEventDefinition("n")))
    assert not conditions.modelled(wf)
    assert conditions.before(wf, lambda _wf: {"x": 1}) is None


def test_a_conditional_event_in_the_process_counts() -> None:
    assert conditions.modelled(_wf(Spec(ConditionalEventDefinition("x > 1"))))


def test_a_conditional_event_in_a_sub_process_or_called_process_counts() -> None:
    assert conditions.modelled(_wf(Spec(None), called=Spec(ConditionalEventDefinition("x > 1"))))


def test_a_conditional_definition_of_a_multiple_event_counts() -> None:
    multiple = MultipleEventDefinition([MessageEventDefinition("m"), ConditionalEventDefinition("x > 1")])
    assert conditions.modelled(_wf(Spec(multiple)))
    assert not conditions.modelled(_wf(Spec(MultipleEventDefinition([MessageEventDefinition("m")]))))
