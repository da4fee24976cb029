"""Evaluation pages: the panel, conflict declarations, score sheets, moderation, ranking and export.

Views stay thin: parse, call one service, redirect or render. The services
decide access for every request (panel membership, declaration, independent
scoring, sealed prices), so a page that hides a button is never the only
protection.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tender.domain.roles import Permission, may
from tender.domain.scoring.model import PRICE_PART
from tender.models.evaluation import EVALUATOR
from tender.services.evaluation import bid_documents, envelope
from tender.services.evaluation import panel as evaluation
from tender.services.evaluation import export as evaluation_export
from tender.services.evaluation import ranking as evaluation_ranking
from tender.services.evaluation import scoring as evaluation_scoring
from tender.services.accounts import authorise
from tender.services.errors import NotAuthorised, ServiceError
from tender.services.evaluation.scoring import ScoreErrors
from tender.web.auth import client_ip
from tender.web.confirm import Confirmation, render_confirmation
from tender.web.downloads import download_response
from tender.web.file_transfer import send_stored
from tender.web.evaluation_chart import ranking_svg
from tender.web.evaluation_forms import (AssignForm, ConfirmForm, DeclarationForm, WithdrawForm, field_id,
                                         link_score_errors, score_sheet_problems, sections_from, sheet_action,
                                         sheet_entries, sheet_versions)

bp = Blueprint("evaluation", __name__, url_prefix="/procurements/<int:procurement_id>")
LOT = "/lots/<int:lot_number>/evaluation"
PART_TITLES = {PRICE_PART: "Price"}


@bp.app_context_processor
def evaluation_helpers():
    """Lazy helpers for the dashboard and the procurement overview (queries run only when called)."""
    return {"evaluation_lots_for_user": lambda: evaluation.lots_for(current_user),
            "evaluation_overview_rows": evaluation_ranking.overview_rows, "field_id": field_id}


def _errors(form) -> list[str]:
    return [e for errs in form.errors.values() for e in errs]


# Where each declaration error's summary link goes: the first radio, or the text box.
DECLARATION_IDS = {"has_conflict": "has_conflict-no", "details": "details"}


def _linked(by_field: dict[str, str], ids: dict[str, str]) -> list[tuple[str, str]]:
    """(message, field id) pairs for the error summary, in the order of the fields on the page."""
    return [(by_field[name], ids[name]) for name in ids if name in by_field]


@bp.route(LOT)
@login_required
def lot_start(procurement_id: int, lot_number: int):
    """The lot's evaluation, in the round now being evaluated."""
    lot = evaluation.get_lot(procurement_id, lot_number)
    return redirect(url_for(".lot", procurement_id=procurement_id, lot_number=lot_number,
                            round_=evaluation.current_round(lot)))


@bp.route(LOT + "/<round_>")
@login_required
def lot(procurement_id: int, lot_number: int, round_: str):
    """Each role's page for a lot: the panel and progress, a declaration, bids to score or moderate."""
    return _render_lot(procurement_id, lot_number, round_)


def _render_lot(procurement_id, lot_number, round_, status=200, errors=None, field_errors=None):
    lot_ = evaluation.get_lot(procurement_id, lot_number)
    evaluation.check_round(round_)
    common = {"lot": lot_, "procurement": lot_.procurement, "round": round_, "errors": errors or []}
    if may(current_user.role, Permission.SCORE) or may(current_user.role, Permission.MODERATE):
        assignment = evaluation.assignment_of(lot_, current_user)
        if assignment is None or not assignment.active:
            raise NotAuthorised(evaluation.NOT_ON_PANEL if assignment is None else evaluation.CONFLICTED)
        if evaluation.declaration_of(lot_, current_user) is None:
            return render_template("evaluation/declare.html", form=DeclarationForm(), assignment=assignment,
                                   bidders=evaluation.bidder_names(lot_, round_), field_errors=field_errors or {},
                                   **common), status
        if assignment.role == EVALUATOR:
            bids = evaluation_scoring.bids_for_evaluator(procurement_id, lot_number, round_, current_user)
            return render_template("evaluation/lot_evaluator.html", bids=bids, **common), status
        result = evaluation_ranking.moderator_overview(procurement_id, lot_number, round_, current_user)
        return render_template("evaluation/lot_moderator.html", result=result,
                               unopened=bid_documents.unopened_scores([lot_.id], round_), **common), status
    result = evaluation_ranking.lot_evaluation(procurement_id, lot_number, round_, current_user)
    people = evaluation.assignable_people() if may(current_user.role, Permission.ASSIGN_EVALUATORS) else []
    return render_template("evaluation/lot_officer.html", result=result, panel=evaluation.panel(lot_),
                           people=people, form=AssignForm(), confirm=ConfirmForm(), **common), status


