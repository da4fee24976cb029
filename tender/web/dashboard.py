"""The dashboard: procurements with their stage, next milestone and overdue ones."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from tender.domain.roles import Permission, may
from tender.services import clock, supplier_tasks, tasks
from tender.services.procurement import views
from tender.web import supplier_access

bp = Blueprint("dashboard", __name__)
# A supplier's dashboard is its home page (supplier_access sends it there): its tasks are a section of it.
supplier_access.add_home_section("dashboard/_supplier_tasks.html", order=10)


@bp.app_template_global()
def supplier_next_tasks() -> list:
    """The signed-in supplier's next tasks: drafts to submit, rounds to respond to before their deadlines."""
    return supplier_tasks.for_supplier(current_user)


@bp.route("/")
@login_required
def index():
    """Each person's next tasks, each linked to where it is done; officers and reviewers also see every procurement."""
    today = clock.today()
    next_tasks = tasks.for_user(current_user, today)
    if not may(current_user.role, Permission.VIEW_PROCUREMENTS):
        return render_template("dashboard/evaluator.html", tasks=next_tasks)
    return render_template("dashboard/index.html", rows=views.dashboard_rows(today), today=today, tasks=next_tasks)


@bp.route("/healthz")
def health():
    """Readiness for load balancers: 200 if the app can query its database, 503 if it cannot.

    A process that answers but cannot reach the database serves only errors,
    so it must be taken out of rotation, not reported healthy.
    """
    import logging

    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from tender.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        logging.getLogger("tender.web").error("health check: the database is unreachable", exc_info=True)
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.route("/home")
def home():
    """Old bookmark."""
    return redirect(url_for("dashboard.index"))
