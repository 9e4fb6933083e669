"""Issue 12 part 7: a model with two elements of the same id is refused at deploy time with
FILE:LINE: id: message (SpiffWorkflow would silently keep one of them)."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.conftest import model

WAIT = model("wait.bpmn").read_text()


@pytest.mark.parametrize("old, new", [
    ('<bpmn:endEvent id="end">', '<bpmn:endEvent id="frist">'),                  # two flow nodes
    ('<bpmn:sequenceFlow id="f2"', '<bpmn:sequenceFlow id="f1"'),               # two sequence flows
    ('<bpmn:endEvent id="end">', '<bpmn:endEvent id="wait">'),                   # a node named like its process
])
def test_duplicate_element_ids_are_refused_with_file_and_line(engine, old, new):
    source = WAIT.replace(old, new).replace('targetRef="end"', f'targetRef="{new.split(chr(34))[1]}"')
    with pytest.raises(DeploymentError) as info:
        deploy(engine, [SourceFile("doppelt.bpmn", source.encode())], actor="test")
    duplicate = new.split('"')[1]
    line = WAIT[:WAIT.index(old)].count("\n") + 1          # the repetition is reported, naming the first
    [problem] = [str(p) for p in info.value.problems]
    assert problem.startswith(f"doppelt.bpmn:{line}: {duplicate}: duplicate id '{duplicate}' (first used on line ")