@bp.route(LOT + "/<round_>/panel", methods=["POST"])
@login_required
def assign(procurement_id: int, lot_number: int, round_: str):
    """The officer adds an evaluator (for some sections, or all) or a moderator to the lot's panel."""
    form = AssignForm()
    if not form.validate():
        return _render_lot(procurement_id, lot_number, round_, 400, _errors(form))
    try:
        added = evaluation.assign(procurement_id, lot_number, form.user_id.data, sections_from(request.form),
                                  current_user, client_ip())
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _render_lot(procurement_id, lot_number, round_, 400, [str(exc)])
    flash(f"{added.user.name} is now on the panel as {added.role}. They must declare any conflict of interest "
          "before they see the bids.", "success")
    return redirect(url_for(".lot", procurement_id=procurement_id, lot_number=lot_number, round_=round_))


@bp.route(LOT + "/<round_>/panel/withdraw", methods=["POST"])
@login_required
def withdraw(procurement_id: int, lot_number: int, round_: str):
    """The officer takes someone off the lot's panel before they have scored, giving the reason."""
    form = WithdrawForm()
    if not form.validate():
        return _render_lot(procurement_id, lot_number, round_, 400, _errors(form))
    try:
        removed = evaluation.withdraw(procurement_id, lot_number, form.user_id.data, form.reason.data,
                                      current_user, client_ip(), expected_version=form.version.data)
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _render_lot(procurement_id, lot_number, round_, 400, [str(exc)])
    flash(f"{removed.user.name} is no longer on the panel of lot {lot_number}.", "success")
    return redirect(url_for(".lot", procurement_id=procurement_id, lot_number=lot_number, round_=round_))


@bp.route(LOT + "/<round_>/declaration", methods=["POST"])
@login_required
def declare(procurement_id: int, lot_number: int, round_: str):
    """A panel member declares a conflict of interest, or none, before seeing the bids."""
    form = DeclarationForm()
    if not form.validate():
        by_field = {name: errs[0] for name, errs in form.errors.items() if name in DECLARATION_IDS}
        return _render_lot(procurement_id, lot_number, round_, 400, _linked(by_field, DECLARATION_IDS) or
                           _errors(form), by_field)
    try:
        evaluation.declare(procurement_id, lot_number, current_user, form.has_conflict.data == "yes",
                           form.details.data, client_ip())
    except ServiceError as exc:
        if exc.status != 400:
            raise
        by_field = {"details" if form.has_conflict.data == "yes" else "has_conflict": str(exc)}
        return _render_lot(procurement_id, lot_number, round_, 400, _linked(by_field, DECLARATION_IDS), by_field)
    if form.has_conflict.data == "yes":
        flash("Your conflict of interest is recorded and the procurement officer can see it. You have been "
              "withdrawn from this lot.", "success")
        return redirect(url_for("dashboard.index"))
    flash("Your declaration is recorded. You can now see the bids.", "success")
    return redirect(url_for(".lot", procurement_id=procurement_id, lot_number=lot_number, round_=round_))


@bp.route(LOT + "/<round_>/bids/<int:bid_id>/score", methods=["GET", "POST"])
@login_required
def score_bid(procurement_id: int, lot_number: int, round_: str, bid_id: int):
    """An evaluator's score sheet for one bid: save a draft, or submit and lock (after "Are you sure?")."""
    sheet = evaluation_scoring.score_sheet(procurement_id, lot_number, round_, bid_id, current_user)
    if request.method == "GET":
        return _sheet_page(sheet, **_own_choices(sheet))
    action = sheet_action(request.form)
    entries = sheet_entries(request.form, [q.id for q in sheet.questions])
    if "edit" in request.form:  # "No, go back" on the confirmation page: the sheet as it was posted
        return _sheet_page(sheet, **_posted_choices(entries))
    if action == "submit" and request.form.get("confirmed") != "yes" and not sheet.submitted:
        problems = score_sheet_problems(sheet.questions, entries, _text)
        if problems[0]:
            return _sheet_page(sheet, 400, problems, **_posted_choices(entries))
        return render_confirmation(_submit_confirmation(sheet, entries))
    try:
        if action is None:
            raise ScoreErrors(["Choose to save a draft or to submit your scores"])
        saved = evaluation_scoring.save_scores(procurement_id, lot_number, round_, bid_id, current_user, entries,
                                               action == "submit", client_ip(),
                                               versions=sheet_versions(request.form, [q.id for q in sheet.questions], None))
    except ScoreErrors as exc:
        return _sheet_page(sheet, 400, link_score_errors(exc.errors, sheet.questions, _text),
                           **_posted_choices(entries))
    if action == "submit":
        flash(f"Your scores for {sheet.bidder} are submitted and locked.", "success")
    else:
        flash(f"Draft saved: {saved} answer{'s' if saved != 1 else ''} for {sheet.bidder}.", "success")
    return redirect(url_for(".score_bid", procurement_id=procurement_id, lot_number=lot_number, round_=round_,
                            bid_id=bid_id))


