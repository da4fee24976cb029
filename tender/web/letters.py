"""Award decision letters, assessment summaries and the procurement report: thin views over the services."""
from __future__ import annotations

import os
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask import current_app
from flask_login import current_user, login_required

from tender.domain import letters as rules
from tender.mail import MailConfigError, MailSettings
from tender.models.letter import LetterDelivery
from tender.services.award import letter_contents, letters, report
from tender.models.job import ACTIVE
from tender.services import clock, jobs
from tender.services.errors import InvalidRequest, ServiceError
from tender.services.procurement.workflow import get_procurement
from tender.web.auth import client_ip

bp = Blueprint("letters", __name__, url_prefix="/procurements/<int:procurement_id>")


def mail_settings() -> MailSettings:
    """SMTP settings: the MAIL_* variables, overridden by the app's MAIL_* config (tests set those)."""
    env = dict(os.environ)
    env.update({k: str(v) for k, v in current_app.config.items() if k.startswith("MAIL_") and v is not None})
    try:
        return MailSettings.from_env(env)
    except MailConfigError as exc:
        raise InvalidRequest(f"E-mail is not set up ({exc}). Ask your administrator, or send the letters by post.")


def _sender_settings() -> MailSettings | None:
    """The mail settings if they can be read (the send checks the sender address); None if not set up."""
    try:
        return mail_settings()
    except InvalidRequest:
        return None


def _pdf(filename: str, content: bytes, inline: bool = False) -> Response:
    from tender.web.downloads import download_response

    return download_response(content, filename, "application/pdf", inline=inline)


def _index(procurement_id: int, errors: list[str] | None = None, status: int = 200):
    from sqlalchemy import select

    from tender.extensions import db

    from tender.services.award import access

    procurement = get_procurement(procurement_id)
    visible = access.visible_lot_ids(current_user, procurement)
    items = letters.letters_for(procurement_id)
    deliveries = {d.letter_id: d for d in db.session.scalars(
        select(LetterDelivery).where(LetterDelivery.letter_id.in_([l.id for l in items])))}
    job = jobs.latest_job(procurement_id, letters.SEND_JOB)
    shown = [letter for letter in items if letter.lot_id in visible]
    return render_template("letters/index.html", procurement=procurement, letters=items, deliveries=deliveries,
                           recommendations=letters.current_recommendations(procurement_id), job=job,
                           sending=job is not None and job.status in ACTIVE,
                           checks=letter_contents.draft_checks(procurement, shown),
                           prices=letter_contents.price_choices(shown),
                           kind=rules.kind_for(procurement.regime), errors=errors or [], today=clock.today(),
                           send_refusal=_send_refusal(procurement_id, items)), status


def _send_refusal(procurement_id: int, items) -> str | None:
    """Asked only when "Send the letters" would show (drafts not yet queued): the service's own checks."""
    from tender.domain.roles import Permission, may

    if not may(current_user.role, Permission.ADVANCE_STAGE) or not any(
            l.status == "draft" and l.queued_at is None for l in items):
        return None
    return letters.send_refusal(procurement_id, _sender_settings())


@bp.route("/letters")
@login_required
def index(procurement_id: int):
    """Every letter of the award decision, its status and delivery, and the actions that apply."""
    from tender.services.accounts import authorise
    from tender.domain.roles import Permission

    authorise(current_user, Permission.VIEW_RANKING)
    return _index(procurement_id)


def _act(procurement_id: int, action, done: str):
    try:
        result = action()
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _index(procurement_id, [str(exc)], 400)
    flash(done if isinstance(done, str) else done(result), "success")
    return redirect(url_for(".index", procurement_id=procurement_id))


@bp.route("/letters/draft", methods=["POST"])
@login_required
def draft(procurement_id: int):
    """Draft a letter for every tenderer of every lot with a recorded recommendation."""
    return _act(procurement_id, lambda: letters.draft(procurement_id, current_user, client_ip()),
                lambda created: f"{len(created)} letter{'s' if len(created) != 1 else ''} drafted. "
                                "Check and edit each one before sending.")


def _queued_message(result: letters.QueueResult) -> str:
    parts = []
    if result.queued:
        parts.append(f"{result.queued} letter{'s' if result.queued != 1 else ''} queued for sending")
    if result.retried:
        parts.append(f"{result.retried} failed e-mail{'s' if result.retried != 1 else ''} queued to be sent again")
    if not parts:
        parts.append("The letters are already being sent")
    return ". ".join(parts) + ". This page shows each letter's progress; it refreshes on its own while they go."


@bp.route("/letters/send", methods=["POST"])
@login_required
def send(procurement_id: int):
    """Issue and e-mail every letter (an audited action; standstill starts when the last has gone)."""
    if request.form.get("confirm") != "yes":
        return _index(procurement_id, ["Confirm that you have checked every letter and want to send them."], 400)
    return _act(procurement_id, lambda: letters.send(procurement_id, current_user, _sender_settings(), client_ip()),
                _queued_message)


