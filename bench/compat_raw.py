"""bench/compat.py's raw column: does bare SpiffWorkflow 3.2.0, with none of our checks, complete a model?

A Camunda 7 or Flowable file is parsed with SpiffWorkflow's ``CamundaParser`` together with the
BPMN and DMN files of its bundle (the files ``amtsflow check`` would deploy with it:
:func:`engine.services.compat.bundle_for`), as ``tests/corpus_runner.py`` does for the
SpiffWorkflow corpus; a file in the spiff dialect with ``SpiffBpmnParser``. Each executable
process (``isExecutable`` not ``"false"``) is run the way ``bench/compat_run.py`` drives a case
through the engine, with the same generated data:

* start data: every name that a Python-readable gateway condition reads, set to True;
* each ready user or manual task: its ``camunda:formData`` fields (a value of the field's
  type) plus those condition names, then run;
* a process waiting for a message or a signal receives it (empty payload);
* nothing else: a timer is not advanced (bare SpiffWorkflow evaluates ``PT1H`` as Python
  and fails on it anyway), and a service task stays where SpiffWorkflow's default service task
  leaves it (started, waiting for the embedding program), so a model with one never completes
  raw. What raw SpiffWorkflow does complete it often runs wrongly: it ignores
  ``camunda:inputOutput``, ``camunda:in``/``out``, listeners, name expressions and Flowable
  extensions, which is why "raw completes" is not "raw is right" (:data:`BY_DESIGN`).

A file counts as *raw completes* when every executable process in it completes.
"""

from __future__ import annotations

import ast
import signal
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_ROUNDS = 100
RAW_TIMEOUT_S = 5


@dataclass
class RawOutcome:
    completed: bool
    reason: str = ""


class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout()


