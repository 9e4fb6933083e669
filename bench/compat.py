"""Camunda 7 and Flowable compatibility over three corpora: deploy, then run to the end.

    python bench/compat.py [--corpus NAME|PATH ...] [--jobs N] [--timeout S] [--steps N] [--table]
                           [--no-raw] [--raw-report PATH] [--tree] [--platform digiwf]

Corpora (../shared/corpus, resolved relative to this repository; each skipped with a message
when absent): ``camunda-bpm-examples``, ``camunda-engine-tests``, ``flowable-engine-tests``.
For every BPMN file:

1. **check** it with its folder's files (DMN, .form, JSON, called BPMN) exactly as
   ``amtsflow check`` does: "as is", then with the bench's own mapping for the corpus
   (``bench/mappings/<corpus>.json``, camunda-mapping.json entries; the corpus is never
   changed) plus every entry the check says would unblock it ("after mapping": each Java
   delegate or Camunda Connect connector mapped to the test operation ``bench.call``).
2. **deploy** a file that passes on a fresh SQLite engine (a copy of a migrated template)
   and **run** one case of each of its executable processes to completion: every user
   task (and start form) is completed with data generated from its JSON Schema; every
   connector operation is answered with ``{}``; the job executor runs until idle; the
   FakeClock jumps to the next job; a waiting message or signal is delivered.

3. **raw**: run the file with bare SpiffWorkflow 3.2.0 (``bench/compat_raw.py``: its
   ``CamundaParser``, none of our checks, the same generated data) and ask whether it completes.
   Per corpus the bench prints how many executable models raw SpiffWorkflow completes (R) and the
   engine completes (E), and the models raw completes and the engine does not, grouped by the
   engine's reason (``--raw-report PATH`` writes them one per line, tab-separated: file, deployed,
   "by design"/"open", reason group, full reason, why by design). ``bench/compat_raw.py``'s
   ``BY_DESIGN`` lists the models the engine does not complete on purpose, each with its reason.
   ``--no-raw`` skips this column.

``--tree`` (for real model collections such as a municipality's folder tree): before the runs,
every file that deploys is deployed into the template database, oldest first (modification time,
then path), so each run's
engine already holds the processes kept in other folders that its call activities name.

``--platform digiwf`` (for Munich's DigiWF models): the run also does what that platform does
around a model (bench/compat_digiwf.py): its start variables, its own JSON forms (found by key)
filled in at the start and at each user task, and the beans its JavaScript calls mapped to
``bench.call``. The raw column gets none of this.

What counts as an *executable model* (the denominator) is decided in
``bench/compat_corpus.py``: a process not marked ``isExecutable="false"``, and not a model
that the corpus's Java tests expect to be refused at deployment.

Each file runs in a worker process (``--jobs``, default 2) under a time limit
(``--timeout``, default 10 s). Prints per corpus how many executable models deploy (as is /
after mapping) and run to completion, and the blocker tally: deploy messages grouped without
their particulars, with the number of executable files each blocks. Exit code 0 when the
targets of issue 11 hold (camunda-bpm-examples: all deploy after mapping; camunda-engine-tests
>= 80 %; flowable-engine-tests >= 70 %), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))   # before this folder: bench/engine.py must not stand in for the engine package

from bench.compat_corpus import blocker_group, executable  # noqa: E402
from bench.compat_digiwf import DigiwfRun, script_beans  # noqa: E402
from bench.compat_raw import by_design, raw_file  # noqa: E402
from bench.compat_run import AnswerEverything, run_case  # noqa: E402
from engine.bootstrap import Engine, bootstrap  # noqa: E402
from engine.domain.errors import DeploymentError  # noqa: E402
from engine.persistence.db import make_engine  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.ports import FakeClock  # noqa: E402
from engine.runtime.parsing import SourceFile  # noqa: E402
from engine.services import compat  # noqa: E402
from engine.services.deploy import deploy  # noqa: E402
from engine.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared" / "corpus"
CORPORA = ("camunda-bpm-examples", "camunda-engine-tests", "flowable-engine-tests")
CORPUS = SHARED / "camunda-bpm-examples"
MAPPINGS = REPO / "bench" / "mappings"
TARGETS = {"camunda-bpm-examples": 1.0, "camunda-engine-tests": 0.8, "flowable-engine-tests": 0.7}
MAX_STEPS = 50
TIMEOUT_S = 10


@dataclass
class Row:
    file: str
    in_target: bool                 # no Java code, no Groovy/JavaScript scripts (issue 7's target)
    deployed: str                   # "yes", "with warnings" (unmapped Java code, engine.runtime.unmapped), "after mapping", "no"
    completed: str                  # "yes", "no", "-"
    reason: str = ""
    executable: bool = True
    blockers: list[str] = field(default_factory=list)
    seconds: float = 0.0
    raw: str = "-"                  # bare SpiffWorkflow completes it: "yes", "no", "-" (not run)
    raw_reason: str = ""


class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout()


def corpus_mapping(corpus: Path) -> dict[str, Any]:
    path = MAPPINGS / f"{corpus.name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def new_engine(template: Path, workdir: Path, clock: FakeClock) -> Engine:
    path = workdir / "bench.sqlite"
    shutil.copy(template, path)
    return bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=clock)


def run_file(bpmn: Path, template: Path, steps: int = MAX_STEPS, corpus: Path | None = None,
             timeout: int = TIMEOUT_S, platform: str | None = None) -> Row:
    corpus = corpus or CORPUS
    name = str(bpmn.relative_to(corpus)) if bpmn.is_relative_to(corpus) else str(bpmn)
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    row = Row(name, False, "no", "-")
    try:
        _run_file(row, bpmn, template, steps, corpus, platform)
    except _Timeout:  # the row keeps what was reached (checked, deployed)
        row.completed, row.reason = "no", f"did not finish within {timeout} s"
        row.blockers = row.blockers or [row.reason]
    except Exception as exc:  # noqa: BLE001 - a crash is a finding, not the end of the benchmark
        row.completed, row.reason = "no", f"crashed: {type(exc).__name__}: {exc}"
        row.blockers = row.blockers or [f"crash: {type(exc).__name__}"]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    row.executable = row.executable and executable(bpmn, corpus)[0]
    row.seconds = time.monotonic() - started
    return row


def _checked(bpmn: Path, corpus: Path, platform: str | None = None) -> tuple[Any, Any, list[SourceFile]]:
    """(check "as is", check with the corpus mapping, the files to deploy with every needed
    mapping entry added; with ``--platform digiwf`` also the beans its JavaScript calls)."""
    plain = compat.check_file(bpmn)
    mapping = corpus_mapping(corpus)
    report = compat.check_file(bpmn, base_mapping=mapping) if mapping else plain
    if report.status == compat.BLOCKED:
        return plain, report, []
    files = compat.with_base_mapping([SourceFile(str(p), p.read_bytes()) for p in compat.bundle_for(bpmn)], mapping)
    wanted = list(report.mapping_needed)
    if platform == "digiwf":
        wanted += [entry for entry in script_beans(files) if entry not in wanted]
    if wanted:
        needed: dict[str, dict[str, str]] = {}
        for section, key in wanted:
            needed.setdefault(section, {})[key] = "bench.call"
        files = compat.with_base_mapping(files, needed)
    return plain, report, files


def _run_file(row: Row, bpmn: Path, template: Path, steps: int, corpus: Path, platform: str | None = None) -> None:
    plain, report, files = _checked(bpmn, corpus, platform)
    row.in_target = plain.in_target
    if report.status == compat.BLOCKED:
        row.blockers = sorted({p.message for p in report.remaining})
        row.reason = "; ".join(f"{p.line}: {p.element_id}: {p.message}" for p in report.blockers[:3])
        return
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        engine = new_engine(template, Path(tmp), clock)
        try:
            try:
                result = deploy(engine, files, actor="bench")
            except DeploymentError as exc:
                row.blockers = sorted({p.message for p in exc.problems})
                row.reason = "; ".join(f"{p.line}: {p.element_id}: {p.message}" for p in exc.problems[:3])
                return
            row.deployed = ("yes" if plain.status == compat.RUNS else
                            "with warnings" if plain.deploys_now else "after mapping")
            for connector in ("camunda", "bench", "mail", "http"):  # answered in-process, nothing leaves
                engine.connectors[connector] = AnswerEverything(connector)
            keys = [p.key for p in result.processes if p.key in report.processes]
            around = DigiwfRun(corpus, bpmn) if platform == "digiwf" else None
            outcomes = [run_case(engine, clock, key, steps, around) for key in keys]
            failed = [f"{key}: {why}" for key, why in zip(keys, outcomes) if why]
            row.completed = "no" if failed or not keys else "yes"
            row.reason = "; ".join(failed) if keys else "no executable process in this file"
        finally:
            engine.db.dispose()


# --- a whole corpus ------------------------------------------------------------------------------

def make_template(tmp: str) -> Path:
    template = Path(tmp) / "template.sqlite"
    db = make_engine(f"sqlite:///{template}")
    upgrade(db)
    db.dispose()
    return template


def run_task(args: tuple[Any, ...]) -> Row:
    """(bpmn, template, steps, corpus, timeout[, raw[, platform]])."""
    # A pool replaces a worker after maxtasksperchild from its handler thread, and a process forked
    # from a thread has no tenant scope (contextvars are per thread): act for the default tenant here.
    from engine.tenancy import DEFAULT_TENANT, tenant_scope

    bpmn, template, steps, corpus, timeout, *rest = args
    raw = bool(rest and rest[0])
    platform = rest[1] if len(rest) > 1 else None
    with tenant_scope(DEFAULT_TENANT):
        row = run_file(bpmn, template, steps, corpus, timeout, platform)
    if raw and row.executable:
        outcome = raw_file(bpmn)
        row.raw, row.raw_reason = ("yes" if outcome.completed else "no"), outcome.reason
    return row


def deploy_tree(template: Path, corpus: Path, platform: str | None = None) -> int:
    """Deploy every file of ``corpus`` that deploys into the template database, oldest first
    (modification time, then path), as a platform holding the whole folder tree has them: a call activity then finds a called
    process kept in another folder. Returns how many files deployed."""
    from engine.tenancy import DEFAULT_TENANT, tenant_scope

    engine = bootstrap(Settings(database_url=f"sqlite:///{template}"), clock=FakeClock())
    deployed = 0
    try:
        with tenant_scope(DEFAULT_TENANT):
            # oldest first (modification time, then path): a collection rebuilt from a history keeps
            # each file's commit time, and the newest version of a process is then its latest
            for bpmn in sorted(compat.bpmn_files([corpus]), key=lambda p: (p.stat().st_mtime, str(p))):
                try:
                    _plain, report, files = _checked(bpmn, corpus, platform)
                    if report.status != compat.BLOCKED:
                        deploy(engine, files, actor="bench")
                        deployed += 1
                except Exception:  # noqa: BLE001 - a file that does not deploy is measured in its own run
                    continue
    finally:
        engine.db.dispose()
    return deployed


def run_corpus(corpus: Path = CORPUS, steps: int = MAX_STEPS, jobs: int = 1, timeout: int = TIMEOUT_S,
               raw: bool = False, tree: bool = False, platform: str | None = None) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        template = make_template(tmp)
        if tree:
            print(f"{corpus.name}: {deploy_tree(template, corpus, platform)} files deployed as the platform's tree first "
                  "(--tree)")
        tasks = [(p, template, steps, corpus, timeout, raw, platform) for p in compat.bpmn_files([corpus])]
        if jobs <= 1:
            return [run_task(t) for t in tasks]
        with multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=100) as pool:
            return list(pool.imap(run_task, tasks, chunksize=4))


def target_failures(rows: list[Row]) -> list[Row]:
    """Issue 7's target: every model without Java code or foreign scripts deploys and runs."""
    return [r for r in rows if r.in_target and (r.deployed != "yes" or r.completed != "yes")]


