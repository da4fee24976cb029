"""``tender report --procurement REF --output FILE.pdf``: the procurement report (PCR 2015 reg. 84) as PDF/A."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("report")
@click.option("--procurement", "reference", required=True, help="The procurement's reference, e.g. KCC-22/00033.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PDF file to write.")
@with_appcontext
def report_command(reference, output):
    """Write the procurement report, generated from the record (the export is audited)."""
    from tender.files import atomic_write
    from tender.services import audit
    from tender.services.award import report
    from tender.services.errors import ServiceError

    try:
        filename, pdf = report.generate(None, reference=reference, actor=audit.Actor.system("tender report"))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    with atomic_write(output, "wb") as out:
        out.write(pdf)
    click.echo(f"Wrote the procurement report for {reference} to {output} ({len(pdf):,} bytes).", err=True)
