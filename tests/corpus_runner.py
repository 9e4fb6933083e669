"""Run third-party models raw (SpiffWorkflow alone) and through the engine, side by side.

Used by the corpus test and bench scripts; reads ../shared/corpus, never copies it.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MAX_ROUNDS = 100


@dataclass
class RawResult:
    file: Path
    process_id: str
    completed: bool
    reason: str = ""


def bundle_files(bpmn: Path) -> list[Path]:
    """The BPMN file with the DMN and JSON files of its folder (what a deployment would carry)."""
    extra = [p for p in bpmn.parent.rglob("*") if p.suffix in (".dmn", ".json") and p.is_file()]
    return [bpmn, *sorted(extra)]


def executable_processes(bpmn: Path) -> list[str]:
    try:
        root = etree.parse(str(bpmn)).getroot()
    except etree.XMLSyntaxError:
        return []
    ns = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    return [p.get("id") for p in root.iter(f"{ns}process") if p.get("isExecutable", "true") == "true" and p.get("id")]


class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout()


def run_raw(bpmn: Path, process_id: str, seconds: int = 5) -> RawResult:
    """Raw SpiffWorkflow, bounded in time (some test models recurse without end)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        return _run_raw(bpmn, process_id)
    except _Timeout:
        return RawResult(bpmn, process_id, False, f"did not finish within {seconds} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _run_raw(bpmn: Path, process_id: str) -> RawResult:
    from engine.runtime.parsing import detect_dialect

    camunda = detect_dialect(bpmn.read_bytes()) == "camunda"
    parser = CamundaParser() if camunda else SpiffBpmnParser()
    try:
        for f in bundle_files(bpmn):
            if f.suffix == ".dmn":
                parser.add_dmn_file(str(f))
        parser.add_bpmn_file(str(bpmn))
        wf = BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id))
        for _ in range(MAX_ROUNDS):
            wf.do_engine_steps()
            if wf.completed:
                return RawResult(bpmn, process_id, True)
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                return RawResult(bpmn, process_id, False, "waits for something other than a user task")
            for task in ready:
                task.run()
        return RawResult(bpmn, process_id, False, "too many rounds")
    except _Timeout:
        raise
    except Exception as exc:  # noqa: BLE001 - we only ask whether raw SpiffWorkflow completes
        return RawResult(bpmn, process_id, False, f"{type(exc).__name__}: {exc}")


def raw_completing(root: Path) -> list[RawResult]:
    results = []
    for bpmn in sorted(root.rglob("*.bpmn")):
        for pid in executable_processes(bpmn):
            result = run_raw(bpmn, pid)
            if result.completed:
                results.append(result)
    return results


def run_engine(engine: Any, bpmn: Path, process_id: str) -> str:
    """Deploy and run through the engine, a save/restore between every command; '' = completed."""
    from engine.domain.errors import AmtsflowError
    from engine.jobs import JobExecutor
    from engine.runtime.parsing import SourceFile
    from engine.services import cases, queries
    from engine.services.deploy import deploy

    files = [SourceFile(f.name, f.read_bytes()) for f in bundle_files(bpmn)]
    try:
        result = deploy(engine, files)
        version = next(p.version for p in result.processes if p.key == process_id)
        case_id = cases.start_case(engine, process_id, {}, version=version)
        for _ in range(MAX_ROUNDS):
            view = queries.get_case(engine, case_id, with_history=False)
            if view["status"] == "completed":
                return ""
            if view["status"] == "failed":
                return f"failed: {view['error'] or view['incidents']}"
            if view["open_tasks"]:  # one at a time: completing one may cancel another
                cases.complete_task(engine, view["open_tasks"][0]["id"], {}, actor="corpus")
            elif JobExecutor(engine).run_until_idle() == 0:
                return f"stuck in status {view['status']}"
        return "too many rounds"
    except AmtsflowError as exc:
        return f"{type(exc).__name__}: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - report every model, not only the first crash
        return f"crash {type(exc).__name__}: {exc}"
