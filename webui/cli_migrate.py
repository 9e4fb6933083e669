"""``amtsflow migrate KEY --from N --to M``: move running cases to another version of their process.

    amtsflow migrate KEY --from 1 --to 2 [--map OLD=NEW ...] --dry-run [--sample 10]
    amtsflow migrate KEY --from 1 --to 2 [--map OLD=NEW ...] --comment "why" [--case ID ...]
    amtsflow migration BATCH_ID [--json]

Without ``--map`` every element id the target also has maps to itself; ids the target lacks are
listed and must be mapped. A dry run prints, per case of the sample, where it would wait or why
it is refused, and changes nothing. Otherwise a batch is written and the job worker migrates it;
``amtsflow migration BATCH_ID`` shows its progress and each case's result.
"""

from __future__ import annotations

import json
import sys

import click

from engine.domain.errors import AmtsflowError
from webui.cli_engine import command_engine


def _fail(exc: AmtsflowError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    for field, messages in getattr(exc, "field_errors", {}).items():
        for message in messages:
            click.echo(f"  {field}: {message}", err=True)
    sys.exit(1)


@click.command("migrate")
@click.argument("key")
@click.option("--from", "source", type=int, required=True, help="the version the cases run in")
@click.option("--to", "target", type=int, required=True, help="the version they move to")
@click.option("--map", "pairs", multiple=True, metavar="OLD=NEW", help="map a renamed element (repeatable)")
@click.option("--dry-run", is_flag=True, help="only tell what would happen, for a sample of cases")
@click.option("--sample", type=int, default=10, show_default=True, help="cases in a dry run")
@click.option("--case", "case_ids", multiple=True, help="only these cases (repeatable); default: all running")
@click.option("--comment", default="", help="the reason, kept in each case's history (required to migrate)")
@click.option("--user", default="cli", show_default=True, help="who migrates (for the history)")
def migrate(key: str, source: int, target: int, pairs: tuple[str, ...], dry_run: bool, sample: int,
            case_ids: tuple[str, ...], comment: str, user: str) -> None:
    """Move running cases of KEY from one version to another (a dry run first)."""
    from engine.services import case_migration

    engine = command_engine()
    try:
        proposal = case_migration.propose(engine, key, source, target)
        mapping = dict(proposal.plan.mapping)
        for pair in pairs:
            old, sep, new = pair.partition("=")
            if not sep or not old or not new:
                raise click.BadParameter(f"{pair!r}: expected OLD=NEW", param_hint="--map")
            mapping[old] = new
        unmapped = [element for element in proposal.unmapped if element not in mapping]
        if unmapped:
            click.echo(f"not in v{target} (map them with --map OLD=NEW if a case may wait there): "
                       + ", ".join(unmapped))
        plan = case_migration.MigrationPlan(key, source, target, mapping)
        if dry_run:
            case_migration.check_plan(engine, plan)
            ids = list(case_ids) or case_migration.running_cases(engine, key, source, sample)
            refused = 0
            for case_id in ids:
                result = case_migration.migrate_case(engine, case_id, plan, actor=user, dry_run=True)
                if result.issues:
                    refused += 1
                    click.echo(f"{case_id} refused: " + "; ".join(i.message for i in result.issues))
                else:
                    click.echo(f"{case_id} ok: would wait at " + ", ".join(sorted(result.position.values())))
            click.echo(f"dry run: {len(ids) - refused} of {len(ids)} case(s) would move; nothing changed")
            sys.exit(1 if refused else 0)
        batch_id = case_migration.start_batch(engine, plan, actor=user, comment=comment,
                                              case_ids=list(case_ids) or None)
        batch = case_migration.get_batch(engine, batch_id)
        click.echo(f"batch {batch_id}: {batch.total} case(s) queued; the worker migrates them "
                   f"(follow with: amtsflow migration {batch_id})")
    except AmtsflowError as exc:
        _fail(exc)


@click.command("migration")
@click.argument("batch_id")
@click.option("--json", "as_json", is_flag=True)
def migration(batch_id: str, as_json: bool) -> None:
    """Progress and per-case results of a migration batch."""
    from dataclasses import asdict

    from engine.services import case_migration

    try:
        batch = case_migration.get_batch(command_engine(), batch_id)
    except AmtsflowError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(asdict(batch), indent=2, ensure_ascii=False))
        return
    click.echo(f"{batch.process_key} v{batch.source_version} -> v{batch.target_version}: {batch.status}, "
               f"{batch.migrated} migrated, {batch.refused} refused, "
               f"{batch.total - batch.migrated - batch.refused} pending of {batch.total}")
    for case in batch.cases:
        if case["status"] != "migrated":
            click.echo(f"  {case['case_id']} {case['status']}" + (f": {case['message']}" if case["message"] else ""))


commands = [migrate, migration]