@bp.route(LOT + "/<round_>/bids/<int:bid_id>/documents/<int:attachment_id>")
@login_required
def bid_document(procurement_id: int, lot_number: int, round_: str, bid_id: int, attachment_id: int):
    """One document of a bid, for a reader the lot's rule lets in (never the conflicted); each opening recorded."""
    attachment, stored = bid_documents.open_document(procurement_id, lot_number, round_, bid_id, attachment_id,
                                                     current_user, client_ip())
    return send_stored(stored, attachment.filename)


def _sheet_page(sheet, status: int = 200, problems=None, **choices):
    """The score sheet; ``problems`` from ``score_sheet_problems`` or ``link_score_errors``."""
    problems = problems or ([], {})
    return render_template("evaluation/score_bid.html", sheet=sheet, errors=problems[0], field_errors=problems[1],
                           **choices), status


def _submit_confirmation(sheet, entries: dict) -> Confirmation:
    """"Are you sure?" before scores are submitted and locked; the scores travel in hidden fields."""
    lot_ = sheet.lot
    hidden = {"action": "submit"}
    rows = []
    for q in sheet.questions:
        raw, rationale = entries[q.id]
        hidden[f"score-{q.id}"], hidden[f"rationale-{q.id}"] = raw, rationale
        rows.append((f"{q.id} {q.title}", f"Score {raw}. {rationale.strip()}"))
    url = url_for(".score_bid", procurement_id=lot_.procurement.id, lot_number=lot_.number, round_=sheet.round,
                  bid_id=sheet.bid_id)
    return Confirmation(
        question=f"Are you sure you want to submit your scores for {sheet.bidder}?",
        caption=f"{lot_.procurement.reference} · Lot {lot_.number}: {lot_.title}",
        consequences=("Once you submit, your scores and reasons are locked: you cannot change them, and the "
                      "moderator and the other evaluators can see them.",),
        rows=tuple(rows), action_url=url, button="Yes, submit and lock my scores", cancel_url=url,
        cancel_label="No, go back to my scores", cancel_name="edit", hidden=hidden)


@bp.route(LOT + "/<round_>/bids/<int:bid_id>/scores.json")
@login_required
def scores_json(procurement_id: int, lot_number: int, round_: str, bid_id: int):
    """The evaluator's own scores for a bid, and other evaluators' only once their own are submitted."""
    sheet = evaluation_scoring.score_sheet(procurement_id, lot_number, round_, bid_id, current_user)
    return jsonify({
        "bid": sheet.bid_id, "bidder": sheet.bidder, "submitted": sheet.submitted,
        "own": {qid: {"score": s.pass_fail or (None if s.value is None else str(s.value)),
                      "rationale": s.rationale, "status": s.status} for qid, s in sheet.own.items()},
        "others": [{"evaluator": next(iter(rows.values())).person,
                    "scores": {qid: {"score": _text(r.value), "rationale": r.rationale} for qid, r in rows.items()}}
                   for rows in sheet.others.values()],
    })


def _text(value) -> str | None:
    """A score as the radios' values spell it: "pass", "fail" or the plain number ("3", not "3.00")."""
    if isinstance(value, bool):
        return "pass" if value else "fail"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return None if value is None else str(value)


def _own_choices(sheet) -> dict:
    own = sheet.own.values()
    return {"selected": {s.criterion_id: s.pass_fail or _text(s.value) for s in own},
            "rationales": {s.criterion_id: s.rationale for s in own}, "text": _text}


def _moderated_choices(sheet) -> dict:
    return {"selected": {q: _text(m.value) for q, m in sheet.moderated.items()},
            "rationales": {q: m.rationale for q, m in sheet.moderated.items()}}


