"""``amtsflow check PATH...``: can these BPMN models run here? (no database needed)

Prints per BPMN file ``runs``, ``runs after mapping`` (with the camunda-mapping.json entries
to add) or ``blocked`` followed by one line per blocker ``FILE:LINE: element-id: message``
and, where mapping Java code would remove some of them, the camunda-mapping.json entries,
then the summary line ``N of M models deployable``. Exit code 0 when every file runs as
it is, 1 otherwise (2 for a path that does not exist).
"""

from __future__ import annotations

import contextlib
import json
import sys

import click


@click.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--notes/--no-notes", default=True, help="also print warnings and topic routing")
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="a camunda-mapping.json that applies to every file (a folder's own one wins)")
def check(paths: tuple[str, ...], notes: bool, mapping_file: str | None) -> None:
    """Check Camunda 7, Flowable or spiff BPMN files or folders: runs, runs after mapping, or the blockers."""
    from engine.services.compat import AFTER_MAPPING, BLOCKED, check_paths, summary

    try:
        with open(mapping_file, encoding="utf-8") if mapping_file else _nothing() as given:
            base = json.load(given) if given is not None else None
    except (OSError, ValueError) as exc:
        click.echo(f"error: {mapping_file}: {exc}", err=True)
        sys.exit(2)
    try:
        reports = check_paths(list(paths), base_mapping=base if isinstance(base, dict) else None)
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for report in reports:
        click.echo(f"{report.file}: {report.status}")
        if report.status == AFTER_MAPPING:
            click.echo(f"  add to camunda-mapping.json: {json.dumps(report.mapping_snippet(), ensure_ascii=False)}")
            if report.deploys_now:
                click.echo("  deploys as it is, with a warning for each entry: a case that reaches unmapped Java "
                           "code stops there with an incident until a new version maps it")
        if report.status == BLOCKED:
            for problem in report.blockers:
                click.echo(f"  {problem}")
            if report.mapping_needed:
                left = len(report.remaining)
                what = "Java code and beans" if any(s == "beans" for s, _ in report.mapping_needed) else "Java code"
                click.echo(f"  add to camunda-mapping.json: {json.dumps(report.mapping_snippet(), ensure_ascii=False)}"
                           f" (unblocks the {what} above; {left} blocker{'s remain' if left != 1 else ' remains'})")
            if report.bean_snippet():
                click.echo(f"  declare in camunda-mapping.json: {json.dumps(report.bean_snippet(), ensure_ascii=False)}"
                           " (each bean method as an engine function or a connector operation)")
        if notes:
            for note in report.notes:
                click.echo(f"  note: {note}")
    click.echo(summary(reports))
    sys.exit(0 if reports and all(r.deployable for r in reports) else 1)


def _nothing() -> contextlib.nullcontext[None]:
    return contextlib.nullcontext()


commands = [check]