def tally(rows: list[Row]) -> list[tuple[str, int]]:
    """Blocker groups with the number of executable, undeployed files each blocks."""
    counts: Counter[str] = Counter()
    for r in rows:
        if r.executable and r.deployed == "no":
            counts.update({blocker_group(b) for b in r.blockers} or {"(no message)"})
    return counts.most_common()


def summary(name: str, rows: list[Row]) -> tuple[str, bool]:
    runnable = [r for r in rows if r.executable]
    n = len(runnable) or 1
    clean = sum(r.deployed == "yes" for r in runnable)
    as_is = clean + sum(r.deployed == "with warnings" for r in runnable)
    deployed = sum(r.deployed != "no" for r in runnable)
    completed = sum(r.completed == "yes" for r in runnable)
    timed_out = sum("did not finish within" in r.reason for r in runnable)
    share = deployed / n
    ok = share >= TARGETS.get(name, 0.0)
    line = (f"{name}: {len(rows)} BPMN files, {len(runnable)} executable; {as_is} deploy as they are "
            f"({clean} without unmapped Java code), "
            f"{deployed} ({share:.0%}) after mapping; {completed} ({completed / n:.0%}) run to completion"
            f"; {timed_out} hit the time limit [target {TARGETS.get(name, 0):.0%} deploy: {'met' if ok else 'NOT met'}]")
    return line, ok


