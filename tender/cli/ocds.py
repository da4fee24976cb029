"""``tender ocds export``: the published notices as an Open Contracting Data Standard release package.

Each notice is the release stored when it was published, so exporting twice
gives the same bytes. The ocid prefix is the setting ``TENDER_OCID_PREFIX``
(default the placeholder ``ocds-tender``), read when a procurement's first
notice is published: register a prefix with the Open Contracting Partnership
(https://standard.open-contracting.org/latest/en/guidance/map/ocid_prefix/)
before publishing.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("ocds")
def ocds_group():
    """Export procurement data as Open Contracting Data (OCDS 1.1.5)."""


@ocds_group.command("export")
@click.option("--procurement", "reference", default=None, help="Only this procurement reference, e.g. KCC-22/00033.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
@click.option("--publisher", default="Tender", show_default=True, help="Publisher name in the package.")
@with_appcontext
def export_command(reference, output, publisher):
    """Write a release package (pretty JSON, UTF-8); the export is audited."""
    from tender.files import atomic_write
    from tender.services import audit
    from tender.services.publishing import ocds as ocds_export
    from tender.services.errors import ServiceError

    try:
        package = ocds_export.export(audit.Actor.system("tender ocds export"), reference=reference,
                                     publisher=publisher)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_write(output, "w", encoding="utf-8") as out:
        out.write(text)
    count = len(package["releases"])
    click.echo(f"Wrote {count} release{'' if count == 1 else 's'} to {output}.", err=True)
