"""Individual scoring and moderation: drafts, submission, locking, consensus scores.

Independent scoring: an evaluator sees other evaluators' scores for a bid
only once their own for that bid are submitted, and submitted scores are
locked. The lock holds under concurrency because a submitted score is only
ever changed by ``UPDATE ... WHERE status = 'draft'`` (a second submit changes
no row and is refused) and new rows are guarded by the unique constraint on
(bid, evaluator, criterion). Each save is one use case: one commit, one audit
event. Prices never appear here: quality evaluation is the first envelope.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update

from tender.domain.scoring import EvaluationModel, IndividualScore, SpreadFlag, spread_flags
from tender.domain.scoring.model import METHOD_MEAN, Criterion
from tender.extensions import db
from tender.models import Lot, ModeratedScore, Score, User
from tender.models.evaluation import DRAFT, EVALUATOR, MODERATOR, SUBMITTED
from tender.services import audit
from tender.services.errors import ConcurrentChange, InvalidRequest
from tender.services.evaluation.bid_documents import BidResponse, Unopened, bid_response, unopened_scores
from tender.services.evaluation.envelope import is_frozen, refuse_if_frozen
from tender.services.evaluation.panel import check_round, get_bid, get_lot, model_for, now, require_panel_access
from tender.services.evaluation.data import (BidRow, RoundData, ScoreRow, completeness, evaluators_of, load_rounds,
                                             questions_for, stored_value)
from tender.services.use_case import use_case

LOCKED = "You have already submitted your scores for this bid, so they are locked and cannot be changed."
CHANGED_ELSEWHERE = ("Your scores for this bid were changed from somewhere else (another tab or device) since you "
                     "opened this page. Reload the page to see them, then make your change again.")
MODERATED_ELSEWHERE = ("Someone else changed the consensus scores for this bid since you opened this page. "
                       "Reload the page to see their change, then make yours again.")
SAVED_AT_ONCE = ("Your scores for this bid were saved from somewhere else at the same moment. "
                 "Reload the page to see them.")


class ScoreErrors(InvalidRequest):
    """A score sheet with problems; ``errors`` lists each as an instruction."""

    def __init__(self, errors: list[str]):
        super().__init__(errors[0])
        self.errors = errors


class ScoresLocked(InvalidRequest):
    """The scores were submitted (perhaps a moment ago, in another tab) and are locked."""

    status = 409


@dataclass
class ScoreSheet:
    """What one evaluator may see of one bid: the questions, their own scores, and others' once submitted."""

    lot: Lot
    round: str
    bid_id: int
    bidder: str
    model: EvaluationModel
    questions: tuple[Criterion, ...]
    own: dict[str, Score]
    submitted: bool
    frozen: bool = False
    others: dict[int, dict[str, ScoreRow]] = field(default_factory=dict)  # evaluator id -> question -> score
    response: BidResponse = field(default_factory=BidResponse)  # the bid's answers and documents, beside each question


