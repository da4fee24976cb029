"""``tender workflow migrate REFERENCE``: move a running procurement to its procedure file as it is now.

A running procurement keeps the definition it started with
(``tender.services.procurement.definitions``); this command is the one way to
change that. It shows what would change (a summary, then the text diff),
refuses if the procurement's stage is not in the new file, asks before doing
anything, and records the move in the audit trail with the reason given.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext


def _show(plan) -> None:
    click.echo(f"{plan.reference}: {plan.procedure}.yaml, at the stage '{plan.stage}'")
    click.echo(f"  runs version {plan.from_version} "
               f"(SHA-256 {plan.from_digest or 'none: created before definitions were pinned'})")
    click.echo(f"  the file now: version {plan.to_version} (SHA-256 {plan.to_digest})")
    if plan.up_to_date:
        return
    click.echo("Changes:")
    for line in plan.changes or ("none that affect a procurement (only comments or layout)",):
        click.echo(f"  - {line}")
    if plan.milestones_added:
        click.echo(f"Milestones to add (undated, owned by the lead officer): {', '.join(plan.milestones_added)}")
    if plan.milestones_dropped:
        click.echo(f"Milestones the new file drops (open ones become not applicable): "
                   f"{', '.join(plan.milestones_dropped)}")
    if plan.diff:
        click.echo("Diff:")
        click.echo(plan.diff.rstrip("\n"))


@click.command("migrate")
@click.argument("reference")
@click.option("--reason", default=None, help="Why the procurement moves to the changed file (kept in the audit trail).")
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def migrate_command(reference, reason, dry_run, yes):
    """Move the procurement REFERENCE to its procedure file as it is now (audited)."""
    from tender.services import audit
    from tender.services.errors import ServiceError
    from tender.services.procurement import definitions

    try:
        plan = definitions.plan_migration(reference)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    _show(plan)
    if plan.up_to_date:
        click.echo(f"{reference} already runs the current file: nothing to do.")
        return
    if plan.problems:
        for problem in plan.problems:
            click.echo(f"REFUSED: {problem}", err=True)
        raise SystemExit(1)
    if dry_run:
        click.echo("Dry run: nothing changed.")
        return
    if not (reason or "").strip():
        raise click.ClickException("Give the reason with --reason \"...\": it is kept in the audit trail.")
    if not yes:
        click.confirm(f"Move {reference} from version {plan.from_version} to version {plan.to_version}?", abort=True)
    try:
        definitions.migrate(reference, audit.Actor.system("tender workflow migrate"), reason,
                            expected_digest=plan.to_digest)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Moved {reference} to version {plan.to_version} of {plan.procedure}.yaml; "
               "recorded in the audit trail.")
