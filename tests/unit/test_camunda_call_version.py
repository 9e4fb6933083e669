"""Reading calledElementBinding="version" at deploy (engine/runtime/camunda_call.py): a fixed
version of a fixed called element is bundled at deploy; a version given as an expression, or
any version of a called element given as an expression, becomes a safe expression evaluated
when a case reaches the call; anything else is refused with the attribute named."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from engine.runtime.camunda_call import called_references, read_call

NS = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def _read(called: str, version: str) -> tuple[Any, list[str], Any]:
    root = etree.fromstring(
        f'<definitions {NS}><process id="p"><callActivity id="call" calledElement="{called}" '
        f'camunda:calledElementBinding="version" camunda:calledElementVersion="{version}"/></process></definitions>')
    problems: list[str] = []
    node = next(root.iter("{*}callActivity"))
    return read_call(node, lambda _node, message: problems.append(message)), problems, root


@pytest.mark.parametrize("called, version, expected, bundled", [
    ("gebuehr", "2", None, True),                       # bundled at deploy, as before
    ("gebuehr", "${v}", "v", False),                    # looked up at the call
    ("${welcher}", "2", "2", False),                    # the called element is looked up at the call: so is its version
])
def test_a_version_is_bundled_or_looked_up_at_the_call(called, version, expected, bundled) -> None:
    mapping, problems, root = _read(called, version)
    assert problems == [] and mapping.version == expected
    assert bool(called_references(root)) is bundled


@pytest.mark.parametrize("version, message", [
    ("zwei", "camunda:calledElementBinding 'version' needs a whole number or an expression in "
             "camunda:calledElementVersion"),
    ("", "needs a whole number or an expression"),
    ("${v +}", "camunda:calledElementVersion '${v +}'"),
])
def test_anything_else_is_refused(version, message) -> None:
    _mapping, problems, _root = _read("gebuehr", version)
    assert len(problems) == 1 and message in problems[0], problems