def _parse_value(question: Criterion, raw: str) -> Decimal | str | None:
    """A scale point as Decimal, "pass"/"fail", or None if blank; ValueError if not allowed."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if question.pass_fail:
        if raw not in ("pass", "fail"):
            raise ValueError
        return raw
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError from None
    if value not in question.scale.values:
        raise ValueError
    return value


def _clean(questions, entries: dict[str, tuple[str, str]], complete: bool) -> tuple[dict, list[str]]:
    """question id -> (value, rationale) for the entries given; errors as instructions."""
    cleaned, errors = {}, []
    for q in questions:
        raw, rationale = entries.get(q.id, ("", ""))
        rationale = (rationale or "").strip()
        try:
            value = _parse_value(q, raw)
        except ValueError:
            errors.append(f"Choose one of the scores offered for {q.id} {q.title}")
            continue
        if complete and value is None:
            errors.append(f"Choose a score for {q.id} {q.title}")
        if complete and not rationale:
            errors.append(f"Enter the reasons for your score for {q.id} {q.title}")
        if value is not None or rationale:
            cleaned[q.id] = (value, rationale)
    return cleaned, errors


def _columns(value) -> dict:
    if isinstance(value, str):
        return {"value": None, "pass_fail": value}
    return {"value": value, "pass_fail": None}


def score_sheet(procurement_id: int, lot_number: int, round_: str, bid_id: int, user) -> ScoreSheet:
    """The evaluator's sheet for one bid; others' scores only after their own submission."""
    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    assignment = require_panel_access(lot, user, EVALUATOR)
    model = model_for(lot)
    bid = get_bid(lot, round_, bid_id)
    own = {s.criterion_id: s for s in db.session.scalars(
        select(Score).where(Score.bid_id == bid.id, Score.evaluator_id == user.id))}
    submitted = bool(own) and all(s.status == SUBMITTED for s in own.values())
    sheet = ScoreSheet(lot, round_, bid.id, bid.supplier.name, model, questions_for(model, assignment.section_ids),
                       own, submitted, frozen=is_frozen(lot.id, round_), response=bid_response(lot, bid, user))
    if submitted:
        for row in db.session.execute(
                select(Score, User.name).join(User, User.id == Score.evaluator_id)
                .where(Score.bid_id == bid.id, Score.evaluator_id != user.id, Score.status == SUBMITTED)):
            score, name = row
            sheet.others.setdefault(score.evaluator_id, {})[score.criterion_id] = ScoreRow(
                bid.id, score.evaluator_id, name, score.criterion_id, stored_value(score.value, score.pass_fail),
                score.rationale)
    return sheet


def bids_for_evaluator(procurement_id: int, lot_number: int, round_: str, user) -> list[dict]:
    """The lot's bids with this evaluator's progress on each (not started, draft, submitted)."""
    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    require_panel_access(lot, user, EVALUATOR)
    data = load_rounds([lot.id], (round_,))[(lot.id, round_)]
    statuses = {}
    for bid_id, status in db.session.execute(select(Score.bid_id, Score.status).where(
            Score.evaluator_id == user.id, Score.bid_id.in_([b.id for b in data.bids]))):
        statuses.setdefault(bid_id, set()).add(status)
    return [{"bid": b, "status": _progress(statuses.get(b.id, set()))} for b in data.bids]


def _progress(statuses: set) -> str:
    if not statuses:
        return "Not started"
    return "Submitted" if statuses == {SUBMITTED} else "Draft saved"


@use_case(SAVED_AT_ONCE)
def save_scores(procurement_id: int, lot_number: int, round_: str, bid_id: int, user,
                entries: dict[str, tuple[str, str]], submit: bool, ip: str | None = None,
                versions: dict[str, int] | None = None) -> int:
    """Save a draft of the evaluator's scores for a bid, or submit (and lock) them all; audited.

    Returns how many answers were saved. A submit needs a score and a
    rationale for every question on the sheet. ``versions`` (question -> the
    draft's version the page showed, 0 for none) makes a save from a stale
    page (another tab saved in between) a 409 rather than a silent overwrite.
    Refused with 409 once the lot's prices are opened (scores frozen).
    """
    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    assignment = require_panel_access(lot, user, EVALUATOR)
    model = model_for(lot)
    bid = get_bid(lot, round_, bid_id)
    refuse_if_frozen(lot, round_)
    questions = questions_for(model, assignment.section_ids)
    existing = {s.criterion_id: s for s in db.session.scalars(
        select(Score).where(Score.bid_id == bid.id, Score.evaluator_id == user.id))}
    if any(s.status == SUBMITTED for s in existing.values()):
        raise ScoresLocked(LOCKED)
    if versions is not None and any(versions[q.id] != (existing[q.id].version if q.id in existing else 0)
                                    for q in questions if q.id in versions):
        raise ConcurrentChange(CHANGED_ELSEWHERE)
    cleaned, errors = _clean(questions, entries, complete=submit)
    if errors:
        raise ScoreErrors(errors)
    if not cleaned:
        raise ScoreErrors(["Choose at least one score, or enter a rationale, before you save"])
    was_final = _is_final(lot, round_, model) if submit and model.final_score_method == METHOD_MEAN else True
    moment = now()
    status = SUBMITTED if submit else DRAFT
    for qid, (value, rationale) in cleaned.items():
        fields = {**_columns(value), "rationale": rationale, "status": status, "saved_at": moment,
                  "submitted_at": moment if submit else None}
        if qid in existing:
            changed = db.session.execute(
                update(Score).where(Score.id == existing[qid].id, Score.status == DRAFT,
                                    Score.version == existing[qid].version)
                .values(**fields, version=Score.version + 1).execution_options(synchronize_session=False))
            if changed.rowcount != 1:
                raise ConcurrentChange(CHANGED_ELSEWHERE)
        else:
            db.session.add(Score(bid_id=bid.id, evaluator_id=user.id, criterion_id=qid, **fields))
    action = "evaluation.scores_submitted" if submit else "evaluation.scores_saved"
    audit.record(audit.Actor.of(user, ip), action, "bid", bid.id, procurement_ref=lot.procurement.reference,
                 lot=lot.number, after={"bidder": bid.supplier.name, "round": round_, "scores": {
                     qid: {"score": value, "rationale": rationale} for qid, (value, rationale) in cleaned.items()}})
    if not was_final:
        _record_if_final(lot, round_, model, user, ip)
    db.session.flush()
    db.session.expire_all()  # the UPDATEs above went round the identity map: nothing stale is read after
    return len(cleaned)


def _is_final(lot: Lot, round_: str, model: EvaluationModel) -> bool:
    return completeness(model, load_rounds([lot.id], (round_,))[(lot.id, round_)]).final


def _record_if_final(lot: Lot, round_: str, model: EvaluationModel, user, ip) -> None:
    """Audit the moment a round's evaluation becomes final (called inside the changing transaction)."""
    db.session.flush()
    if _is_final(lot, round_, model):
        audit.record(audit.Actor.of(user, ip), "evaluation.ranking_final", "lot", lot.id,
                     procurement_ref=lot.procurement.reference, lot=lot.number,
                     after={"round": round_, "model": lot.evaluation_model})


@dataclass
class ModerationSheet:
    """All evaluators' submitted scores of one bid, side by side, with spreads and consensus so far."""

    lot: Lot
    round: str
    bid: BidRow
    model: EvaluationModel
    evaluators: dict[int, str]  # id -> name, of those who submitted
    scores: dict[str, dict[int, ScoreRow]]  # question -> evaluator id -> score
    spreads: dict[str, SpreadFlag]
    moderated: dict[str, ScoreRow]
    waiting_for: dict[str, list[str]]  # question -> evaluators yet to submit
    frozen: bool = False
    response: BidResponse = field(default_factory=BidResponse)  # the bid's answers and documents
    unopened: list[Unopened] = field(default_factory=list)  # evaluators who scored it without opening its documents


def _bid_row(data: RoundData, bid_id: int) -> BidRow:
    return next(b for b in data.bids if b.id == bid_id)


def moderation_sheet(procurement_id: int, lot_number: int, round_: str, bid_id: int, user) -> ModerationSheet:
    """The moderator's view of one bid: every submitted score and rationale, spreads marked."""
    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    require_panel_access(lot, user, MODERATOR)
    model = model_for(lot)
    bid = get_bid(lot, round_, bid_id)
    data = load_rounds([lot.id], (round_,))[(lot.id, round_)]
    scores: dict[str, dict[int, ScoreRow]] = {}
    for s in data.scores:
        if s.bid_id == bid.id:
            scores.setdefault(s.criterion_id, {})[s.person_id] = s
    individual = [IndividualScore(str(s.person_id), str(bid.id), s.criterion_id, s.value)
                  for s in data.scores if s.bid_id == bid.id]
    spreads = {f.criterion: f for f in spread_flags(model, individual)}
    waiting = {}
    for q in model.questions():
        covering = evaluators_of(model, data.panel, q.id)
        waiting[q.id] = ([p.name for p in covering if p.user_id not in scores.get(q.id, {})] if covering
                         else ["an evaluator to be assigned"])
    moderated = {m.criterion_id: m for m in data.moderated if m.bid_id == bid.id}
    evaluators = dict(sorted({(s.person_id, s.person) for s in data.scores if s.bid_id == bid.id},
                             key=lambda pair: (pair[1], pair[0])))
    return ModerationSheet(lot, round_, _bid_row(data, bid.id), model, evaluators, scores, spreads, moderated, waiting,
                           frozen=data.scores_frozen, response=bid_response(lot, bid, user),
                           unopened=[u for u in unopened_scores([lot.id], round_) if u.bid_id == bid.id])


@use_case(MODERATED_ELSEWHERE)
def moderate(procurement_id: int, lot_number: int, round_: str, bid_id: int, user,
             entries: dict[str, tuple[str, str]], ip: str | None = None, versions: dict[str, int] | None = None) -> int:
    """Record consensus scores with their rationale for the questions given; audited.

    A question can be moderated once every evaluator assigned to it has
    submitted. Returns how many were recorded. When this completes the round,
    the ranking is final and that is audited too. ``versions`` (question ->
    the consensus row's version the moderator's page showed, 0 for none): if
    any moved, nothing is saved and the moderator gets a 409, so of two
    simultaneous edits exactly one wins and each audit "before" is the row it
    replaced. Refused with 409 once the lot's prices are opened.
    """
    sheet = moderation_sheet(procurement_id, lot_number, round_, bid_id, user)
    lot, model = sheet.lot, sheet.model
    refuse_if_frozen(lot, round_)
    cleaned, errors = _clean(model.questions(), entries, complete=False)
    for qid, (value, rationale) in cleaned.items():
        if sheet.waiting_for[qid]:
            errors.append(f"{qid} cannot be moderated yet: waiting for {', '.join(sheet.waiting_for[qid])}")
        elif value is None:
            errors.append(f"Choose the consensus score for {qid}")
        elif not rationale:
            errors.append(f"Enter the reasons for the consensus score for {qid}")
    if errors or not cleaned:
        raise ScoreErrors(errors or ["Choose a consensus score and enter its reasons for at least one question"])
    was_final = _is_final(lot, round_, model)
    moment, changes = now(), {}
    existing = {m.criterion_id: m for m in db.session.scalars(
        select(ModeratedScore).where(ModeratedScore.bid_id == sheet.bid.id))}
    if versions is not None and any(versions.get(qid, 0) != (existing[qid].version if qid in existing else 0)
                                    for qid in cleaned):
        raise ConcurrentChange(MODERATED_ELSEWHERE)
    for qid, (value, rationale) in cleaned.items():
        row = existing.get(qid)
        before = None if row is None else {"score": stored_value(row.value, row.pass_fail),
                                           "rationale": row.rationale}
        if row is None:
            row = ModeratedScore(bid_id=sheet.bid.id, criterion_id=qid)
            db.session.add(row)
        for name, column in _columns(value).items():
            setattr(row, name, column)
        row.rationale, row.moderator_id, row.at = rationale, user.id, moment
        changes[qid] = {"before": before, "score": value, "rationale": rationale,
                        "individual": {s.person: s.value for s in sheet.scores.get(qid, {}).values()}}
    audit.record(audit.Actor.of(user, ip), "evaluation.score_moderated", "bid", sheet.bid.id,
                 procurement_ref=lot.procurement.reference, lot=lot.number,
                 after={"bidder": sheet.bid.bidder, "round": round_, "moderated": changes})
    if not was_final:
        _record_if_final(lot, round_, model, user, ip)
    return len(cleaned)
