"""Case state dumps/loads: SpiffWorkflow's registry path against the engine's (side by side).

    python bench/state_codec.py [--rounds N]

Drives one case of bench/engine.py's model (tests/models/antrag.bpmn) through the engine on a
temporary SQLite database and takes its stored state at each wait (after the start, after
the service job, at the end): the states the web + worker set-up writes (three dumps) and
reads (two loads) per case. Prints CPU microseconds per call (best of 5 rounds) of
``StateSerializer(fast=False)`` (every task through the library's registry) and of the
default ``StateSerializer()`` (engine.runtime.spiff_seam.tasks_to_dict/tasks_from_dict), and
checks that both write the same text.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from engine.jobs import JobExecutor  # noqa: E402
from engine.persistence import tables as t  # noqa: E402
from engine.runtime.serialization import StateSerializer  # noqa: E402
from engine.services import cases, queries  # noqa: E402
from engine.services.deploy import deploy, read_paths  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def cpu_us(call: Callable[[], Any], n: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


def main() -> None:
    from engine.tenancy import DEFAULT_TENANT, enter

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    enter(DEFAULT_TENANT)
    engine = bench.make(f"sqlite:///{tempfile.mkdtemp()}/state_codec.db")
    deploy(engine, read_paths([str(p) for p in bench.ANTRAG]))
    worker = JobExecutor(engine, "bench")
    states: list[str] = []

    def stored(case_id: str) -> None:
        with engine.db.connect() as conn:
            states.append(conn.execute(select(t.cases.c.state).where(t.cases.c.id == case_id)).scalar_one())

    case_id = cases.start_case(engine, "antrag", {"name": "P1", "anzahl": 2}, actor="bench")
    stored(case_id)
    worker.run_due()
    stored(case_id)
    [task] = queries.list_tasks(engine, case_id=case_id)
    cases.complete_task(engine, task["id"], {"entscheidung": "genehmigt"}, actor="bench")
    stored(case_id)
    with engine.db.connect() as conn:
        definition_id = conn.execute(select(t.cases.c.definition_id).where(t.cases.c.id == case_id)).scalar_one()
    parsed = engine.definitions.get(definition_id)
    library, fast = StateSerializer(fast=False), StateSerializer()
    print(f"{'state':>26} {'dumps library':>14} {'fast':>7} {'loads library':>14} {'fast':>7} {'json.loads':>11}  (CPU us)")
    for label, text in zip(["after start", "after service job", "completed"], states):
        wf = library.loads(text, parsed, engine.script_engine)
        assert library.dumps(wf) == fast.dumps(wf) == text
        figures = [cpu_us(lambda: library.dumps(wf), args.rounds), cpu_us(lambda: fast.dumps(wf), args.rounds),
                   cpu_us(lambda: library.loads(text, parsed, engine.script_engine), args.rounds),
                   cpu_us(lambda: fast.loads(text, parsed, engine.script_engine), args.rounds),
                   cpu_us(lambda: json.loads(text), args.rounds)]
        print(f"{label + f' ({len(text)} B)':>26} " + " ".join(f"{f:>{w}.1f}" for f, w in zip(figures, [14, 7, 14, 7, 11])))


if __name__ == "__main__":
    main()
