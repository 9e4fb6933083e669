"""``amtsflow replay``: the upgrade check (engine.services.replay_waits)."""

from __future__ import annotations

import sys

import click

from webui.cli_engine import command_engine


@click.command("replay")
@click.option("--process", "process_key", default=None, help="only cases of this process key")
@click.option("--sample", type=click.IntRange(min=1), default=None, help="a random sample of N open cases")
def replay(process_key: str | None, sample: int | None) -> None:
    """Load stored open cases with this code, step nothing, and report every case whose waits
    (open tasks, service jobs, timers, subscriptions) differ from the database's projections.
    Exit status 1 when any differs."""
    from engine.services.replay_waits import replay as run

    report = run(command_engine(), process_key, sample)
    for difference in report.differences:
        click.echo(difference.describe())
    click.echo(f"{report.checked} case(s) checked, {len(report.differences)} with differences")
    sys.exit(1 if report.differences else 0)


commands = [replay]
