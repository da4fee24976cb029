"""The ``tender`` console command: Flask's CLI around Tender's app factory.

Kept apart from ``tender.cli`` (which the app factory imports to register
its commands) so that the command line and the package import each other in
one direction only.
"""
from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def _create_app(*_args) -> Flask:
    from tender import create_app

    return create_app(serving=False)  # commands sign no cookies, so they need no secret key


def main() -> None:
    """Console-script entry point."""
    cli = FlaskGroup(create_app=_create_app, add_version_option=True, set_debug_flag=False,
                     help="Tender: procurement and tender-evaluation workflow engine.")
    cli.main(prog_name="tender")


if __name__ == "__main__":
    main()
