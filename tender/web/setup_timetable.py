"""The whole timetable on one page: a date and an owner for every milestone, one submit (routes on setup.bp).

Shape is checked here (a real date, an owner from the list); meaning by
``timetable.plan_timetable``. Either way the page comes back with status 400,
every problem in the error summary linked to its field and shown beside it,
and everything typed kept; nothing is saved unless every row is right.
"""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from tender.extensions import db
from tender.models import User
from tender.services.errors import InvalidRequest
from tender.services.procurement import timetable
from tender.services.procurement.workflow import get_procurement
from tender.web.auth import client_ip
from tender.web.setup import bp

FIELD_IDS = {timetable.DATE: "date-{}", timetable.OWNER: "owner-{}"}


def _parse(milestones, form) -> tuple[dict, dict]:
    """(entries for the service, shape errors by milestone id and field) from the posted form."""
    entries, errors = {}, {}
    for m in milestones:
        raw_date, raw_owner = form.get(f"date-{m.id}", "").strip(), form.get(f"owner-{m.id}", "").strip()
        day = owner = None
        if raw_date:
            try:
                day = date.fromisoformat(raw_date)
            except ValueError:
                errors[m.id] = {timetable.DATE: f"Enter the planned date for “{m.title}” as a real date, "
                                                "like 4 April 2022"}
        if raw_owner.isdigit() and len(raw_owner) < 10:
            owner = int(raw_owner)
        elif day is not None:
            errors.setdefault(m.id, {})[timetable.OWNER] = f"Choose who owns “{m.title}” from the list"
        entries[m.id] = (day, owner)
    return entries, errors


def _page(procurement, status: int = 200, errors: dict | None = None, summary: list | None = None):
    errors = errors or {}
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    if summary is None:
        summary = [(message, FIELD_IDS[field].format(m.id) if timetable.open_to_plan(m) else f"milestone-{m.id}")
                   for m in procurement.milestones for field, message in errors.get(m.id, {}).items()]
    return render_template("setup/timetable.html", procurement=procurement, users=users, field_errors=errors,
                           errors=summary, posted=request.form if request.method == "POST" else {},
                           open_to_plan=timetable.open_to_plan,
                           plannable=any(timetable.open_to_plan(m) for m in procurement.milestones)), status


@bp.route("/<int:procurement_id>/set-up/timetable", methods=["GET", "POST"])
@login_required
def plan_timetable(procurement_id: int):
    """Every undated milestone's date and owner, saved together or not at all."""
    procurement = get_procurement(procurement_id)
    if request.method == "GET":
        return _page(procurement)
    if not FlaskForm().validate():
        return _page(procurement, 400, summary=["The form had expired. Enter the dates again and save."])
    entries, errors = _parse(procurement.milestones, request.form)
    if errors:
        return _page(procurement, 400, errors)
    try:
        plan = timetable.plan_timetable(current_user, procurement.id, entries, ip=client_ip())
    except timetable.TimetableErrors as exc:
        return _page(get_procurement(procurement_id), 400, exc.errors)
    except InvalidRequest as exc:
        return _page(get_procurement(procurement_id), 400, summary=[str(exc)])
    flash(f"{plan.planned} milestone{'s' if plan.planned != 1 else ''} planned.", "success")
    for warning in plan.warnings:
        flash(warning, "warning")
    return redirect(url_for("setup.page", procurement_id=procurement.id, _anchor="timetable"))
