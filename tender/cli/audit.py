"""``tender audit verify`` and ``tender audit export``: check and export the audit trail."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("audit")
def audit_group():
    """Check and export the audit trail."""


@audit_group.command("verify")
@click.option("--against", "against", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="An evidence bundle exported earlier (tender audit export --format bundle): "
                   "check that today's trail extends it.")
@with_appcontext
def audit_verify(against):
    """Walk the hash chain to its recorded head; report every problem by sequence number."""
    from tender.services.audit.verify import verify_trail

    report = verify_trail(against=against)
    if report.ok:
        click.echo(f"OK: {report.chain.count} events, chain intact to the recorded head "
                   f"(event {report.head_seq}). Head hash {report.chain.head_hash}.")
        if against is not None:
            click.echo(f"Consistent with {against}: every event it holds is unchanged and today's trail "
                       "continues from its head.")
        return
    for problem in report.problems:
        where = f"event {problem.seq}" if problem.seq is not None else "the trail"
        label = "BROKEN at" if problem.check == "chain" and problem.seq not in report.chain.intruders else "PROBLEM with"
        click.echo(f"{label} {where}: {problem.text}", err=True)
    click.echo(f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''} found; "
               f"{report.chain.count} events checked.", err=True)
    sys.exit(1)


@audit_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "pdf", "bundle"]), required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--procurement", default=None, help="Only this procurement reference, e.g. KCC-22/00033.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="From this date (UTC), inclusive.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="To this date (UTC), inclusive.")
@with_appcontext
def audit_export(fmt, output, procurement, since, until):
    """Export the audit trail (streamed; the export itself is audited)."""
    from tender.services import audit
    from tender.services.audit import export as service
    from tender.services.audit import query as audit_query
    from tender.services.errors import ServiceError

    flt = audit_query.AuditFilter(procurement=procurement, since=since.date() if since else None,
                                  until=until.date() if until else None)
    try:
        result = service.export(fmt, output, flt, audit.Actor.system("tender audit export"))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    state = "intact" if result.chain_ok else "BROKEN"
    click.echo(f"Wrote {result.events} event{'' if result.events == 1 else 's'} to {result.path} ({fmt}). "
               f"Chain {state}; head {result.head_hash}.")
