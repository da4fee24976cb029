"""A lot's ranking, the panel's agreement, and weight sensitivity.

``lot_evaluation`` reads everything in a fixed number of queries (the lot, then
``load_rounds``), whatever the number of bids, questions or evaluators, and
hands the pure functions of ``tender.domain.scoring`` their inputs. Under
moderation the submitted scores themselves are not read: the database sums
them for the agreement statistics (``agreement_sums``), and the moderated
scores are what is ranked. Prices
stay sealed until an officer opens them (``envelope``), and a person who
declared a conflict of interest on the lot sees none of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from tender.domain.roles import Permission
from tender.domain.scoring import (AgreementReport, BidResult, EvaluationInputError, EvaluationModel,
                                   IndividualScore, LotRanking, WeightSensitivity, agreement, final_scores, rank_lot,
                                   weight_sensitivity)
from tender.domain.scoring.agreement import agreement_from_json, agreement_from_sums, agreement_to_json
from tender.domain.scoring.model import METHOD_MEAN
from tender.extensions import db
from tender.models import Lot
from tender.services.accounts import authorise
from tender.services.evaluation import agreement_sums
from tender.services.evaluation.panel import check_round, get_lot, model_for, refuse_if_conflicted
from tender.services.evaluation.data import Completeness, RoundData, completeness, load_rounds
from tender.services.award import access

ZERO = Decimal(0)


@dataclass
class LotEvaluation:
    """Everything the ranking page shows for one lot's round.

    ``ranking`` is None until the evaluation is final and (for a model with a
    price part) the prices are open; ``ranking_note`` then says why.
    """

    lot: Lot
    round: str
    model: EvaluationModel
    data: RoundData
    status: Completeness
    ranking: LotRanking | None = None
    ranking_note: str = ""
    warnings: list[str] = field(default_factory=list)
    sensitivity: tuple[WeightSensitivity, ...] = ()
    agreement: AgreementReport | None = None
    evaluator_names: dict[str, str] = field(default_factory=dict)  # id as text -> name

    @property
    def has_price(self) -> bool:
        return self.model.price is not None

    @property
    def may_open_prices(self) -> bool:
        early = self.has_price and self.model.price.opening == "any_time"
        return self.has_price and (self.status.final or early) and not self.data.prices_opened


def individual_scores(data: RoundData, bid_ids: set[int] | None = None) -> list[IndividualScore]:
    """Submitted scores as the domain takes them: evaluator = user id as text, bidder = supplier name."""
    names = {b.id: b.bidder for b in data.bids}
    return [IndividualScore(str(s.person_id), names[s.bid_id], s.criterion_id, s.value)
            for s in data.scores if bid_ids is None or s.bid_id in bid_ids]


def evaluate_round(lot: Lot, round_: str, model: EvaluationModel, data: RoundData,
                   with_ranking: bool = True, known_agreement: AgreementReport | None = None) -> LotEvaluation:
    """Build the LotEvaluation from loaded data (pure apart from reading the lot's budget).

    With ``known_agreement`` (see ``load_for_ranking``), ``data.scores`` was not
    read and the agreement is the one given.
    """
    status = completeness(model, data)
    result = LotEvaluation(lot, round_, model, data, status)
    if known_agreement is not None:
        individual = []
        result.evaluator_names = {str(p.user_id): p.name for p in data.panel}
        result.agreement = known_agreement
    else:
        individual = individual_scores(data)
        result.evaluator_names = {str(s.person_id): s.person for s in data.scores}
        if individual:
            result.agreement = agreement(model, individual)
    if not status.final:
        result.ranking_note = f"The ranking shows once the evaluation is final: {status.note}."
        return result
    if model.price is not None and not data.prices_opened:
        result.ranking_note = "Prices are still sealed. An officer opens them once the quality scores are final."
        return result
    if with_ranking:
        _rank(result, individual)
    return result


def _rank(result: LotEvaluation, individual: list[IndividualScore]) -> None:
    model, data, status = result.model, result.data, result.status
    still_in = [b for b in data.bids if b.id not in status.excluded_early]
    bidder_of = {b.id: b.bidder for b in still_in}
    moderated = {(bidder_of[m.bid_id], m.criterion_id): m.value for m in data.moderated if m.bid_id in bidder_of}
    names_in = {b.bidder for b in still_in}
    if model.final_score_method == METHOD_MEAN:
        finals = final_scores(model, [i for i in individual if i.bidder in names_in], moderated)
    else:  # the consensus scores are final: no need to re-check every individual score
        finals = {}
        for (bidder, criterion), value in moderated.items():
            finals.setdefault(bidder, {})[criterion] = value
    prices = {b.bidder: b.price for b in still_in} if model.price is not None else None
    budget = result.lot.annual_budget
    if model.needs_budget and budget is None:
        model, note = _without_budget(model)
        result.warnings.append(note)
    try:
        ranking = rank_lot(model, {b: finals.get(b, {}) for b in names_in}, prices, budget)
    except EvaluationInputError as exc:
        result.ranking_note = f"The ranking cannot be worked out: {exc}."
        return
    out = tuple(BidResult(bidder=b.bidder, quality=ZERO, social_value=ZERO, price_score=None, total=None, rank=None,
                          excluded=True, reasons=(status.excluded_early[b.id],), parts={}, question_marks={},
                          price=b.price if data.prices_opened else None)
                for b in data.bids if b.id in status.excluded_early)
    result.ranking = LotRanking(results=ranking.results + out, budget=ranking.budget)
    result.sensitivity = weight_sensitivity(model, ranking)


def _without_budget(model: EvaluationModel) -> tuple[EvaluationModel, str]:
    """The model without its affordability ceiling, for a lot whose budget is not recorded."""
    price = model.price
    if price.formula == "budget_relative" or (price.abnormally_low and price.abnormally_low.rule == "below_budget"):
        return model, "This lot has no budget recorded, and the model needs one to score prices."
    return (replace(model, price=replace(price, affordability_ceiling_percent=None)),
            "This lot has no budget recorded, so the affordability ceiling was not applied. "
            "Record the lot's budget to apply it.")


def lot_evaluation(procurement_id: int, lot_number: int, round_: str, user) -> LotEvaluation:
    """The ranking page's content for officers, moderators, approvers and legal reviewers."""
    authorise(user, Permission.VIEW_RANKING)
    lot = get_lot(procurement_id, lot_number)
    refuse_if_conflicted(lot, user)
    access.require_lot_visible(user, lot.procurement_id, lot.id)  # an approver declares before seeing any price
    check_round(round_)
    model = model_for(lot)
    data, known_agreement = load_for_ranking(lot, round_, model)
    return evaluate_round(lot, round_, model, data, known_agreement=known_agreement)


def moderator_overview(procurement_id: int, lot_number: int, round_: str, user) -> LotEvaluation:
    """A moderator's view of a lot they moderate: progress per bid and the panel's agreement."""
    from tender.models.evaluation import MODERATOR
    from tender.services.evaluation.panel import require_panel_access

    lot = get_lot(procurement_id, lot_number)
    check_round(round_)
    require_panel_access(lot, user, MODERATOR)
    model = model_for(lot)
    data, known_agreement = load_for_ranking(lot, round_, model)
    return evaluate_round(lot, round_, model, data, with_ranking=False, known_agreement=known_agreement)


def load_for_ranking(lot: Lot, round_: str, model: EvaluationModel) -> tuple[RoundData, AgreementReport | None]:
    """The round's data and, under moderation, the agreement without reading the score rows.

    Frozen scores cannot move, so their agreement is the one recorded when
    they froze (``frozen_agreement``); otherwise the database sums the scores
    (``agreement_sums``). The mean method ranks on the individual scores, so
    it reads them; so does a round whose sums the database cannot give (no
    numeric scores yet, or a score by someone not on the panel), and the
    general path then reports it.
    """
    if model.final_score_method != METHOD_MEAN:
        data = load_rounds([lot.id], (round_,), scores=False, rationales=False)[(lot.id, round_)]
        if data.frozen_agreement:
            return data, agreement_from_json(data.frozen_agreement)
        sums = agreement_sums.lot_sums(lot.id, round_, model, [p.user_id for p in data.panel])
        if sums is not None and sums.units:
            return data, agreement_from_sums(model, sums)
    return load_rounds([lot.id], (round_,))[(lot.id, round_)], None


def frozen_agreement(model: EvaluationModel, data: RoundData) -> str | None:
    """The agreement to keep with the price opening when ``data``'s scores freeze (read with their rows).

    None when there is nothing to record, or the scores do not fit the model
    (the live path then explains what is wrong).
    """
    individual = individual_scores(data)
    if not individual:
        return None
    try:
        return agreement_to_json(agreement(model, individual))
    except EvaluationInputError:
        return None


def overview_rows(procurement_id: int) -> list[dict]:
    """Per lot: the round under evaluation and whether it is final (for the procurement overview)."""
    from sqlalchemy import select

    from tender.models import Bid
    from tender.models.supplier import ROUNDS
    from tender.services.evaluation import status as evaluation_status

    lots = db.session.scalars(select(Lot).where(Lot.procurement_id == procurement_id).order_by(Lot.number)).all()
    rounds: dict[int, set] = {}
    for lot_id, round_ in db.session.execute(select(Bid.lot_id, Bid.round).where(
            Bid.lot_id.in_([lot.id for lot in lots])).distinct()):
        rounds.setdefault(lot_id, set()).add(round_)
    status = evaluation_status.for_procurement(procurement_id)
    rows = []
    for lot in lots:
        round_ = next((r for r in reversed(ROUNDS) if r in rounds.get(lot.id, set())), ROUNDS[0])
        final, note = status[(lot.id, round_)]
        rows.append({"lot": lot, "round": round_, "final": final, "note": note})
    return rows