def executable_processes(bpmn: Path) -> list[str]:
    try:
        root = etree.parse(str(bpmn), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError:
        return []
    return [p.get("id", "") for p in root.iter(f"{{{BPMN_NS}}}process")
            if p.get("isExecutable", "true") != "false" and p.get("id")]


def raw_file(bpmn: Path, timeout: int = RAW_TIMEOUT_S) -> RawOutcome:
    """Raw SpiffWorkflow on every executable process of ``bpmn``, bounded in time."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        processes = executable_processes(bpmn)
        if not processes:
            return RawOutcome(False, "no executable process")
        for process_id in processes:
            why = _run(bpmn, process_id)
            if why:
                return RawOutcome(False, f"{process_id}: {why}")
        return RawOutcome(True)
    except _Timeout:
        return RawOutcome(False, f"did not finish within {timeout} s")
    except Exception as exc:  # noqa: BLE001 - we only ask whether raw SpiffWorkflow completes
        return RawOutcome(False, f"{type(exc).__name__}: {exc}"[:300])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _parser(bpmn: Path) -> Any:
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from engine.runtime.parsing import BPMN_SUFFIXES, detect_dialect
    from engine.services.compat import bundle_for

    spiff = detect_dialect(bpmn.read_bytes()) == "spiff" and b"spiffworkflow" in bpmn.read_bytes()
    parser = SpiffBpmnParser() if spiff else CamundaParser()
    for f in bundle_for(bpmn):
        if f.suffix.lower() == ".dmn":
            parser.add_dmn_file(str(f))
    for f in bundle_for(bpmn):
        if f.name.lower().endswith(BPMN_SUFFIXES):
            parser.add_bpmn_file(str(f))
    return parser


def _run(bpmn: Path, process_id: str) -> str:
    """'' when bare SpiffWorkflow completes the process, else why not."""
    from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    try:
        parser = _parser(bpmn)
        wf = BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id))
    except _Timeout:
        raise
    except Exception as exc:  # noqa: BLE001
        return f"parse: {type(exc).__name__}: {exc}"[:300]
    names = _condition_names(wf)
    try:
        start = wf.get_tasks(state=TaskState.READY)
        for task in start:
            task.data.update(names)
        for _ in range(MAX_ROUNDS):
            wf.do_engine_steps()
            if wf.completed:
                return ""
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if ready:
                for task in ready:
                    task.data.update(_form_data(task.task_spec))
                    task.data.update({k: v for k, v in names.items() if k not in task.data})
                    task.run()
                continue
            waiting = [t for t in wf.get_tasks(state=TaskState.WAITING)
                       if type(getattr(t.task_spec, "event_definition", None)).__name__
                       in ("MessageEventDefinition", "SignalEventDefinition")]
            if not waiting:
                return "waits for something other than a user task, a message or a signal"
            definition = waiting[0].task_spec.event_definition
            payload: Any = {"payload": {}, "result_var": None} if "camunda" in type(definition).__module__ else {}
            wf.catch(BpmnEvent(definition, payload))
            wf.refresh_waiting_tasks()
        return "too many rounds"
    except _Timeout:
        raise
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"[:300]


def condition_names(specs: list[Any]) -> set[str]:
    """The variable names the sequence-flow conditions of ``specs`` read (not True/False/None)."""
    names: set[str] = set()
    for spec in specs:
        for task_spec in spec.task_specs.values():
            for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
                source = condition if isinstance(condition, str) else (getattr(condition, "args", None) or [None])[0]
                if isinstance(source, str):
                    try:
                        tree = ast.parse(source, mode="eval")
                    except SyntaxError:
                        continue
                    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return names - {"True", "False", "None"}


def _condition_names(wf: Any) -> dict[str, Any]:
    return {n: True for n in sorted(condition_names([wf.spec, *wf.subprocess_specs.values()]))}


def _form_data(task_spec: Any) -> dict[str, Any]:
    form = getattr(task_spec, "form", None)
    data: dict[str, Any] = {}
    for field in getattr(form, "fields", None) or []:
        kind = getattr(field, "type", "string")
        if kind == "boolean":
            data[field.id] = True
        elif kind == "long":
            data[field.id] = 1
        elif kind == "enum" and getattr(field, "options", None):
            data[field.id] = field.options[0].id
        elif kind == "date":
            data[field.id] = date.today().isoformat()
        else:
            data[field.id] = "Beispiel"
    return data


# --- models raw SpiffWorkflow completes and the engine does not, by design ----------------------

_GROOVY_INPUT = ("a camunda:inputOutput parameter's value is a Groovy script: Groovy is refused on purpose (no "
                 "sandbox for it; JavaScript and the Python subset run); bare SpiffWorkflow ignores "
                 "camunda:inputOutput altogether, so it 'completes' without ever computing the value")
_TEST_VARIABLE = ("reads a variable that the Java test passes when it starts the process; Camunda/Flowable fail "
                  "the same way without it (unknown property); bare SpiffWorkflow completes only because its "
                  "CamundaParser ignores the expression (camunda:inputOutput, camunda:in/out, listeners, "
                  "resultVariable, name expressions) that reads it")
_UNCAUGHT_ERROR = ("an error end event meant to be caught by a caller (or an error test), run alone: an uncaught "
                   "BPMN error fails the case with an incident (Camunda 7 with "
                   "enableExceptionsAfterUnhandledBpmnError=true; its default only logs and ends the path, Flowable "
                   "throws); bare SpiffWorkflow ends it silently as if completed")
_C = "resources/org/camunda/bpm/engine/test/bpmn/"
_F = "resources/org/flowable/engine/test/bpmn/"

# corpus -> path -> why the engine does not complete a model that bare SpiffWorkflow completes
BY_DESIGN: dict[str, dict[str, str]] = {
    "camunda-engine-tests": {
        **{f"{_C}iomapping/InputOutputTest.{name}.bpmn": _GROOVY_INPUT for name in (
            "testInputExternalClasspathScriptValue", "testInputExternalClasspathScriptValueAsBean",
            "testInputExternalClasspathScriptValueAsVariable", "testInputExternalDeploymentScriptValue",
            "testInputExternalDeploymentScriptValueAsBean", "testInputExternalDeploymentScriptValueAsVariable",
            "testInputExternalScriptValue", "testInputExternalScriptValueAsBean",
            "testInputExternalScriptValueAsVariable", "testInputListMixedValues", "testInputNestedListValues",
            "testInputScriptValue", "testInputScriptValueAsBean", "testInputScriptValueAsVariable")},
        **{_C + path: _TEST_VARIABLE for path in (
            "callactivity/CallActivity.testSubProcessDataInputOutput.bpmn20.xml",
            "callactivity/CallActivity.testSubProcessDataInputOutputAsExpression.bpmn20.xml",
            "callactivity/CallActivity.testSubProcessLocalInputSingleVariableExpression.bpmn20.xml",
            "callactivity/CallActivity.testSubProcessLocalOutputAllVariables.bpmn20.xml",
            "callactivity/CallActivity.testSubProcessLocalOutputSingleVariable.bpmn20.xml",
            "el/ExpressionManagerTest.testSetVariableByExpressionFromListener.bpmn20.xml",
            "event/message/MessageIntermediateEventTest.testExpressionInSingleIntermediateMessageEvent.bpmn20.xml",
            "event/signal/SignalEventExpressionNameTest.testSignalCatchIntermediate.bpmn20.xml",
            "event/error/ErrorEndEventTest.testErrorMessageExpression.bpmn20.xml",
            "iomapping/InputOutputEventTest.testMessageCatchEvent.bpmn20.xml",
            "iomapping/InputOutputTest.testInputMapElKey.bpmn",
            "iomapping/InputOutputTest.testInputMapElMixedKey.bpmn",
            "iomapping/InputOutputTest.testInputNested.bpmn",
            "iomapping/InputOutputTest.testSubprocessIoSupport.bpmn20.xml",
            "scripttask/ScriptTaskTest.testSetScriptResultToProcessVariable.bpmn20.xml",
            "tasklistener/TaskListenerTest.testRecalculateTimeoutTaskListenerDuedateCreationDateBased.bpmn20.xml")},
        **{_C + path: _UNCAUGHT_ERROR for path in (
            "callactivity/subProcessCallErrorSubProcess.bpmn",
            "callactivity/subProcessCallErrorSubProcessWithLimitedOutMapping.bpmn",
            "callactivity/subProcessWithError.bpmn",
            "event/error/ThrowErrorProcess.bpmn",
            "event/error/ThrowErrorToCallActivity.bpmn20.xml")},
        _C + "StartToEndTest.testStartToEnd.bpmn20.xml":
            "its folder holds CamundaFormDefinitionStrictParseTest.anyForm.form, which is not a form (\"any "
            "content\"); a deployment of the folder is refused, as Camunda's strict form parsing refuses it "
            "(CamundaFormDefinitionStrictParseTest)",
        _C + "iomapping/InputOutputTest.testNonInterruptingEventSubprocessIoSupport.bpmn":
            "camunda:inputOutput on an event sub-process: Camunda refuses the model with this very message",
    },
    "flowable-engine-tests": {
        **{_F + path: _TEST_VARIABLE for path in (
            "callactivity/CallActivity.testSubProcessDataInputOutput.bpmn20.xml",
            "event/message/MessageExpressionTest.testMessageEventsWithExpression.bpmn20.xml",
            "event/message/MessageExpressionTest.testMessageEventSubprocess.bpmn20.xml",
            "event/message/MessageIntermediateEventTest.testSingleIntermediateMessageExpressionEvent.bpmn20.xml",
            "callactivity/CallActivity.testIdVariableNameExpression.bpmn20.xml")},   # idVariableName="myVariable-${counter}"
        _F + "event/error/BoundaryErrorEventTest.testThrowErrorWithoutErrorCode.bpmn20.xml": _UNCAUGHT_ERROR,
        _F + "usertask/TaskDueDateExtensionsTest.testRelativeDueDateStringWithCalendarNameExtension.bpmn20.xml":
            "flowable:businessCalendarName names a custom business calendar, which is Java code",
        _F + "deployment/BpmnDeploymentTest.processWithLongId.bpmn20.xml":
            "Flowable's own test expects this deployment to fail (process id of 300 characters, "
            "testViolateProcessDefinitionIdMaximumLength; the resource name there lacks the file's prefix); "
            "a case of it cannot start here (keys are at most 200 characters)",
        _F + "multiinstance/MultiInstanceTest.testMultiInstanceParallelReceiveTask.bpmn20.xml":
            "four parallel receive-task instances wait for one message in one case: a message by name and key "
            "that matches several waits is refused as ambiguous (Camunda's correlate() refuses it too); the "
            "Java test triggers each execution by its id",
    },
    "spiffworkflow-tests": {
        **{f"bpmn/data/Test-Workflows/{name}.bpmn20.xml": (
            "a message event without a message (no messageRef): nothing could ever be correlated to it, and it is "
            "refused at deploy as Camunda 7 refuses it ('Cannot have a message event subscription with an empty or "
            "missing name'); bare SpiffWorkflow completes these only along the paths that never wait for it")
           for name in ("Message-Interrupts", "Message-Interrupts-SP", "Message-Non-Interrupt",
                        "Message-Non-Interrupt-SP", "Messages")},
        "bpmn/data/ScriptTest.bpmn": "defines a function in a script task: def is refused by the safe evaluator",
        "bpmn/data/random_fact.bpmn": "defines functions and calls a function its Python test injects into the "
                                      "script engine",
        "bpmn/data/timer-cycle.bpmn": "calls custom_function, which its Python test injects into the script engine",
        "spiff/data/script_task_with_unit_tests.bpmn": "calls locals(), refused by the safe evaluator",
        "spiff/data/spiff_properties.bpmn": "names a form schema file the corpus does not hold (forms are validated "
                                            "at deploy time)",
        "bpmn/data/start_event_split.bpmn": "its only start events are message start events: a case of it starts "
                                            "when one of its messages arrives (as in Camunda 7), not by a plain start",
    },
}


def by_design(corpus: str, relative: str) -> str:
    """Why the engine does not complete this model by design ('' when it is not listed)."""
    return BY_DESIGN.get(corpus, {}).get(relative, "")
