"""Submission pages (issue 18, parts 2-3): the supplier's responses, receipts and register; the officer's tender box.

Thin views: each form goes to one service call (``tender.services.submissions``), which authorises,
checks the server's clock and audits; a refusal comes back to the page it was sent from with the
reason (the app's ``ServiceError`` handler), or as its status without a referrer. Documents are
uploaded through ``tender.web.file_transfer.receive`` and downloaded through ``send_stored``.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tender.services.errors import InvalidRequest
from tender.services.submissions import drafting, pages, reading, rounds, submitting, tender_box
from tender.web import supplier_access
from tender.web.auth import client_ip
from tender.web.downloads import content_disposition
from tender.web.file_transfer import receive, send_stored
from tender.web.submission_forms import ANSWER, AnswersForm, DocumentForm, ExtendForm, PriceForm, VersionForm

bp = Blueprint("submissions_supplier", __name__, url_prefix="/supplier")
officer_bp = Blueprint("tender_box", __name__, url_prefix="/procurements/<int:procurement_id>/tender-box")

supplier_access.allow_blueprint("submissions_supplier")
supplier_access.add_invitation_link("Your responses, receipts and the tender box register",
                                    "submissions_supplier.index", order=20)


@bp.before_request
def _suppliers_only():
    """These pages are a supplier's own: staff are refused before a form or an upload is read (403, not 400)."""
    if current_user.is_authenticated and not supplier_access.is_supplier(current_user):
        abort(403)


@bp.app_template_global("deadline_text")
def deadline_text(moment) -> str:
    """A round's deadline as pages show it: "11:59pm on 11 July 2022"."""
    return rounds.describe_deadline(moment)


@officer_bp.app_template_global("tender_box_rounds")
def tender_box_rounds(procurement) -> list[tuple[str, str]]:
    """(round name, label) of each round the procurement takes responses in: the tender box links."""
    return [(r.name, r.label) for r in rounds.rounds_of(procurement).values()]


def _valid(form) -> None:
    """Refuse a form that fails its shape checks with its first message (a 400 naming the field)."""
    if not form.validate():
        raise InvalidRequest(next(e for errs in form.errors.values() for e in errs) + ".")


def _to_submission(submission_id: int, anchor: str = ""):
    return redirect(url_for(".submission", submission_id=submission_id) + (f"#{anchor}" if anchor else ""))


# --------------------------------------------------------------------------- the supplier's side


@bp.route("/procurements/<int:procurement_id>/responses")
@login_required
def index(procurement_id: int):
    """Each round and lot the supplier may respond to, its own status, and each published register."""
    procurement, supplier, views = pages.supplier_index(current_user, procurement_id)
    return render_template("submissions/index.html", procurement=procurement, supplier=supplier, rounds=views,
                           form=VersionForm())


@bp.route("/procurements/<int:procurement_id>/responses/<round_name>/<int:lot_number>/start", methods=["POST"])
@login_required
def start(procurement_id: int, round_name: str, lot_number: int):
    """Open the organisation's draft for a lot (created empty the first time)."""
    _valid(VersionForm())
    submission = drafting.open_draft(current_user, procurement_id, round_name, lot_number, ip=client_ip())
    return _to_submission(submission.id)


@bp.route("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    """The draft or submitted response: answers, documents, the price envelope, submit or withdraw."""
    view = pages.supplier_submission(current_user, submission_id)
    return render_template("submissions/submission.html", view=view, form=VersionForm(), answers=view.answers)


@bp.route("/submissions/<int:submission_id>/answers", methods=["POST"])
@login_required
def save_answers(submission_id: int):
    """Save the answers as a draft."""
    form = AnswersForm()
    _valid(form)
    answers = {key[len(ANSWER):]: value for key, value in request.form.items() if key.startswith(ANSWER)}
    try:
        drafting.save_answers(current_user, submission_id, answers, expected_version=form.version.data,
                              ip=client_ip())
    except InvalidRequest as refused:  # a lost race (409) still reloads the latest draft, as everywhere
        return _answers_refused(submission_id, answers, refused)
    flash("Your answers are saved as a draft. Nothing is submitted until you press “Submit”.", "success")
    return _to_submission(submission_id, "answers")


def _answers_refused(submission_id: int, typed: dict, refused: InvalidRequest):
    """The page again with the reason and everything the supplier typed, so a long answer is never lost.

    The app's usual answer to a refused form (redirect to the page it came from) would show the stored
    draft instead, throwing away every answer typed since the last save.
    """
    view = pages.supplier_submission(current_user, submission_id)
    kept = dict(view.answers)
    if view.open and view.submission.status == "draft":  # never shown as if it were what was submitted
        kept.update((k, v) for k, v in typed.items() if k in {q.id for q in view.questions})
    flash(str(refused), "warning")
    return render_template("submissions/submission.html", view=view, form=VersionForm(), answers=kept), \
        refused.status


@bp.route("/submissions/<int:submission_id>/price", methods=["POST"])
@login_required
def save_price(submission_id: int):
    """Save the price in its sealed envelope."""
    form = PriceForm()
    _valid(form)
    drafting.save_price(current_user, submission_id, form.price.data, expected_version=form.version.data,
                        ip=client_ip())
    flash("Your price is saved in its sealed envelope.", "success")
    return _to_submission(submission_id, "price")


@bp.route("/submissions/<int:submission_id>/documents", methods=["POST"])
@login_required
def upload(submission_id: int):
    """Attach a document: the upload goes through ``file_transfer.receive`` into storage, streamed."""
    form = DocumentForm()
    _valid(form)
    attachment = drafting.attach(current_user, submission_id, receive(request.files.get("document")),
                                 question_id=form.question.data or "", expected_version=form.version.data,
                                 ip=client_ip())
    flash(f"“{attachment.filename}” is attached.", "success")
    return _to_submission(submission_id, "documents")


@bp.route("/submissions/<int:submission_id>/documents/<int:attachment_id>/remove", methods=["POST"])
@login_required
def remove(submission_id: int, attachment_id: int):
    """Take a document off the draft."""
    form = VersionForm()
    _valid(form)
    drafting.remove_attachment(current_user, submission_id, attachment_id, expected_version=form.version.data,
                               ip=client_ip())
    flash("The document is removed.", "success")
    return _to_submission(submission_id, "documents")


@bp.route("/submissions/<int:submission_id>/documents/<int:attachment_id>")
@login_required
def download(submission_id: int, attachment_id: int):
    """One of the organisation's own documents."""
    attachment, stored = reading.own_attachment(current_user, submission_id, attachment_id)
    return send_stored(stored, attachment.filename)


@bp.route("/submissions/<int:submission_id>/submit", methods=["POST"])
@login_required
def submit(submission_id: int):
    """Submit before the deadline: the receipt page follows."""
    form = VersionForm()
    _valid(form)
    submitting.submit(current_user, submission_id, expected_version=form.version.data, ip=client_ip())
    return redirect(url_for(".receipt", submission_id=submission_id))


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["POST"])
@login_required
def withdraw(submission_id: int):
    """Withdraw before the deadline: the response is a draft again."""
    form = VersionForm()
    _valid(form)
    submitting.withdraw(current_user, submission_id, expected_version=form.version.data, ip=client_ip())
    flash("Your response is withdrawn and is a draft again. Submit it again before the deadline for it to count.",
          "success")
    return _to_submission(submission_id)


