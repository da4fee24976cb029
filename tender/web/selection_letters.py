"""Notices to candidates not selected at the selection stage: thin views over the service."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tender.models.job import ACTIVE
from tender.services import clock, jobs
from tender.services.accounts import authorise
from tender.services.award.letter_jobs import SEND_JOB
from tender.services.errors import InvalidRequest, ServiceError
from tender.services.procurement import selection_letters as notices
from tender.services.procurement.workflow import get_procurement
from tender.web.auth import client_ip
from tender.web.letters import _pdf, _sender_settings

bp = Blueprint("selection_letters", __name__, url_prefix="/procurements/<int:procurement_id>/selection-letters")


def _index(procurement_id: int, errors: list[str] | None = None, status: int = 200):
    from tender.domain.roles import Permission

    authorise(current_user, Permission.VIEW_PROCUREMENTS)
    procurement = get_procurement(procurement_id)
    items = notices.letters_for(procurement_id)
    job = jobs.latest_job(procurement_id, SEND_JOB)
    return render_template("selection_letters/index.html", procurement=procurement, letters=items,
                           rejected=notices.rejected_responses(procurement_id),
                           checks=notices.draft_checks(procurement, items), job=job,
                           sending=job is not None and job.status in ACTIVE, errors=errors or [],
                           today=clock.today()), status


@bp.route("")
@login_required
def index(procurement_id: int):
    """Every notice to a candidate not selected, its status and delivery, and the actions that apply."""
    return _index(procurement_id)


def _act(procurement_id: int, action, done):
    try:
        result = action()
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _index(procurement_id, [str(exc)], 400)
    flash(done if isinstance(done, str) else done(result), "success")
    return redirect(url_for(".index", procurement_id=procurement_id))


@bp.route("/draft", methods=["POST"])
@login_required
def draft(procurement_id: int):
    """Draft a notice for every candidate recorded as rejected that has none."""
    return _act(procurement_id, lambda: notices.draft(procurement_id, current_user, client_ip()),
                lambda created: f"{len(created)} notice{'s' if len(created) != 1 else ''} drafted. "
                                "Check and edit each one before sending.")


@bp.route("/send", methods=["POST"])
@login_required
def send(procurement_id: int):
    """Queue every draft notice (and any failed e-mail) for the background worker."""
    if request.form.get("confirm") != "yes":
        return _index(procurement_id, ["Confirm that you have checked every notice and want to send them."], 400)

    def message(result: notices.Queued) -> str:
        parts = [f"{result.queued} notice{'s' if result.queued != 1 else ''} queued for sending"] \
            if result.queued else []
        if result.retried:
            parts.append(f"{result.retried} failed e-mail{'s' if result.retried != 1 else ''} queued to be sent again")
        return ". ".join(parts) + ". This page shows each notice's progress."
    return _act(procurement_id, lambda: notices.send(procurement_id, current_user, _sender_settings(), client_ip()),
                message)


@bp.route("/<int:selection_letter_id>", methods=["GET", "POST"])
@login_required
def letter(procurement_id: int, selection_letter_id: int):
    """Preview one notice as the candidate will read it, and edit it while it is a draft."""
    errors = []
    if request.method == "POST":
        try:
            notices.edit(procurement_id, selection_letter_id, current_user, request.form.get("reasons", ""),
                         request.form.get("method", ""), request.form.get("recipient_email"), client_ip())
        except ServiceError as exc:
            if exc.status != 400:
                raise
            errors.append(str(exc))
        else:
            flash("Notice saved.", "success")
            return redirect(url_for(".letter", procurement_id=procurement_id,
                                    selection_letter_id=selection_letter_id))
    page, _ = notices.preview(procurement_id, selection_letter_id, current_user)
    item = notices.get_letter(procurement_id, selection_letter_id)
    form = request.form if errors else {"reasons": item.reasons, "method": item.method,
                                        "recipient_email": item.recipient_email or ""}
    procurement = get_procurement(procurement_id)
    return render_template("selection_letters/letter_page.html", procurement=procurement, letter=item, doc=page,
                           form=form, errors=errors,
                           checks=notices.draft_checks(procurement, [item])), 400 if errors else 200


@bp.route("/<int:selection_letter_id>/preview.pdf")
@login_required
def preview_pdf(procurement_id: int, selection_letter_id: int):
    """The notice as a PDF as it would be sent now (marked as a draft until sent)."""
    from tender.domain.letters import selection_filename

    page, pdf = notices.preview(procurement_id, selection_letter_id, current_user, as_pdf=True)
    return _pdf("preview-" + selection_filename(page["reference"], page["supplier"]), pdf, inline=True)


@bp.route("/<int:selection_letter_id>/document.pdf")
@login_required
def document(procurement_id: int, selection_letter_id: int):
    """The notice exactly as sent: the stored bytes."""
    filename, content = notices.document(procurement_id, selection_letter_id, current_user)
    return _pdf(filename, content)


@bp.route("/<int:selection_letter_id>/posted", methods=["POST"])
@login_required
def posted(procurement_id: int, selection_letter_id: int):
    """Record the day a notice going by post was posted."""
    def record():
        try:
            day = date(int(request.form.get("year", "")), int(request.form.get("month", "")),
                       int(request.form.get("day", "")))
        except (TypeError, ValueError, OverflowError):
            raise InvalidRequest("Enter the date the notice was posted, for example 26 9 2022.") from None
        return notices.record_posting(procurement_id, selection_letter_id, current_user, day, client_ip())
    return _act(procurement_id, record, "Posting recorded.")


__all__ = ["bp"]
