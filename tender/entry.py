"""The ``tender`` console command: Flask's CLI around Tender's app factory.

Kept apart from ``tender.cli`` (which the app factory imports to register
its commands) so that the command line and the package import each other in
one direction only.
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, run_command


def _create_app(*_args) -> Flask:
    from tender import create_app

    return create_app(serving=False)  # commands sign no cookies, so they need no secret key


def _run_with_secret_key() -> click.Command:
    """``tender run`` is a web server, so production needs ``TENDER_SECRET_KEY`` (as under gunicorn).

    Flask's own ``run``, after the same check: without it the development
    server would start and answer every page with a 500.
    """
    serve = run_command.callback

    def run(**options):
        from tender.config import MissingSecretKey, require_secret_key

        app = click.get_current_context().ensure_object(ScriptInfo).load_app()  # the one ``serve`` runs
        try:
            require_secret_key(app.config)
        except MissingSecretKey as exc:
            raise click.ClickException(str(exc)) from None
        return serve(**options)

    return click.Command("run", params=run_command.params, callback=run, help=run_command.help,
                         short_help=run_command.short_help)


def main() -> None:
    """Console-script entry point."""
    cli = FlaskGroup(create_app=_create_app, add_version_option=True, set_debug_flag=False,
                     help="Tender: procurement and tender-evaluation workflow engine.")
    cli.add_command(_run_with_secret_key())
    cli.main(prog_name="tender")


if __name__ == "__main__":
    main()
