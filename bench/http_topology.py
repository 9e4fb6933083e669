"""The documented deployment over HTTP: `amtsflow serve` (gunicorn) and a separate `amtsflow
worker` on PostgreSQL, driven by API clients with tokens, as a regional provider runs it.

    python bench/http_topology.py [--postgres URL] [--cases N] [--clients C] [--rounds R]

bench/engine.py's "PostgreSQL, web + worker" calls the services inside the web process; this
measures what a client of the API gets, with everything between: the WSGI server, Flask, the
token's authentication, the JSON. Each client (a thread with one keep-alive connection and an
API token of a clerk) runs cases of tests/models/antrag.bpmn one after the other:
``POST /api/v1/cases``, ``GET /api/v1/cases/{id}/tasks?wait=30`` (answered when the worker's
service job has written the task, woken by NOTIFY), ``POST /api/v1/tasks/{id}/complete``. The
service task's connector (``register.lookup``) answers at once; it is installed in both server
processes through the entry-point group ``amtsflow.connectors``, as an operator installs one
(a distribution in a temporary folder on their PYTHONPATH). The database is a fresh one of its
own on the server of ``--postgres`` (``amtsflow_bench_http``, or ``--database``), analysed after the warm-up.

Prints per round: cases/s over HTTP, raw SpiffWorkflow's cases/s in the same round (in this
process, while the servers idle) and the ratio; the CPU milliseconds per case of the web
process (gunicorn's master and workers), the worker process and the PostgreSQL backends (from
/proc: the server must run on this machine). Compare changes by the CPU figures on a shared
machine. bench/engine.py prints this set-up's ratio beside its other figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.latency import fresh_pg, run_clients  # noqa: E402

AMTSFLOW = str(Path(sys.executable).with_name("amtsflow"))
DATABASE = "amtsflow_bench_http"
GROUP = "sachbearbeitung"          # the lane of antrag.bpmn's user task

CONNECTOR_MODULE = '''
from engine.ports import OperationSpec, ServiceResult


class Register:
    name = "register"

    def operations(self):
        return {"lookup": OperationSpec()}

    def call(self, operation, request):
        return ServiceResult({"found": True})


def create(config):
    return Register()
'''


def _install_connector(folder: Path) -> None:
    """A distribution with an ``amtsflow.connectors`` entry point, found on PYTHONPATH."""
    (folder / "amtsflow_bench_register.py").write_text(CONNECTOR_MODULE)
    info = folder / "amtsflow_bench_register-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: amtsflow-bench-register\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[amtsflow.connectors]\nregister = amtsflow_bench_register:create\n")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children that are still running (all threads)."""
    total = 0.0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            pids += [int(p) for p in children.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class HttpTopology:
    """`amtsflow serve` and `amtsflow worker` on a fresh PostgreSQL database of their own."""

    def __init__(self, base_url: str, *, clients: int = 4, port: int = 8097, threads: int | None = None,
                 database: str = DATABASE, processes: int = 1) -> None:
        # gunicorn's default 8 request threads, more for many clients: each client's long poll holds a
        # thread, and at most half of them may wait at once (AMTSFLOW_LONG_POLLS_MAX)
        threads = threads or max(8, 2 * clients)
        from engine.bootstrap import bootstrap
        from engine.persistence.migrate import upgrade
        from engine.services import identity
        from engine.settings import Settings
        from engine.tenancy import DEFAULT_TENANT, tenant_scope

        self.url = fresh_pg(base_url, database)
        self.port = port
        self._tmp = tempfile.TemporaryDirectory()
        folder = Path(self._tmp.name)
        _install_connector(folder)
        env = dict(os.environ, AMTSFLOW_DATABASE_URL=self.url, AMTSFLOW_SECRET_KEY="bench-" + "x" * 40,
                   AMTSFLOW_LOG_LEVEL="WARNING", PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]))
        with tenant_scope(DEFAULT_TENANT):
            admin = bootstrap(Settings(database_url=self.url, embedded_worker=False), connectors={})
            upgrade(admin.db)
            identity.create_group(admin, GROUP, "Sachbearbeitung")
            # an account per client: a long poll counts against its account's cap (AMTSFLOW_LONG_POLLS_PER_ACCOUNT)
            self.tokens = []
            for k in range(clients):
                identity.create_user(admin, f"fachverfahren{k}", f"Fachverfahren {k}", roles=["clerk"], groups_=[GROUP])
                self.tokens.append(identity.create_api_token(admin, f"fachverfahren{k}", "bench")[1])
        self.admin = admin
        self._logs = [open(folder / "web.log", "w"), open(folder / "worker.log", "w")]
        self.log_folder = folder
        self.web = subprocess.Popen([AMTSFLOW, "serve", "--port", str(port), "--threads", str(threads),
                                     "--processes", str(processes)], env=env,
                                    stdout=self._logs[0], stderr=subprocess.STDOUT)
        self.worker = subprocess.Popen([AMTSFLOW, "worker"], env=env, stdout=self._logs[1], stderr=subprocess.STDOUT)
        self._wait_until_served()
        # deployed through the API, so the web process checks the connector operation is installed
        self._deploy([ROOT / "tests" / "models" / n for n in ("antrag.bpmn", "antrag-start.schema.json",
                                                              "pruefung.schema.json")])

    def _wait_until_served(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health/live")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.web.poll() is not None:
                raise RuntimeError(f"amtsflow serve ended with {self.web.returncode} (log: {self._logs[0].name})")
            time.sleep(0.2)
        raise RuntimeError("amtsflow serve did not answer within 120 s")


    def _deploy(self, paths: list[Path]) -> None:
        boundary = "amtsflowbench"
        parts = []
        for path in paths:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        # deploying is for process owners: a token of one, made for this
        from engine.services import identity
        from engine.tenancy import DEFAULT_TENANT, tenant_scope

        with tenant_scope(DEFAULT_TENANT):
            identity.create_user(self.admin, "prozess", "Prozessverantwortung", roles=["owner"])
            _id, owner = identity.create_api_token(self.admin, "prozess", "bench deploy")
        conn = http.client.HTTPConnection("127.0.0.1", self.port)
        conn.request("POST", "/api/v1/deployments", body=body, headers={
            "Authorization": f"Bearer {owner}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        answer = conn.getresponse()
        text = answer.read()
        if answer.status != 201:
            raise RuntimeError(f"deploy: {answer.status} {text[:500]!r}")

    def _call(self, conn: http.client.HTTPConnection, token: str, method: str, path: str, body: Any = None) -> Any:
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        answer = conn.getresponse()
        data = answer.read()
        if answer.status >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def _case(self, conn: http.client.HTTPConnection, token: str, i: int) -> None:
        case_id = self._call(conn, token, "POST", "/api/v1/cases",
                             {"key": "antrag", "data": {"name": f"P{i}", "anzahl": 2}})["id"]
        tasks = self._call(conn, token, "GET", f"/api/v1/cases/{case_id}/tasks?wait=30")
        if not tasks:
            raise RuntimeError(f"case {case_id}: the worker never ran its service job")
        self._call(conn, token, "POST", f"/api/v1/tasks/{tasks[0]['id']}/complete",
                   {"data": {"entscheidung": "genehmigt"}})

    def backends(self) -> list[int]:
        from sqlalchemy import text

        with self.admin.db.connect() as conn:
            return [r[0] for r in conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"))]

    def cpu(self) -> dict[str, float]:
        return {"web": _cpu_seconds(self.web.pid), "worker": _cpu_seconds(self.worker.pid),
                "postgres": sum(_cpu_seconds(p) for p in self.backends())}

    def cases_per_second(self, n: int, clients: int) -> float:
        errors: list[BaseException] = []

        def client(count: int, offset: int, token: str) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port)
            try:
                for i in range(count):
                    self._case(conn, token, offset + i)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                conn.close()

        elapsed = run_clients(n, clients, lambda k, count, offset: client(count, offset, self.tokens[k % len(self.tokens)]))
        if errors:
            for log in self._logs:
                log.flush()
            tails = "\n".join(f"--- {name}:\n" + (self.log_folder / name).read_text()[-3000:]
                              for name in ("web.log", "worker.log"))
            raise RuntimeError(f"{len(errors)} client(s) failed: {errors[0]}\n{tails}")
        return n / elapsed

    def analyze(self) -> None:
        with self.admin.db.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")

    def close(self) -> None:
        for process in (self.web, self.worker):
            process.terminate()
        for process in (self.web, self.worker):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self._logs:
            log.close()
        self.admin.db.dispose()
        self._tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("AMTSFLOW_TEST_POSTGRES_URL"))
    parser.add_argument("--cases", type=int, default=200, help="cases per round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default=DATABASE,
                        help="the database it drops and creates (another name for runs side by side)")
    parser.add_argument("--port", type=int, default=8097, help="the port of `amtsflow serve`")
    parser.add_argument("--processes", type=int, default=1,
                        help="`amtsflow serve --processes` (its default, 1: the set-up bench/engine.py measures)")
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("needs PostgreSQL: --postgres URL or AMTSFLOW_TEST_POSTGRES_URL")
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
    assert spec is not None and spec.loader is not None
    engine_bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(engine_bench)
    topology = HttpTopology(args.postgres, clients=args.clients, port=args.port, database=args.database,
                            processes=args.processes)
    try:
        topology.cases_per_second(40, args.clients)   # warm-up: imports, caches, prepared statements
        topology.analyze()
        engine_bench.raw_cases_per_second(20)
        rates, raws, cpu_rows = [], [], []
        for _round in range(args.rounds):
            raw = engine_bench.raw_cases_per_second(args.cases)
            before = topology.cpu()
            rate = topology.cases_per_second(args.cases, args.clients)
            after = topology.cpu()
            rates.append(rate)
            raws.append(raw)
            per_case = {k: 1000 * (after[k] - before[k]) / args.cases for k in after}
            cpu_rows.append(per_case)
            print(f"round {_round + 1}: over HTTP {rate:6.1f} cases/s, raw SpiffWorkflow {raw:7.1f} cases/s, "
                  f"ratio {rate / raw:.3f}; CPU ms per case: web {per_case['web']:.2f}, worker "
                  f"{per_case['worker']:.2f}, PostgreSQL {per_case['postgres']:.2f}")
        print(f"web + worker over HTTP, {args.clients} clients: median {statistics.median(rates):.1f} cases/s, "
              f"best {max(rates):.1f}; ratio to raw best/best {max(rates) / max(raws):.3f}, median of rounds "
              f"{statistics.median(r / w for r, w in zip(rates, raws)):.3f}; load average {os.getloadavg()[0]:.1f}")
    finally:
        topology.close()


if __name__ == "__main__":
    main()
