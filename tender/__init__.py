"""Tender: procurement and tender-evaluation workflow engine.

``create_app`` is the application factory (Flask's tutorial pattern): tests
pass a config mapping; everything else comes from the environment.
"""
from __future__ import annotations

import os

from flask import Flask

from tender.resources import data_dir, migrations_dir

__version__ = "0.1.0"


def create_app(test_config: dict | None = None, *, serving: bool = True) -> Flask:
    """Build the Flask app with its extensions, blueprints and security headers.

    ``serving`` is False for the ``tender`` command line: its commands sign no
    cookies, so they run on a host without ``TENDER_SECRET_KEY`` (a web server
    in production refuses to start without one).
    """
    app = Flask(__name__, instance_path=os.environ.get("TENDER_INSTANCE_PATH") or None,
                template_folder=str(data_dir("templates")))
    from tender.config import build_config

    app.config.update(build_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    from tender.config import require_secret_key

    if serving:
        require_secret_key(app.config)  # production without TENDER_SECRET_KEY stops here, saying how to make one

    from tender import logs

    logs.configure(app)

    from tender import models  # noqa: F401 - registers the tables
    from tender.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(migrations_dir()), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from tender.services.procurement.procedures import registry

    # Load and validate every workflow now: a broken file stops start-up, not a request.
    registry(app.config.get("TENDER_WORKFLOWS_DIR") or None)

    from tender.web import register_web

    register_web(app)
    from tender.cli import register_commands

    register_commands(app)
    return app