def _posted_choices(entries: dict) -> dict:
    selected = {}
    for qid, (raw, _) in entries.items():
        try:
            selected[qid] = _text(Decimal(raw))
        except InvalidOperation:
            selected[qid] = raw
    return {"selected": selected, "rationales": {qid: r for qid, (_, r) in entries.items()}, "text": _text}


@bp.route(LOT + "/<round_>/bids/<int:bid_id>/moderate", methods=["GET", "POST"])
@login_required
def moderate_bid(procurement_id: int, lot_number: int, round_: str, bid_id: int):
    """The moderator compares evaluators' scores side by side and records consensus scores."""
    sheet = evaluation_scoring.moderation_sheet(procurement_id, lot_number, round_, bid_id, current_user)
    if request.method == "GET":
        return render_template("evaluation/moderate_bid.html", sheet=sheet, errors=[], text=_text,
                               **_moderated_choices(sheet))
    entries = sheet_entries(request.form, [q.id for q in sheet.model.questions()])
    try:
        saved = evaluation_scoring.moderate(procurement_id, lot_number, round_, bid_id, current_user, entries,
                                            client_ip(), versions=sheet_versions(request.form, list(entries)))
    except ScoreErrors as exc:
        return render_template("evaluation/moderate_bid.html", sheet=sheet, errors=exc.errors,
                               **_posted_choices(entries)), 400
    flash(f"{saved} consensus score{'s' if saved != 1 else ''} recorded for {sheet.bid.bidder}.", "success")
    return redirect(url_for(".lot", procurement_id=procurement_id, lot_number=lot_number, round_=round_))


@bp.route(LOT + "/<round_>/prices/open", methods=["POST"])
@login_required
def open_prices(procurement_id: int, lot_number: int, round_: str):
    """The officer opens the price envelope (audited), once quality is final."""
    if not ConfirmForm().validate():
        abort(400)
    if request.form.get("confirmed") != "yes":  # the button on the lot page asks first
        authorise(current_user, Permission.OPEN_PRICES)
        lot_ = evaluation.get_lot(procurement_id, lot_number)
        evaluation.check_round(round_)
        back = url_for(".lot", procurement_id=procurement_id, lot_number=lot_number, round_=round_)
        return render_confirmation(Confirmation(
            question=f"Are you sure you want to open the prices for lot {lot_number}?",
            caption=f"{lot_.procurement.reference} · Lot {lot_number}: {lot_.title} · {round_.capitalize()} tenders",
            consequences=("Prices are opened once and cannot be sealed again. The audit trail records that you "
                          "opened them, and the ranking then includes them.",),
            action_url=url_for(".open_prices", procurement_id=procurement_id, lot_number=lot_number,
                               round_=round_),
            button=f"Yes, open prices for lot {lot_number}", cancel_url=back))
    try:
        envelope.open_prices(procurement_id, lot_number, round_, current_user, client_ip())
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _render_lot(procurement_id, lot_number, round_, 400, [str(exc)])
    flash("Prices opened. The ranking now includes them.", "success")
    return redirect(url_for(".ranking", procurement_id=procurement_id, lot_number=lot_number, round_=round_))


@bp.route(LOT + "/<round_>/ranking")
@login_required
def ranking(procurement_id: int, lot_number: int, round_: str):
    """Quality, price and total per bid, exclusions and flags, the chart, agreement and sensitivity."""
    result = evaluation_ranking.lot_evaluation(procurement_id, lot_number, round_, current_user)
    chart = ranking_svg(result.ranking, f"lot {lot_number}") if result.ranking else None
    titles = {c.id: c.title for c in result.model.criteria} | PART_TITLES
    return render_template("evaluation/ranking.html", result=result, lot=result.lot,
                           procurement=result.lot.procurement, round=round_, chart=chart, titles=titles,
                           confirm=ConfirmForm(), errors=[], freeze=_freeze(result.lot, round_))


def _freeze(lot, round_: str) -> dict:
    """The freeze state, and for whoever records recommendations why "Record the recommendation" would be refused."""
    from tender.services.award import recommendation

    freeze = envelope.freeze_state(lot, round_)
    if may(current_user.role, Permission.RECORD_RECOMMENDATION) and freeze["recommendation"] is None:
        freeze["record_refusal"] = recommendation.refusal(lot.procurement, lot.number)
    return freeze


@bp.route("/evaluation/<round_>/export.xlsx")
@login_required
def export(procurement_id: int, round_: str):
    """The evaluation matrix of every lot as an Excel workbook (audited)."""
    filename, content = evaluation_export.export_workbook(procurement_id, round_, current_user, client_ip())
    return download_response(content, filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


__all__ = ["bp"]
