"""Notifications (milestones due soon and overdue) and the private calendar feed.

``/notifications`` shows the logged-in person what the reminder e-mails tell
them, as of today, every time (not only what has not been mailed yet). The
header's "Notifications (n)" count comes from the same rules, as date bounds
in two small queries (``reminders.notification_count``).

``/calendar/<token>.ics`` needs no login, because calendar clients cannot log
in: the long random token in the URL is the credential. It is compared in
constant time, unknown tokens get a plain 404, and "Reset link" on the
notifications page replaces the token so that a leaked URL stops working.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, NumberRange

from tender.domain.calendar_feed import build_calendar
from tender.services import audit, clock, reminders
from tender.services.award import standstill
from tender.services.errors import ServiceError
from tender.web.auth import client_ip
from tender.web.fields import WholeNumberField

bp = Blueprint("notifications", __name__)

UK = ZoneInfo("Europe/London")


class ResetCalendarForm(FlaskForm):
    """No fields: the CSRF token is the form."""


class NoticePeriodForm(FlaskForm):
    """How many working days before a milestone the person wants to be reminded."""

    working_days = WholeNumberField("Working days before a milestone", validators=[
        InputRequired("Enter a number of working days"),
        NumberRange(min=1, max=30, message="Enter a number of working days from 1 to 30")],
        invalid_message="Enter the number of working days as a whole number from 1 to 30, like 5")


@bp.app_context_processor
def notification_count():
    """``notification_count()`` for the header: evaluated only where the template calls it."""

    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return reminders.notification_count(current_user, clock.today())
        except Exception:  # noqa: BLE001 - a count must never break every page
            current_app.logger.exception("could not count notifications")
            return 0

    return {"notification_count": count}


def _feed_url(token: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for("notifications.calendar_feed", token=token)


@bp.route("/notifications")
@login_required
def index(status: int = 200, errors: list | None = None, notice_form: NoticePeriodForm | None = None):
    """The person's overdue and due-soon milestones, and their calendar subscription link."""
    today = clock.today()
    digest = reminders.notifications_for(current_user, today)
    items = sorted(digest.items, key=lambda i: (i.milestone.planned_date, i.sort_key))
    token = current_user.calendar_token
    return render_template(
        "notifications/index.html", today=today,
        overdue=[i for i in items if i.kind == "overdue"],
        due_soon=[i for i in items if i.kind == "due_soon"],
        escalations=[i for i in items if i.kind == "escalation"],
        feed_url=_feed_url(token) if token else None, form=ResetCalendarForm(),
        notice_form=notice_form or NoticePeriodForm(formdata=None, working_days=current_user.reminder_notice_days),
        errors=errors or [],
    ), status


@bp.route("/notifications/calendar-link", methods=["POST"])
@login_required
def reset_calendar_link():
    """Replace the calendar token: the old subscription URL stops working at once."""
    form = ResetCalendarForm()
    if not form.validate_on_submit():
        abort(400)
    reminders.reset_calendar_token(current_user, audit.Actor.of(current_user, client_ip()))
    flash("Your calendar link has been reset. Subscribe again with the new link; the old one no longer works.",
          "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/notice-period", methods=["POST"])
@login_required
def set_notice_period():
    """Change how far ahead this person is reminded."""
    form = NoticePeriodForm()
    if not form.validate():  # only a form error is shown at the POST address, with status 400
        return index(400, [(e, "working_days") for e in form.errors.get("working_days", [])] or
                     [e for errs in form.errors.values() for e in errs], form)
    try:
        reminders.set_notice_period(current_user, form.working_days.data, audit.Actor.of(current_user, client_ip()))
    except ServiceError as exc:
        flash(str(exc), "warning")  # Post/Redirect/Get: refreshing the page must not send the form again
        return redirect(url_for("notifications.index", _anchor="notice-period"))
    flash(f"You will be reminded {form.working_days.data} working days before each of your milestones.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    """The person's milestones as iCalendar; 404 for an unknown or reset token."""
    user = reminders.find_calendar_user(token)
    if user is None:
        abort(404)
    now = clock.now().astimezone(UK)
    body = build_calendar(user.name, reminders.owned_milestones(user), current_app.config["BASE_URL"], now,
                          standstill_ends=standstill.standstill_ends_for(user.id))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="tender-milestones.ics"',
        # The URL is a credential: do not let it leak to other sites or caches.
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
    })
