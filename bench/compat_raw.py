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
  and fails on it anyway), a service task does whatever SpiffWorkflow's default does
  (nothing: a Java delegate is skipped, which is why "raw completes" is not "raw is right").

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


def _condition_names(wf: Any) -> dict[str, Any]:
    names: set[str] = set()
    specs = [wf.spec, *wf.subprocess_specs.values()]
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
    return {n: True for n in sorted(names) if n not in ("True", "False", "None")}


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
