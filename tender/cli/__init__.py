"""The ``tender`` command: Flask's CLI with Tender's own commands added.

``tender db upgrade`` (Flask-Migrate), ``tender run`` (development server),
``tender demo``, ``tender users create``, ``tender workflow check|graph|migrate``,
``tender audit verify``; evaluation, reminders and audit exports register
their own commands here too.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from tender.domain.guards import KNOWN_GUARDS
from tender.domain.roles import parse_role
from tender.domain.workflow_definition import load_definition
from tender.domain.yaml_source import DefinitionError


@click.group("workflow")
def workflow_group():
    """Check procedure definitions and draw them."""


@workflow_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def workflow_check(files):
    """Validate workflow FILES; report file, line and field of any error."""
    failed = False
    for path in files:
        try:
            definition = load_definition(path, KNOWN_GUARDS)
        except DefinitionError as exc:
            click.echo(f"ERROR {exc}", err=True)
            failed = True
        else:
            click.echo(f"OK {path}: {definition.title} (version {definition.version}, "
                       f"{len(definition.stages)} stages, {len(definition.transitions)} transitions)")
    sys.exit(1 if failed else 0)


@workflow_group.command("graph")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg"]), default="mermaid", show_default=True)
@click.option("--current", default=None, help="Stage to mark as current.")
def workflow_graph(name, fmt, current):
    """Print the diagram of the procedure NAME (Mermaid, Graphviz DOT or SVG)."""
    from tender.domain import workflow_diagram
    from tender.services.procurement.procedures import registry

    definitions = registry().definitions
    if name not in definitions:
        raise click.BadParameter(f"no procedure named '{name}'. Known: {', '.join(sorted(definitions))}",
                                 param_hint="NAME")
    makers = {"mermaid": workflow_diagram.to_mermaid, "dot": workflow_diagram.to_dot, "svg": workflow_diagram.to_svg}
    click.echo(makers[fmt](definitions[name], current))


@click.group("users")
def users_group():
    """The first administrator's account (everyone else is invited from the Users page)."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", default="administrator", show_default=True,
              help="Only administrator: everyone else is invited by an administrator and chooses their own password.")
@click.password_option("--password", confirmation_prompt=True, help="Prompted for if not given.")
@with_appcontext
def users_create(email, name, role, password):
    """Create the first administrator, with a password you choose (refused once there is one).

    The administrator then invites everyone else from the Users page; each
    person chooses their own password from the e-mailed link, so no one else
    ever knows it.
    """
    from tender.domain.roles import Role
    from tender.services import audit, users
    from tender.services.errors import ServiceError

    try:
        if parse_role(role) is not Role.ADMINISTRATOR:
            raise click.ClickException(
                "tender users create makes the first administrator only. Log in as the administrator and invite "
                "everyone else from the Users page: they choose their own passwords from the e-mail.")
        user = users.create_first_administrator(email, name, password, audit.Actor.system("tender users create"))
    except (ValueError, ServiceError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.email} ({user.role}). Log in as them and invite everyone else from the Users page.")


@click.command("demo")
@click.option("--password", envvar="TENDER_DEMO_PASSWORD", default="demo-password-2022",
              show_default=True, help="Password for every demo account.")
@click.option("--large", is_flag=True, help="Load the large procurement instead: 5 lots x 50 bidders x 40 questions "
              "x 8 evaluators, scored and moderated (the benchmarks' data).")
@click.option("--as-in-2022", "as_in_2022", is_flag=True,
              help="Keep the council's 2022 timetable, with the responses and tenders received on their 2022 dates "
              "(by default the timetable is moved forward to start today, and nobody has responded yet).")
@with_appcontext
def demo_command(password, large, as_in_2022):
    """Load the Live Well Kent recommission (decision 22/00033) with demo users and supplier logins.

    Also loads a second procurement open for tenders until 30 days from today, the demo suppliers invited.
    """
    from tender.demo import load_demo
    from tender.demo_large import load_large

    created, lines = load_large(password) if large else \
        load_demo(password, as_in_2022=as_in_2022, open_for_tenders=True)
    for line in lines:
        click.echo(line)


def register_commands(app: Flask) -> None:
    """Attach Tender's commands to ``app.cli``."""
    from tender.cli.audit import audit_group
    from tender.cli.ocds import ocds_group
    from tender.cli.report import report_command
    from tender.cli.reminders import reminders_group
    from tender.cli.worker import worker_command
    from tender.cli.workflow_migrate import migrate_command

    workflow_group.add_command(migrate_command)
    for command in (workflow_group, users_group, demo_command, audit_group, reminders_group, ocds_group,
                    report_command, worker_command):
        app.cli.add_command(command)
    try:
        from tender.cli.evaluate import evaluate_command, rules_check_command
    except ImportError:  # pragma: no cover - evaluation module absent
        return
    app.cli.add_command(evaluate_command, "evaluate")
    rules = click.Group("rules", help="Check evaluation models.")
    rules.add_command(rules_check_command, "check")
    app.cli.add_command(rules)
