"""``tender ocds export``: procurements as an Open Contracting Data Standard release package.

The OCID prefix defaults to the placeholder ``ocds-tender``. Before publishing,
register a prefix with the Open Contracting Partnership
(https://standard.open-contracting.org/latest/en/guidance/map/ocid_prefix/)
and pass it with ``--ocid-prefix``.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from tender.domain.ocds import DEFAULT_OCID_PREFIX


@click.group("ocds")
def ocds_group():
    """Export procurement data as Open Contracting Data (OCDS 1.1.5)."""


@ocds_group.command("export")
@click.option("--procurement", "reference", default=None, help="Only this procurement reference, e.g. KCC-22/00033.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
@click.option("--publisher", default="Tender", show_default=True, help="Publisher name in the package.")
@click.option("--ocid-prefix", default=DEFAULT_OCID_PREFIX, show_default=True,
              help="Your OCID prefix, registered with the Open Contracting Partnership.")
@with_appcontext
def export_command(reference, output, publisher, ocid_prefix):
    """Write a release package (pretty JSON, UTF-8); the export is audited."""
    from tender.services import audit
    from tender.services.publishing import ocds as ocds_export
    from tender.services.errors import ServiceError

    try:
        package = ocds_export.export(audit.Actor.system("tender ocds export"), reference=reference,
                                     publisher=publisher, ocid_prefix=ocid_prefix)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    count = len(package["releases"])
    click.echo(f"Wrote {count} release{'' if count == 1 else 's'} to {output}.", err=True)