@bp.route("/submissions/<int:submission_id>/receipt")
@login_required
def receipt(submission_id: int):
    """The receipt: server time, each file's SHA-256, the manifest's SHA-256."""
    view, row = pages.own_receipt(current_user, submission_id)
    return render_template("submissions/receipt.html", view=view, receipt=row, manifest=json.loads(row.manifest))


@bp.route("/submissions/<int:submission_id>/receipt.json")
@login_required
def receipt_download(submission_id: int):
    """The receipt to keep, with the manifest exactly as hashed."""
    view, row = pages.own_receipt(current_user, submission_id)
    document = pages.receipt_document(view, row)
    response = Response(json.dumps(document, indent=2, ensure_ascii=False) + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = content_disposition(f"receipt-{document['receipt']}.json")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/procurements/<int:procurement_id>/responses/<round_name>/register")
@login_required
def register(procurement_id: int, round_name: str):
    """The round's register of receipts, once the deadline has passed: each supplier can find its own."""
    procurement, supplier, views = pages.supplier_index(current_user, procurement_id)
    found = next((r for r in views if r.round.name == round_name), None)
    if found is None:
        return render_template("errors/error.html", title="Page not found",
                               message="This procurement takes no responses in that round."), 404
    return render_template("submissions/register.html", procurement=procurement, view=found)


# --------------------------------------------------------------------------- the officer's side


@officer_bp.route("/<round_name>")
@login_required
def box(procurement_id: int, round_name: str):
    """The round's tender box: the deadline, how many are in it, its register, opening and extension."""
    view = pages.officer_box(current_user, procurement_id, round_name)
    return render_template("submissions/box.html", view=view, procurement=view.procurement, form=ExtendForm())


@officer_bp.route("/<round_name>/open", methods=["POST"])
@login_required
def open_box(procurement_id: int, round_name: str):
    """Open the quality envelopes after the deadline (audited, once)."""
    form = VersionForm()
    _valid(form)
    opened = tender_box.open_box(current_user, procurement_id, round_name, expected_version=form.version.data,
                                 ip=client_ip())
    flash(f"The tender box is open. The responses are recorded as tenders (register digest "
          f"{opened.register_digest[:12]}…). Prices stay sealed until the price opening.", "success")
    return redirect(url_for(".box", procurement_id=procurement_id, round_name=round_name))


@officer_bp.route("/<round_name>/extend", methods=["POST"])
@login_required
def extend(procurement_id: int, round_name: str):
    """Extend the round's deadline for every invited supplier (audited)."""
    form = ExtendForm()
    _valid(form)
    milestone = submitting.extend_deadline(current_user, procurement_id, round_name, form.new_deadline.data,
                                           form.reason.data, expected_version=form.version.data, ip=client_ip())
    flash(f"The deadline is now the end of {milestone.planned_date:%-d %B %Y} for every invited supplier.",
          "success")
    return redirect(url_for(".box", procurement_id=procurement_id, round_name=round_name))


@officer_bp.route("/tenders/<int:bid_id>")
@login_required
def bid(procurement_id: int, bid_id: int):
    """A tender opened from the box: its answers and documents (never its price)."""
    procurement, row, submission, questions, answers, documents = pages.officer_bid(current_user, procurement_id,
                                                                                      bid_id)
    return render_template("submissions/bid.html", procurement=procurement, bid=row, submission=submission,
                           questions=questions, answers=answers, documents=documents)


@officer_bp.route("/tenders/<int:bid_id>/documents/<int:attachment_id>")
@login_required
def bid_document(procurement_id: int, bid_id: int, attachment_id: int):
    """One document of an opened tender."""
    pages.officer_bid(current_user, procurement_id, bid_id)
    attachment, stored = reading.attachment_for_download(current_user, bid_id, attachment_id)
    return send_stored(stored, attachment.filename)