_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def raw_not_engine(rows: list[Row]) -> list[Row]:
    """Executable models that bare SpiffWorkflow completes and the engine does not."""
    return [r for r in rows if r.executable and r.raw == "yes" and r.completed != "yes"]


def engine_reason_group(row: Row) -> str:
    """Why the engine does not complete a model, without particulars: its first deploy blocker,
    or how its run ended (the process key in front dropped)."""
    if row.deployed == "no":
        groups = sorted({blocker_group(b) for b in row.blockers})
        return f"deploy: {groups[0]}" if groups else "deploy: (no message)"
    first = _UUID.sub("…", row.reason.split("; ")[0])
    key, sep, why = first.partition(": ")
    return f"run: {blocker_group(why if sep else first)}"


def raw_summary(name: str, rows: list[Row], top: int) -> list[str]:
    runnable = [r for r in rows if r.executable]
    raw = sum(r.raw == "yes" for r in runnable)
    engine = sum(r.completed == "yes" for r in runnable)
    missing = raw_not_engine(rows)
    groups = Counter(engine_reason_group(r) for r in missing).most_common()
    designed = sum(bool(by_design(name, r.file)) for r in missing)
    lines = [f"  raw SpiffWorkflow completes {raw}; the engine completes {engine}; raw completes, engine does not: "
             f"{len(missing)}, of them {designed} by design (bench/compat_raw.py BY_DESIGN) and "
             f"{len(missing) - designed} open (engine completes, raw does not: "
             f"{sum(r.completed == 'yes' and r.raw != 'yes' for r in runnable)})"]
    lines += [f"  {count:5d}  {group}" for group, count in groups[:top]]
    return lines


