"""``amtsflow replay``: the upgrade check (engine.services.replay_waits)."""

from __future__ import annotations

import sys
import time

import click

from webui.cli_engine import command_engine, installation_tenants

PROGRESS_SECONDS = 5.0   # at most one progress line on stderr per this many seconds


class _Progress:
    """A line on stderr now and then during a long replay: checked so far, of how many, and
    how many differ (the differences themselves go to stdout as each tenant finishes)."""

    def __init__(self, total: int) -> None:
        self.total, self.before, self.differing_before = total, 0, 0
        self.last = time.monotonic()

    def __call__(self, checked: int, differing: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        done = self.before + checked
        self.total = max(self.total, done)   # cases started while it runs (the procedure stops serve first)
        click.echo(f"replay: {done} of {self.total} open case(s) checked ({100 * done // max(self.total, 1)} %), "
                   f"{self.differing_before + differing} with differences", err=True)

    def tenant_done(self, checked: int, differing: int) -> None:
        self.before += checked
        self.differing_before += differing


@click.command("replay")
@click.option("--process", "process_key", default=None, help="only cases of this process key")
@click.option("--sample", type=click.IntRange(min=1), default=None,
              help="a random sample of N open cases of each tenant")
def replay(process_key: str | None, sample: int | None) -> None:
    """Load stored open cases with this code, step nothing, and report every case whose waits
    (open tasks, service jobs, timers, subscriptions) differ from the database's projections.
    Checks every tenant's cases (the upgrade concerns the whole installation) unless a tenant is
    named with --tenant or AMTSFLOW_TENANT. Exit status 1 when any differs."""
    from engine.services.replay_waits import count_open, replay as replay_open
    from engine.tenancy import tenant_scope

    engine = command_engine()
    tenant_ids = installation_tenants(engine)
    total = 0
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            count = count_open(engine, process_key)
        total += min(count, sample) if sample else count
    progress = _Progress(total)
    checked = differing = 0
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            report = replay_open(engine, process_key, sample, progress=progress)
        for difference in report.differences:
            click.echo(difference.describe())
        if len(tenant_ids) > 1:
            click.echo(f"tenant {tenant_id}: {report.checked} case(s) checked, {len(report.differences)} with differences")
        progress.tenant_done(report.checked, len(report.differences))
        checked += report.checked
        differing += len(report.differences)
    click.echo(f"{checked} case(s) checked, {differing} with differences")
    sys.exit(1 if differing else 0)


commands = [replay]
