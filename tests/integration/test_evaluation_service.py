"""Evaluation through the services: panels, conflicts, scoring, moderation, prices, ranking and the guard."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, Procurement, Score
from tender.services.evaluation import panel as evaluation
from tender.services.evaluation import ranking as evaluation_ranking
from tender.services.evaluation import envelope
from tender.domain import sealed_price
from tender.services.evaluation import scoring as evaluation_scoring
from tender.services.evaluation import status as evaluation_status
from tender.services.errors import InvalidRequest, NotAuthorised
from tender.services.procurement.guard_context import build_context
from tests.evaluation_support import DEMO_MODEL, build_panel, sheet, user

ROUND = "initial"


def actions_since(seq: int) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)))


def last_seq() -> int:
    return db.session.scalar(select(func.max(AuditEvent.seq))) or 0


def score_all(panel, values=(3, 2)):
    """Every evaluator submits ``values[i]`` for bid i on every question."""
    for email in panel.evaluators:
        for bid_id, value in zip(panel.bid_ids, values):
            evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, bid_id, user(email), sheet(value), True)


def moderate_all(panel, values=(3, 2)):
    for bid_id, value in zip(panel.bid_ids, values):
        evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, bid_id, user(panel.moderator),
                                    sheet(value, "The panel agreed."))


def test_moderated_scores_rank_the_lot_with_hand_worked_totals(ctx):
    panel = build_panel()
    score_all(panel)
    moderate_all(panel)
    envelope.open_prices(panel.procurement_id, 1, ROUND, user(panel.officer))

    result = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, user(panel.officer))

    # Bid A: every question 3 of 4 -> quality 60 x 3/4 = 45, social value 10 x 3/4 = 7.5;
    # price 30 x 80,000 / 100,000 = 24; total 76.5. Bid B: 2 of 4 -> 30 + 5 + 30 = 65.
    a, b = result.ranking.results
    assert (a.bidder, a.quality, a.social_value, a.price_score, a.total, a.rank) == (
        panel.bidders[0], Decimal(45), Decimal("7.5"), Decimal(24), Decimal("76.5"), 1)
    assert (b.bidder, b.quality, b.social_value, b.price_score, b.total, b.rank) == (
        panel.bidders[1], Decimal(30), Decimal(5), Decimal(30), Decimal(65), 2)
    assert not result.warnings
    assert {s.part for s in result.sensitivity} == {"quality", "social_value", "price"}


def test_moderation_completing_the_lot_makes_it_final_and_the_guard_sees_it(ctx):
    panel = build_panel()
    procurement = db.session.get(Procurement, panel.procurement_id)
    status = evaluation_status.for_procurement(panel.procurement_id)
    assert status[(panel.lot_id, ROUND)] == (False, "20 of 20 answers still need a moderated score")
    score_all(panel)
    evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.moderator),
                                sheet(3, "Agreed."))
    assert evaluation_status.for_procurement(panel.procurement_id)[(panel.lot_id, ROUND)][0] is False
    seq = last_seq()

    evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, panel.bid_ids[1], user(panel.moderator),
                                sheet(2, "Agreed."))

    assert actions_since(seq) == ["evaluation.score_moderated", "evaluation.ranking_final"]
    assert evaluation_status.for_procurement(panel.procurement_id)[(panel.lot_id, ROUND)] == (True, "")
    context = build_context(procurement, date(2022, 7, 20))
    assert context.lots[0].evaluation_final[ROUND] is True
    assert context.lots[0].evaluation_final["final"] is False


def test_a_moderated_fail_takes_the_bid_out_without_moderating_its_other_answers(ctx):
    panel = build_panel()
    score_all(panel)
    evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.moderator),
                                sheet(3, "Agreed."))
    evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, panel.bid_ids[1], user(panel.moderator),
                                {"C1": ("fail", "Not registered with the CQC.")})
    assert evaluation_status.for_procurement(panel.procurement_id)[(panel.lot_id, ROUND)] == (True, "")
    envelope.open_prices(panel.procurement_id, 1, ROUND, user(panel.officer))
    ranking = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, user(panel.officer)).ranking
    assert ranking.winners == (panel.bidders[0],)
    out = ranking.results[1]
    assert out.excluded and "failed pass/fail question C1" in out.reasons[0]


def test_submitted_scores_are_locked_and_a_second_submit_is_refused(ctx):
    panel = build_panel()
    evaluator = user(panel.evaluators[0])
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], evaluator, sheet(1), False)
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], evaluator, sheet(3), True)
    seq = last_seq()

    with pytest.raises(evaluation_scoring.ScoresLocked, match="locked"):
        evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], evaluator, sheet(0), True)

    values = set(db.session.scalars(select(Score.value).where(Score.bid_id == panel.bid_ids[0],
                                                              Score.value.is_not(None))))
    assert values == {Decimal(3)} and actions_since(seq) == []


def test_a_submit_needs_a_score_and_a_rationale_for_every_question(ctx):
    panel = build_panel()
    entries = sheet(3)
    entries["Q3"] = ("3", "  ")
    entries["Q4"] = ("", "Some reasons")
    with pytest.raises(evaluation_scoring.ScoreErrors) as problem:
        evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0],
                                       user(panel.evaluators[0]), entries, True)
    assert problem.value.errors == ["Enter the reasons for your score for Q3 Safeguarding and risk management",
                                    "Choose a score for Q4 Mobilisation and transition from the current provider"]
    with pytest.raises(evaluation_scoring.ScoreErrors, match="Choose one of the scores offered"):
        evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0],
                                       user(panel.evaluators[0]), sheet(7), False)


def test_saving_and_submitting_are_audited_with_the_scores_and_rationales(ctx):
    panel = build_panel()
    seq = last_seq()
    evaluator = user(panel.evaluators[0])
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], evaluator,
                                   {"Q3": ("2", "Partial safeguarding policy")}, False)
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], evaluator, sheet(3), True)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["evaluation.scores_saved", "evaluation.scores_submitted"]
    assert events[0].to_record()["after"]["scores"]["Q3"] == {"score": "2", "rationale": "Partial safeguarding policy"}
    assert events[1].actor == evaluator.email and events[1].lot == 1


def test_others_scores_are_hidden_until_the_evaluator_has_submitted_their_own(ctx):
    panel = build_panel()
    first, second = user(panel.evaluators[0]), user(panel.evaluators[1])
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], first, sheet(4), True)
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], second, sheet(1), False)
    assert evaluation_scoring.score_sheet(panel.procurement_id, 1, ROUND, panel.bid_ids[0], second).others == {}
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], second, sheet(1), True)
    others = evaluation_scoring.score_sheet(panel.procurement_id, 1, ROUND, panel.bid_ids[0], second).others
    assert others[first.id]["Q3"].value == Decimal(4) and others[first.id]["Q3"].person == first.name


def test_a_declared_conflict_removes_the_evaluator_from_the_lot_and_is_audited(ctx):
    panel = build_panel(declare=False)
    conflicted = user(panel.evaluators[0])
    seq = last_seq()
    evaluation.declare(panel.procurement_id, 1, conflicted, True, "My partner works for one of the bidders.")
    assert actions_since(seq) == ["evaluation.conflict_declared"]
    with pytest.raises(NotAuthorised, match="conflict of interest"):
        evaluation_scoring.score_sheet(panel.procurement_id, 1, ROUND, panel.bid_ids[0], conflicted)
    with pytest.raises(NotAuthorised):
        evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], conflicted, sheet(3), False)
    lot = evaluation.get_lot(panel.procurement_id, 1)
    (assignment, declaration), = [(a, d) for a, d in evaluation.panel(lot) if a.user_id == conflicted.id]
    assert not assignment.active and declaration.details.startswith("My partner")
    with pytest.raises(InvalidRequest, match="declared a conflict"):
        evaluation.assign(panel.procurement_id, 1, conflicted.id, None, user(panel.officer))


def test_bids_stay_closed_until_the_conflict_declaration_and_to_people_off_the_panel(ctx):
    panel = build_panel(declare=False)
    with pytest.raises(NotAuthorised, match="Declare whether you have a conflict"):
        evaluation_scoring.score_sheet(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.evaluators[0]))
    with pytest.raises(NotAuthorised, match="not on the evaluation panel"):
        evaluation_scoring.score_sheet(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.other_evaluator))
    with pytest.raises(NotAuthorised, match="permission"):
        evaluation.assign(panel.procurement_id, 1, user(panel.other_evaluator).id, None, user(panel.moderator))


def test_a_section_evaluator_scores_only_their_sections(ctx):
    panel = build_panel()
    finance = user(panel.other_evaluator)
    evaluation.assign(panel.procurement_id, 1, finance.id, ["social_value"], user(panel.officer))
    evaluation.declare(panel.procurement_id, 1, finance, False, "")
    sheet_ = evaluation_scoring.score_sheet(panel.procurement_id, 1, ROUND, panel.bid_ids[0], finance)
    assert [q.id for q in sheet_.questions] == ["SV1", "SV2"]
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], finance,
                                   sheet(2, questions=("SV1", "SV2")), True)
    with pytest.raises(InvalidRequest, match="sections of this lot's evaluation model"):
        evaluation.assign(panel.procurement_id, 1, finance.id, ["finance"], user(panel.officer))


def test_moderation_waits_for_every_assigned_evaluator(ctx):
    panel = build_panel()
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.evaluators[0]),
                                   sheet(3), True)
    with pytest.raises(evaluation_scoring.ScoreErrors, match="waiting for"):
        evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.moderator),
                                    sheet(3, "Agreed."))


def test_the_moderation_sheet_marks_spreads_wider_than_the_scale_allows(ctx):
    panel = build_panel()
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.evaluators[0]),
                                   sheet(4), True)
    evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.evaluators[1]),
                                   {**sheet(3), "Q3": ("1", "Weak")}, True)
    moderation = evaluation_scoring.moderation_sheet(panel.procurement_id, 1, ROUND, panel.bid_ids[0],
                                                     user(panel.moderator))
    assert set(moderation.spreads) == {"Q3"} and moderation.spreads["Q3"].spread == 3


def test_prices_stay_sealed_until_moderation_is_complete_then_opening_is_audited(ctx):
    panel = build_panel()
    officer = user(panel.officer)
    score_all(panel)
    with pytest.raises(InvalidRequest, match="only once the quality evaluation is final"):
        envelope.open_prices(panel.procurement_id, 1, ROUND, officer)
    before = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, officer)
    assert before.ranking is None and "final" in before.ranking_note
    moderate_all(panel)
    sealed = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, officer)
    assert sealed.ranking is None and "sealed" in sealed.ranking_note and sealed.may_open_prices
    with pytest.raises(NotAuthorised):
        envelope.open_prices(panel.procurement_id, 1, ROUND, user(panel.moderator))
    seq = last_seq()

    envelope.open_prices(panel.procurement_id, 1, ROUND, officer)

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.seq > seq))
    assert event.action == "evaluation.prices_opened"
    opened = event.to_record()["after"]["prices"]
    assert {b: e["price"] for b, e in opened.items()} == {panel.bidders[0]: "100000.00", panel.bidders[1]: "80000.00"}
    assert all(sealed_price.matches(e["price"], e["salt"], e["commitment"]) for e in opened.values())
    with pytest.raises(InvalidRequest, match="already been opened"):
        envelope.open_prices(panel.procurement_id, 1, ROUND, officer)


def test_a_lot_without_a_budget_is_ranked_without_the_ceiling_and_says_so(ctx):
    panel = build_panel(budget=None)
    score_all(panel)
    moderate_all(panel)
    envelope.open_prices(panel.procurement_id, 1, ROUND, user(panel.officer))
    result = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, user(panel.officer))
    assert result.ranking.winners == (panel.bidders[0],)
    assert "affordability ceiling was not applied" in result.warnings[0]


def test_agreement_shows_the_evaluator_who_scores_apart(ctx):
    panel = build_panel(bids=2, evaluators=3)
    first, second, third = (user(e) for e in panel.evaluators)
    for bid_id, base in zip(panel.bid_ids, (3, 1)):
        for person, shift in ((first, 0), (second, 0), (third, 1 if base == 1 else -3)):
            evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, bid_id, person, sheet(base + shift), True)
    report = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, user(panel.officer)).agreement
    assert max(report.by_evaluator.values(), key=lambda v: v.change).evaluator == str(third.id)


def test_a_model_that_says_any_time_lets_the_officer_open_prices_before_moderation(ctx, tmp_path):
    from tender.resources import data_dir

    source = data_dir("scoring_rules") / f"{DEMO_MODEL}.yaml"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / f"{DEMO_MODEL}.yaml").write_text(
        source.read_text().replace("  formula: lowest_relative", "  opening: any_time\n  formula: lowest_relative", 1))
    ctx.config["TENDER_SCORING_RULES_DIR"] = str(rules)
    panel = build_panel()
    officer = user(panel.officer)
    early = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, officer)
    assert not early.status.final and early.may_open_prices
    envelope.open_prices(panel.procurement_id, 1, ROUND, officer)
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()))
    assert event.action == "evaluation.prices_opened"


def test_an_officer_takes_an_evaluator_off_the_panel_before_they_score_and_the_round_no_longer_waits_for_them(ctx):
    from tender.services.evaluation import panel as evaluation
    from tender.services.errors import InvalidRequest as Refused

    panel = build_panel(evaluators=3)
    officer = user(panel.officer)
    leaving = user(panel.evaluators[2])
    with pytest.raises(Refused, match="Enter the reason"):
        evaluation.withdraw(panel.procurement_id, 1, leaving.id, " ", officer)
    seq = last_seq()
    evaluation.withdraw(panel.procurement_id, 1, leaving.id, "Long-term sick leave", officer)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.seq > seq))
    assert event.action == "evaluation.panel_withdrawn" and event.reason == "Long-term sick leave"
    with pytest.raises(NotAuthorised):
        evaluation_scoring.score_sheet(panel.procurement_id, 1, ROUND, panel.bid_ids[0], leaving)
    # The other two score and the moderator agrees: the round is final without the third evaluator.
    for email in panel.evaluators[:2]:
        for bid_id, value in zip(panel.bid_ids, (3, 2)):
            evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, bid_id, user(email), sheet(value), True)
    moderate_all(panel)
    assert evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, officer).status.final
    with pytest.raises(Refused, match="was withdrawn from the panel"):
        evaluation.assign(panel.procurement_id, 1, leaving.id, None, officer)


def test_someone_who_has_submitted_scores_cannot_be_taken_off_the_panel(ctx):
    from tender.services.evaluation import panel as evaluation
    from tender.services.errors import InvalidRequest as Refused

    panel = build_panel()
    score_all(panel)
    with pytest.raises(Refused, match="already submitted or moderated scores"):
        evaluation.withdraw(panel.procurement_id, 1, user(panel.evaluators[0]).id, "Changed teams", user(panel.officer))
    with pytest.raises(NotAuthorised):
        evaluation.withdraw(panel.procurement_id, 1, user(panel.evaluators[1]).id, "No", user(panel.moderator))