def write_raw_report(path: Path, reports: list[tuple[str, list[Row]]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for name, rows in reports:
            for r in raw_not_engine(rows):
                design = by_design(name, r.file)
                out.write(f"{name}/{r.file}\t{r.deployed}\t{'by design' if design else 'open'}\t"
                          f"{engine_reason_group(r)}\t{r.reason}\t{design}\n")


def print_table(rows: list[Row]) -> None:
    width = max(len(r.file) for r in rows)
    print(f"{'file':<{width}}  exec  deployed       completed  raw  reason")
    for r in rows:
        print(f"{r.file:<{width}}  {'yes' if r.executable else 'no':<4}  {r.deployed:<13}  {r.completed:<9}  "
              f"{r.raw:<3}  {r.reason[:160]}")


def print_tally(rows: list[Row], top: int) -> None:
    groups = tally(rows)
    if groups:
        print(f"  blockers (files blocked; a file counts once per group), {len(groups)} groups:")
    for message, count in groups[:top]:
        print(f"  {count:5d}  {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", action="append", default=None, help="corpus name under ../shared/corpus or a path")
    parser.add_argument("--steps", type=int, default=MAX_STEPS)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--timeout", type=int, default=TIMEOUT_S, help="seconds per file")
    parser.add_argument("--top", type=int, default=20, help="blocker groups to print per corpus")
    parser.add_argument("--table", action="store_true", help="also print one line per file")
    parser.add_argument("--no-raw", dest="raw", action="store_false",
                        help="skip the bare SpiffWorkflow column (bench/compat_raw.py)")
    parser.add_argument("--tree", action="store_true",
                        help="deploy every file of the corpus first (a platform holding the whole folder tree), "
                             "then run each file: call activities find processes kept in other folders. For "
                             "real model collections, not for engine-test corpora whose files reuse process ids")
    parser.add_argument("--platform", choices=["digiwf"], default=None,
                        help="simulate the platform around a real model collection: 'digiwf' (Munich's DigiWF: "
                             "its start variables, its JSON forms found by key, its JavaScript beans; "
                             "bench/compat_digiwf.py)")
    parser.add_argument("--raw-report", type=Path, default=None,
                        help="write the models raw SpiffWorkflow completes and the engine does not, with the "
                             "engine's reason, to this file (tab-separated)")
    args = parser.parse_args(argv)
    all_ok = True
    reports: list[tuple[str, list[Row]]] = []
    for given in args.corpus or list(CORPORA):
        corpus = Path(given) if os.sep in given else SHARED / given
        if not corpus.is_dir():
            print(f"{corpus.name}: skipped, corpus not found at {corpus}")
            continue
        started = time.monotonic()
        rows = run_corpus(corpus, args.steps, args.jobs, args.timeout, args.raw, args.tree, args.platform)
        if args.table:
            print_table(rows)
        line, ok = summary(corpus.name, rows)
        all_ok = all_ok and ok
        print(f"{line} ({time.monotonic() - started:.0f} s)")
        if corpus.name == "camunda-bpm-examples":
            target = [r for r in rows if r.in_target]
            print(f"  without Java code or Groovy/JavaScript: {len(target) - len(target_failures(rows))} of "
                  f"{len(target)} deploy as they are and run")
        print_tally(rows, args.top)
        if args.raw:
            print("\n".join(raw_summary(corpus.name, rows, args.top)))
            reports.append((corpus.name, rows))
        sys.stdout.flush()
    if args.raw_report is not None and reports:
        write_raw_report(args.raw_report, reports)
    return 0 if all_ok else 1


if __name__ == "__main__":
    from engine.tenancy import DEFAULT_TENANT, enter

    enter(DEFAULT_TENANT)   # a bench acts for the default tenant (issue 17)
    import logging

    logging.disable(logging.CRITICAL)  # also SQLAlchemy's pool noise when a time limit strikes
    sys.exit(main())
