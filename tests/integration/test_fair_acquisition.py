"""Workers serve the municipalities in turn (PostgreSQL, where one set of workers runs many
tenants' jobs): one city's backlog of due service calls does not hold back another city's job
that fell due later, while a higher priority still goes first across all of them."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import insert

from engine.domain import priorities
from engine.jobs import JobExecutor
from engine.persistence import tables as t
from engine.persistence.tenant_tables import tenants
from engine.tenancy import DEFAULT_TENANT, TenantSelection, all_tenants
from tests.integration.helpers import empty_pg_engine

pytestmark = pytest.mark.postgres

CITIES = ("stadt-a", "stadt-b", "stadt-c")
BACKLOG = 200   # stadt-a's service jobs, all due before any other city's


@pytest.fixture
def pg(pg_url):
    engine = empty_pg_engine(pg_url)
    with engine.db.begin() as conn:
        for city in CITIES:
            conn.execute(tenants.insert().values(id=city, name=city, host=None, path_prefix=None, settings={},
                                                 connectors={}, active=True, created_at=engine.clock.now()))
    yield engine
    engine.db.dispose()


def _jobs(engine, tenant: str, count: int, age: timedelta, kind: str = "service", **extra) -> list[str]:
    now = engine.clock.now()
    priority = extra.pop("priority", priorities.for_kind(kind))
    values = {"retries": 3, "suspended": False, **extra}
    rows = [dict(id=str(uuid.uuid4()), tenant_id=tenant, kind=kind, due_at=now - age - timedelta(seconds=i),
                 attempts=0, payload={}, created_at=now, priority=priority, **values)
            for i in range(count)]
    with all_tenants("test"), engine.db.begin() as conn:
        conn.execute(insert(t.jobs), rows)
    return [row["id"] for row in rows]


def _tenants_of(jobs) -> Counter[str]:
    return Counter(job.tenant_id for job in jobs)


def test_a_citys_backlog_does_not_hold_back_the_others(pg) -> None:
    _jobs(pg, "stadt-a", BACKLOG, timedelta(hours=1))            # a bulk run an hour ago
    _jobs(pg, "stadt-b", 3, timedelta(seconds=5))
    _jobs(pg, "stadt-c", 1, timedelta(seconds=1))
    first = JobExecutor(pg, "w").acquire(4)
    # each city's oldest job comes before any city's second
    assert _tenants_of(first) == {"stadt-a": 2, "stadt-b": 1, "stadt-c": 1}
    second = JobExecutor(pg, "w").acquire(4)
    assert _tenants_of(second) == {"stadt-a": 2, "stadt-b": 2}
    third = JobExecutor(pg, "w").acquire(4)
    assert _tenants_of(third) == {"stadt-a": 4}   # alone now: a whole batch


def test_a_higher_priority_still_goes_first_across_tenants(pg) -> None:
    _jobs(pg, "stadt-a", 6, timedelta(minutes=5), kind="timer")
    _jobs(pg, "stadt-b", 6, timedelta(hours=1))                  # older, but bulk service calls
    first = JobExecutor(pg, "w").acquire(4)
    assert {job.kind for job in first} == {"timer"}
    mixed = JobExecutor(pg, "w").acquire(4)
    assert [job.kind for job in mixed].count("timer") == 2        # the last two timers, then service calls


def test_within_a_tenant_the_earlier_due_goes_first(pg) -> None:
    ids = _jobs(pg, DEFAULT_TENANT, 6, timedelta(minutes=1))      # ids[-1] is the oldest
    taken = [job.id for job in JobExecutor(pg, "w").acquire(3)]
    assert sorted(taken) == sorted(ids[-3:])


def test_a_worker_for_some_tenants_takes_turns_among_them_only(pg) -> None:
    _jobs(pg, "stadt-a", 10, timedelta(hours=1))
    _jobs(pg, "stadt-b", 10, timedelta(minutes=1))
    _jobs(pg, "stadt-c", 10, timedelta(seconds=1))
    skip_a = JobExecutor(pg, "w", tenants=TenantSelection.of(skip=["stadt-a"])).acquire(4)
    assert _tenants_of(skip_a) == {"stadt-b": 2, "stadt-c": 2}
    only_c = JobExecutor(pg, "w", tenants=TenantSelection.of(only=["stadt-c"])).acquire(4)
    assert _tenants_of(only_c) == {"stadt-c": 4}


def test_concurrent_workers_each_get_a_full_batch_and_no_job_twice(pg) -> None:
    """The candidates are read without locks, twice the batch: a worker skips those another one
    locked meanwhile and still fills its batch."""
    for city in CITIES:
        _jobs(pg, city, 40, timedelta(minutes=1))
    taken: Counter[str] = Counter()
    sizes: list[int] = []
    errors: list[BaseException] = []
    lock, start = threading.Lock(), threading.Barrier(4)

    def worker(k: int) -> None:
        try:
            executor = JobExecutor(pg, f"w{k}")
            start.wait()
            while rows := executor.acquire(4):
                with lock:
                    sizes.append(len(rows))
                    taken.update(row.id for row in rows)
        except BaseException as exc:   # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(taken) == 120 and set(taken.values()) == {1}
    assert all(size <= 4 for size in sizes)
    assert sum(size == 4 for size in sizes) >= len(sizes) - 4   # short batches only at the end


def _plan_nodes(plan: dict) -> list[dict]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


def _explain(engine, statement, params) -> list[dict]:
    from engine.persistence.scoping import ALL_TENANTS, for_all_tenants

    compiled = for_all_tenants(statement).compile(dialect=engine.db.dialect)
    expanded = compiled.construct_expanded_state(params={**params, ALL_TENANTS: True})
    with engine.db.connect() as conn:
        [[document]] = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + expanded.statement,
                                            expanded.parameters).all()
        conn.rollback()   # the acquisition's locks and updates: not kept
    return _plan_nodes(document[0]["Plan"])


def test_an_acquisition_reads_a_batch_not_the_whole_backlog(pg) -> None:
    """A bulk run leaves thousands of due jobs, an outage thousands of incidents: the acquisition
    and the next-due read walk indexes of the jobs a worker may take and stop after a batch,
    instead of reading and sorting every due job (160 ms per acquisition at 100,000 due jobs
    before) or walking past every incident."""
    from engine.jobs import _acquire_with_cases, _next_due_statement

    _jobs(pg, "stadt-a", 5000, timedelta(hours=1))
    _jobs(pg, "stadt-b", 5, timedelta(minutes=1), kind="timer")
    # incidents (no retries left) and suspended jobs keep old due times, before every other job
    _jobs(pg, "stadt-a", 2000, timedelta(days=2), retries=0)
    _jobs(pg, "stadt-b", 2000, timedelta(days=2), suspended=True)
    with pg.db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE jobs")
    now = pg.clock.now()
    for statement, params in ((_acquire_with_cases().statement, {"now": now, "limit": 4, "owner": "w",
                                                                 "expires": now + timedelta(minutes=5)}),
                              (_next_due_statement().statement, {"now": now})):
        on_jobs = [node for node in _explain(pg, statement, params) if node.get("Relation Name") == "jobs"]
        assert on_jobs and not any(node["Node Type"] == "Seq Scan" for node in on_jobs), on_jobs
        # rows each scan of jobs returned or walked past (a filter's rejects count: they were read)
        read = max((node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
                   for node in on_jobs)
        assert read <= 50, [(node["Node Type"], node.get("Index Name"), node["Actual Rows"],
                             node.get("Rows Removed by Filter")) for node in on_jobs]


def test_a_deactivated_citys_erasures_are_taken_without_walking_its_waiting_backlog(pg) -> None:
    """A deactivated municipality's service calls wait, its erasures of personal data whose
    retention period ran out do not (engine/jobs.py _free_to_take): the acquisition reads them
    as one index range per such tenant, not past its waiting backlog."""
    from engine.jobs import _acquire_with_cases
    from sqlalchemy import update

    _jobs(pg, "stadt-c", 1500, timedelta(hours=1))
    _jobs(pg, "stadt-c", 1500, timedelta(hours=1), kind="timer", priority=priorities.HOUSEKEEPING)   # theirs
    erasures = _jobs(pg, "stadt-c", 3, timedelta(minutes=1), kind="retention")
    with pg.db.begin() as conn:
        conn.execute(update(tenants).where(tenants.c.id == "stadt-c").values(active=False))
    with pg.db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE jobs")
    now = pg.clock.now()
    nodes = _explain(pg, _acquire_with_cases().statement, {"now": now, "limit": 4, "owner": "w",
                                                          "expires": now + timedelta(minutes=5)})
    on_jobs = [node for node in nodes if node.get("Relation Name") == "jobs"]
    read = max((node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"] for node in on_jobs)
    assert read <= 50, [(node["Node Type"], node.get("Index Name"), node["Actual Rows"],
                         node.get("Rows Removed by Filter")) for node in on_jobs]
    assert JobExecutor(pg, "other", tenants=TenantSelection.of(skip=["stadt-c"])).acquire(4) == []
    assert {job.id for job in JobExecutor(pg, "w").acquire(4)} == set(erasures)


def test_a_deactivated_citys_waiting_backlog_is_not_walked_past_by_the_next_due_read(pg) -> None:
    """Every acquisition sends the idle worker's next-due read along; a deactivated city's due
    timers and service calls would stand at the head of its index, walked past every time
    (30 ms per acquisition at 100,000). Deactivating marks them paused, out of that index;
    reactivating puts them back."""
    from engine.jobs import _next_due_statement
    from engine.services import tenants as tenants_service

    _jobs(pg, "stadt-c", 3000, timedelta(hours=1))
    _jobs(pg, "stadt-a", 1, timedelta(seconds=-60), kind="timer")   # due in a minute
    tenants_service.deactivate_tenant(pg, "stadt-c")
    with pg.db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE jobs")
    on_jobs = [node for node in _explain(pg, _next_due_statement().statement, {"now": pg.clock.now()})
               if node.get("Relation Name") == "jobs"]
    read = max((node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"] for node in on_jobs)
    assert read <= 50, [(node["Node Type"], node.get("Index Name"), node["Actual Rows"],
                         node.get("Rows Removed by Filter")) for node in on_jobs]
    worker = JobExecutor(pg, "w")
    assert worker.acquire(4) == [] and worker.next_due_in() == 60.0
    tenants_service.update_tenant(pg, "stadt-c", active=True)
    assert worker.next_due_in() == 0.0 and len(worker.acquire(4)) == 4