@bp.route("/letters/retry", methods=["POST"])
@login_required
def retry(procurement_id: int):
    """E-mail again the letters whose delivery failed."""
    return _act(procurement_id, lambda: letters.retry(procurement_id, current_user, _sender_settings(), client_ip()),
                _queued_message)


def _require_letter_visible(procurement_id: int, letter_id: int) -> None:
    """403 for a letter about a lot the person declared a conflict on (or, as approver, has not declared on)."""
    from tender.services.award import access

    access.require_letter_visible(current_user, procurement_id, letter_id)


@bp.route("/letters/lots/<int:lot_number>/price", methods=["POST"])
@login_required
def withhold_price(procurement_id: int, lot_number: int):
    """Withhold the lot's contract price from its letters, with the reason, or state it again (audited)."""
    withhold = request.form.get("withhold") == "yes"
    return _act(procurement_id, lambda: letter_contents.withhold_price(
        procurement_id, lot_number, current_user, withhold, request.form.get("reason", ""), client_ip()),
        f"The contract price of lot {lot_number} is now "
        f"{'withheld from every letter of the lot, which says why' if withhold else 'stated in its letters'}.")


@bp.route("/letters/<int:letter_id>", methods=["GET", "POST"])
@login_required
def letter(procurement_id: int, letter_id: int):
    """Preview one letter as the tenderer will read it, and edit its narrative while it is a draft."""
    _require_letter_visible(procurement_id, letter_id)
    errors = []
    if request.method == "POST":
        try:
            letters.edit(procurement_id, letter_id, current_user, request.form.get("narrative", ""),
                         request.form.get("method", ""), request.form.get("recipient_email"), client_ip())
        except ServiceError as exc:
            if exc.status != 400:
                raise
            errors.append(str(exc))
        else:
            flash("Letter saved.", "success")
            return redirect(url_for(".letter", procurement_id=procurement_id, letter_id=letter_id))
    context, _ = letters.preview(procurement_id, letter_id, current_user)
    item = letters.get_letter(procurement_id, letter_id)
    form = request.form if errors else {"narrative": item.narrative, "method": item.method,
                                        "recipient_email": item.recipient_email or ""}
    procurement = get_procurement(procurement_id)
    return render_template("letters/letter_page.html", procurement=procurement, letter=item,
                           doc=context, form=form, errors=errors,
                           checks=letter_contents.draft_checks(procurement, [item])), 400 if errors else 200


@bp.route("/letters/<int:letter_id>/preview.pdf")
@login_required
def preview_pdf(procurement_id: int, letter_id: int):
    """The letter as a PDF as it would be sent now (marked as a draft until sent)."""
    _require_letter_visible(procurement_id, letter_id)
    context, pdf = letters.preview(procurement_id, letter_id, current_user, as_pdf=True)
    return _pdf("preview-" + rules.document_filename(context["reference"], context["facts"].lot_number,
                                                     context["facts"].supplier, context["kind"]), pdf, inline=True)


@bp.route("/letters/<int:letter_id>/document.pdf")
@login_required
def document(procurement_id: int, letter_id: int):
    """The letter exactly as sent: the stored bytes."""
    _require_letter_visible(procurement_id, letter_id)
    filename, content = letters.document(procurement_id, letter_id, current_user)
    return _pdf(filename, content)


@bp.route("/letters/<int:letter_id>/posted", methods=["POST"])
@login_required
def posted(procurement_id: int, letter_id: int):
    """Record the day a letter going by post was posted (PCR reg. 87(2)(b))."""
    def record():
        try:
            day = date(int(request.form.get("year", "")), int(request.form.get("month", "")),
                       int(request.form.get("day", "")))
        except (TypeError, ValueError, OverflowError):
            raise InvalidRequest("Enter the date the letter was posted, for example 26 9 2022.") from None
        return letters.record_posting(procurement_id, letter_id, current_user, day, client_ip())
    return _act(procurement_id, record, "Posting recorded.")


@bp.route("/report.pdf")
@login_required
def report_pdf(procurement_id: int):
    """The procurement report (reg. 84) as PDF/A, generated from the record (audited).

    Lots the person may not see (``tender.services.award.access``) are left out, with a note saying so.
    """
    filename, content = report.generate(procurement_id, current_user)
    return _pdf(filename, content)


@bp.route("/negotiation-ground", methods=["POST"])
@login_required
def negotiation_ground(procurement_id: int):
    """Record the reg. 26(4) ground for the competitive procedure with negotiation."""
    return _act(procurement_id, lambda: report.set_negotiation_ground(procurement_id, request.form.get("ground", ""),
                                                                      current_user, client_ip()),
                "Ground for the competitive procedure with negotiation recorded.")


__all__ = ["bp"]


def _register_document_filters(state) -> None:
    """The document filters (two_places, money, paragraphs, score, label) for the preview page."""
    from tender.services.award.documents import environment

    for name in ("two_places", "money", "paragraphs", "score", "label"):
        state.app.jinja_env.filters.setdefault(name, environment().filters[name])


bp.record_once(_register_document_filters)
