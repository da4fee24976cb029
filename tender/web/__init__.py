"""The web UI: blueprints, login wiring, error pages and security headers."""
from __future__ import annotations

from datetime import date

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from tender.domain.periods import format_uk_date
from tender.domain.roles import Permission, Role, may
from tender.extensions import login_manager
from tender.services.accounts import load_session_user
from tender.services.errors import ServiceError

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def register_web(app: Flask) -> None:
    """Attach blueprints, the session loader, error handlers and headers to ``app``."""
    from tender.web import (admin, audit_views, auth, award, dashboard, evaluation, hardening, letters, notifications,
                            ocds, procurements, publishing, setup, standstill)
    from tender.web import setup_corrections, setup_timetable  # noqa: F401  (their routes are on setup.bp)

    hardening.register(app)  # first: the bounded id converter must be in place before any route uses it

    for module in (admin, auth, dashboard, procurements, audit_views, notifications, evaluation, setup, ocds, award,
                   standstill, letters, publishing):
        app.register_blueprint(module.bp)

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
        if request.endpoint != "static":
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
        from tender.extensions import db

        db.session.rollback()
        if "database is locked" not in str(error.orig):
            raise error
        return render_template("errors/error.html", title="Someone else changed this at the same moment",
                               message="Nothing was changed. Reload the page to see the latest, then try again."), 409

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
                "Permission": Permission, "Role": Role, "today": date.today()}


def _same_site_referrer() -> str | None:
    """The page a form was sent from, if it is one of Tender's own (never a redirect to another site)."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return referrer
    return None
