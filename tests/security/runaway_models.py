"""BPMN models that ran away before issue 12 (part 3), built as text so each test shows its model."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
         'id="Defs_{key}" targetNamespace="http://amtsflow.de/test">\n')


def _process(key: str, body: str, extra: str = "") -> str:
    return (_HEAD.format(key=key) + f'  <bpmn:process id="{key}" isExecutable="true">\n{body}\n  </bpmn:process>\n'
            + extra + "</bpmn:definitions>\n")


def _flow(fid: str, source: str, target: str, condition: str | None = None) -> str:
    cond = f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>" if condition else ""
    return f'    <bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{cond}</bpmn:sequenceFlow>'


def between(key: str, middle: str) -> str:
    """start -> <middle element with id 'x'> -> user task 'after' -> end."""
    return _process(key, "\n".join([
        '    <bpmn:startEvent id="start"/>', middle,
        '    <bpmn:userTask id="after" name="Danach"/>', '    <bpmn:endEvent id="end"/>',
        _flow("f1", "start", "x"), _flow("f2", "x", "after"), _flow("f3", "after", "end")]))


def cardinality(key: str = "viele", value: str = "1000000000", sequential: bool = False) -> str:
    flag = ' isSequential="true"' if sequential else ""
    return between(key, f'    <bpmn:task id="x"><bpmn:multiInstanceLoopCharacteristics{flag}>'
                        f'<bpmn:loopCardinality>{escape(value)}</bpmn:loopCardinality>'
                        '</bpmn:multiInstanceLoopCharacteristics></bpmn:task>')


def script(key: str, source: str) -> str:
    return between(key, f'    <bpmn:scriptTask id="x"><bpmn:script>{escape(source)}</bpmn:script></bpmn:scriptTask>')


def timer(key: str = "ewig", kind: str = "timeDuration", value: str = '"P999999999Y"') -> str:
    return between(key, '    <bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition>'
                        f'<bpmn:{kind}>{escape(value)}</bpmn:{kind}></bpmn:timerEventDefinition>'
                        '</bpmn:intermediateCatchEvent>')


def self_call(key: str = "selbst") -> str:
    return between(key, f'    <bpmn:callActivity id="x" calledElement="{key}"/>')


def fork_loop(key: str = "gabel") -> str:
    """A parallel fork whose second branch leads straight back to it: every pass adds a user task."""
    return _process(key, "\n".join([
        '    <bpmn:startEvent id="start"/>', '    <bpmn:exclusiveGateway id="merge"/>',
        '    <bpmn:parallelGateway id="fork"/>', '    <bpmn:userTask id="after" name="Danach"/>',
        '    <bpmn:endEvent id="end"/>', _flow("f1", "start", "merge"), _flow("f2", "merge", "fork"),
        _flow("f3", "fork", "after"), _flow("back", "fork", "merge"), _flow("f4", "after", "end")]))


def fork_loop_after_task(key: str = "spaet") -> str:
    """The self-feeding fork behind a user task: it runs away when a clerk completes that task."""
    return _process(key, "\n".join([
        '    <bpmn:startEvent id="start"/>', '    <bpmn:userTask id="vorher" name="Vorher"/>',
        '    <bpmn:exclusiveGateway id="merge"/>', '    <bpmn:parallelGateway id="fork"/>',
        '    <bpmn:userTask id="after" name="Danach"/>', '    <bpmn:endEvent id="end"/>',
        _flow("f0", "start", "vorher"), _flow("f1", "vorher", "merge"), _flow("f2", "merge", "fork"),
        _flow("f3", "fork", "after"), _flow("back", "fork", "merge"), _flow("f4", "after", "end")]))


def fork_loop_after_timer(key: str = "nachts") -> str:
    """The self-feeding fork behind a one-hour timer: it runs away in the worker's timer job."""
    return _process(key, "\n".join([
        '    <bpmn:startEvent id="start"/>', '    <bpmn:intermediateCatchEvent id="warten"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>',
        '    <bpmn:exclusiveGateway id="merge"/>', '    <bpmn:parallelGateway id="fork"/>',
        '    <bpmn:userTask id="after" name="Danach"/>', '    <bpmn:endEvent id="end"/>',
        _flow("f0", "start", "warten"), _flow("f1", "warten", "merge"), _flow("f2", "merge", "fork"),
        _flow("f3", "fork", "after"), _flow("back", "fork", "merge"), _flow("f4", "after", "end")]))


def linear(key: str = "lang", tasks: int = 10_000) -> str:
    parts = ['    <bpmn:startEvent id="start"/>']
    previous = "start"
    for i in range(tasks):
        parts.append(f'    <bpmn:task id="t{i}"/>')
        parts.append(_flow(f"f{i}", previous, f"t{i}"))
        previous = f"t{i}"
    parts += ['    <bpmn:endEvent id="end"/>', _flow("fend", previous, "end")]
    return _process(key, "\n".join(parts))


def waiting(key: str = "normal") -> str:
    """The well-behaved neighbour: one user task."""
    return _process(key, "\n".join([
        '    <bpmn:startEvent id="start"/>', '    <bpmn:userTask id="pruefen" name="Prüfen"/>',
        '    <bpmn:endEvent id="end"/>', _flow("f1", "start", "pruefen"), _flow("f2", "pruefen", "end")]))


def counting_loop(key: str = "zaehlen") -> str:
    """A script loop that ends after ``limit`` passes (start data), then waits at a user task."""
    return _process(key, "\n".join([
        '    <bpmn:startEvent id="start"/>', '    <bpmn:exclusiveGateway id="merge"/>',
        '    <bpmn:scriptTask id="count"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>',
        '    <bpmn:exclusiveGateway id="again" default="out"/>', '    <bpmn:userTask id="after" name="Danach"/>',
        '    <bpmn:endEvent id="end"/>', _flow("f1", "start", "merge"), _flow("f2", "merge", "count"),
        _flow("f3", "count", "again"), _flow("back", "again", "merge", "n < limit"), _flow("out", "again", "after"),
        _flow("f4", "after", "end")]))


def after_task(key: str, source: str, lane: str | None = None) -> str:
    """start -> user task 'vorher' -> script 'x' -> user task 'after' -> end: the script runs on completion."""
    lanes = (f'    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="{lane}"><bpmn:flowNodeRef>vorher</bpmn:flowNodeRef>'
             '<bpmn:flowNodeRef>after</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>') if lane else ""
    return _process(key, "\n".join([lanes,
        '    <bpmn:startEvent id="start"/>', '    <bpmn:userTask id="vorher" name="Vorher"/>',
        f'    <bpmn:scriptTask id="x"><bpmn:script>{escape(source)}</bpmn:script></bpmn:scriptTask>',
        '    <bpmn:userTask id="after" name="Danach"/>', '    <bpmn:endEvent id="end"/>',
        _flow("f1", "start", "vorher"), _flow("f2", "vorher", "x"), _flow("f3", "x", "after"),
        _flow("f4", "after", "end")]))


def deploy_text(engine: Any, key: str, bpmn: str) -> Any:
    from engine.runtime.parsing import SourceFile
    from engine.services.deploy import deploy

    return deploy(engine, [SourceFile(f"{key}.bpmn", bpmn.encode())], actor="test")
