"""The web UI: blueprints, login wiring, error pages and security headers."""
from __future__ import annotations

import logging

from flask import Flask, flash, g, make_response, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import InternalServerError

from tender.domain.periods import format_uk_date
from tender.domain.roles import Permission, Role, may
from tender.extensions import login_manager
from tender.services.accounts import load_session_user
from tender.services.errors import ServiceError
from tender.services import clock

log = logging.getLogger("tender.web")
#: What SQLAlchemy raises when the database cannot be reached (SQLite's "database is locked" aside).
DATABASE_GONE = (OperationalError, DisconnectionError, InterfaceError)

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def register_web(app: Flask) -> None:
    """Attach blueprints, the session loader, error handlers and headers to ``app``."""
    from tender.web import (admin, audit_views, auth, award, dashboard, evaluation, hardening, letters, notifications,
                            ocds, procurements, publishing, setup, standstill)
    from tender.web import setup_corrections, setup_timetable  # noqa: F401  (their routes are on setup.bp)
    from tender.web import abnormally_low, act_standstill, conflicts_assessment, selection_letters

    hardening.register(app)  # first: the bounded id converter must be in place before any route uses it
    from tender.web import file_transfer

    file_transfer.register(app)  # MAX_CONTENT_LENGTH from the file limit, and the 413 page

    for module in (admin, auth, dashboard, procurements, audit_views, notifications, evaluation, setup, ocds, award,
                   standstill, letters, publishing):
        app.register_blueprint(module.bp)
    for module in (conflicts_assessment, abnormally_low, act_standstill):  # the Procurement Act's records
        app.register_blueprint(module.bp)
    app.register_blueprint(selection_letters.bp)  # notices to candidates not selected
    from tender.web import supplier_access, suppliers  # issue 18: supplier accounts, kept to their own pages
    supplier_access.register(app)
    app.register_blueprint(suppliers.bp)
    app.register_blueprint(suppliers.officer_bp)
    from tender.web import clarifications

    app.register_blueprint(clarifications.bp)  # clarification questions and answers (issue 18)
    from tender.web import submissions
    app.register_blueprint(submissions.bp)  # suppliers' responses, receipts and the register (issue 18)
    app.register_blueprint(submissions.officer_bp)  # the officer's tender box: extension and opening (issue 18)
    from tender.web import account

    app.register_blueprint(account.bp)  # people's own passwords: invitation, change, reset (issue 19)
    from tender.web import sso

    app.register_blueprint(sso.bp)  # single sign-on beside passwords (OpenID Connect)
    sso.init_app(app)
    from tender.web import contract

    app.register_blueprint(contract.bp)  # the contract as signed, per lot awarded (issue 19)
    from tender.domain import numbers

    app.jinja_env.filters["number"] = numbers.fixed  # {{ x|number(1) }}: every number on a page, never "-0.0"

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session_user)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.endpoint != "static" and "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/error.html", title="Your form could not be sent",
                               message="The form had expired or was not sent from Tender. "
                                       "Go back, reload the page and try again. Nothing was changed."), 400

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        back = _same_site_referrer()
        if request.method == "POST" and error.status in (400, 409) and back:
            # Post/Redirect/Get: say why on the page the form came from; refreshing it sends nothing again.
            # Without a same-site referrer (an API client, a script) the refusal keeps its status: 400 or 409.
            flash(str(error), "warning")
            return redirect(back)
        return render_template("errors/error.html", title="That could not be done", message=str(error)), error.status

    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError):
        """SQLite refuses a second writer that read before the first committed: a lost race, not a fault."""
        if "database is locked" not in str(error.orig):
            return database_unreachable(error)
        _roll_back()
        return render_template("errors/error.html", title="Someone else changed this at the same moment",
                               message="Nothing was changed. Reload the page to see the latest, then try again."), 409

    @app.errorhandler(DisconnectionError)
    @app.errorhandler(InterfaceError)
    def database_unreachable(error: Exception):
        """The database went away (down, restarting, connection cut): a page saying so, not a traceback."""
        log.error("the database could not be reached", exc_info=error)
        _roll_back()
        _forget_user()
        response = make_response(_problem_page("errors/503.html", "Sorry, the service is unavailable"), 503)
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        """Anything unforeseen (Flask has logged it with its traceback): a page with the request's reference."""
        _roll_back()
        if isinstance(error.original_exception, DATABASE_GONE):
            _forget_user()
        return _problem_page("errors/500.html", "Sorry, there is a problem with the service"), 500

    @app.errorhandler(403)
    def forbidden(error):
        return render_template("errors/error.html", title="You do not have access",
                               message="You do not have permission to see this page."), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/error.html", title="Page not found",
                               message="Check the address, or go back to your dashboard."), 404

    @app.context_processor
    def helpers():
        from tender.web.setup import _uk_time

        return {"uk_date": lambda d: format_uk_date(d) if d else "Not set", "may": may, "uk_time": _uk_time,
                "Permission": Permission, "Role": Role, "today": clock.today()}


def _roll_back() -> None:
    """End the failed request's transaction; if even that fails (the connection is dead), let the pool drop it."""
    from tender.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the page must still be shown; the connection is already invalid
        log.warning("could not roll back after a failure", exc_info=True)


def _forget_user() -> None:
    """Show the failure page as to nobody in particular: loading (or refreshing) the user would need the database."""
    g._login_user = login_manager.anonymous_user()


def _problem_page(template: str, title: str) -> str:
    """A failure page that reads neither the database nor the user, with the request's id (also in the log)."""
    return render_template(template, title=title, request_id=getattr(g, "request_id", ""))


def _same_site_referrer() -> str | None:
    """The page a form was sent from, if it is one of Tender's own (never a redirect to another site)."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return referrer
    return None
