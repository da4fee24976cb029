"""The award as a decision on record: frozen scores, reopening, recommendations, approval of a digest."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tender.domain import award as award_rules
from tender.extensions import db
from tender.models import AuditEvent, AwardApproval, Bid, Procurement
from tender.services.award import approval, recommendation
from tender.services.errors import ConcurrentChange, InvalidRequest, NotAuthorised
from tender.services.evaluation import envelope
from tender.services.evaluation import ranking as evaluation_ranking
from tender.services.evaluation import scoring as evaluation_scoring
from tests.evaluation_support import build_panel, sheet, user
from tests.helpers import make_user

ROUND = "initial"


def evaluated_panel(values=(3, 2)):
    """One lot, two bids (prices 100,000 and 80,000), scored and moderated, prices opened, at award decision."""
    panel = build_panel()
    for email in panel.evaluators:
        for bid_id, value in zip(panel.bid_ids, values):
            evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, bid_id, user(email), sheet(value), True)
    for bid_id, value in zip(panel.bid_ids, values):
        evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, bid_id, user(panel.moderator),
                                    sheet(value, f"Agreed {value}."))
    envelope.open_prices(panel.procurement_id, 1, ROUND, user(panel.officer))
    db.session.get(Procurement, panel.procurement_id).state = "award_decision"
    db.session.commit()
    return panel


def totals(panel) -> dict[str, str]:
    ranking = evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, user(panel.officer)).ranking
    return {r.bidder: str(r.total) for r in ranking.results}


def declare_none(panel, approver):
    approval.declare_conflicts(panel.procurement_id, approver, {1: (False, "")})


def test_after_prices_are_opened_no_score_can_change_and_the_ranking_stays_put(ctx):
    panel = evaluated_panel()
    before = totals(panel)

    with pytest.raises(ConcurrentChange, match="frozen") as refused:
        evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, panel.bid_ids[1], user(panel.moderator),
                                    sheet(4, "Changed our minds."))
    assert refused.value.status == 409
    with pytest.raises(ConcurrentChange, match="frozen"):
        evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.evaluators[0]),
                                       sheet(1), False)
    assert totals(panel) == before


def test_the_recommendation_records_the_whole_ranking_its_value_and_digest_in_the_trail(ctx):
    panel = evaluated_panel()
    officer = user(panel.officer)

    rec = recommendation.record(panel.procurement_id, 1, officer)

    decision = json.loads(rec.decision)
    assert decision["recommended"]["supplier"] == panel.bidders[0]  # 3s beat 2s on quality
    assert [r["supplier"] for r in decision["ranking"]] == panel.bidders
    assert decision["ranking"][0]["scores"]["Q1.1"] == "3.00" and decision["ranking"][1]["price"] == "80000.00"
    assert decision["ranking"][0]["rationales"]["Q1.1"] == "Agreed 3."
    assert rec.annual_price == 100000 and rec.contract_value == 500000  # 3-year term + 2-year extension
    assert rec.digest == award_rules.digest(decision)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.recommended"))
    assert json.loads(event.after)["digest"] == rec.digest and json.loads(event.after)["decision"] == decision
    with pytest.raises(InvalidRequest, match="already has a recorded recommendation"):
        recommendation.record(panel.procurement_id, 1, officer)


def test_reopen_remoderate_rerecommend_and_approve_end_to_end(ctx):
    panel = evaluated_panel()
    officer, approver = user(panel.officer), make_user("approver")
    first = recommendation.record(panel.procurement_id, 1, officer)
    with pytest.raises(InvalidRequest, match="reason"):
        envelope.reopen_scores(panel.procurement_id, 1, ROUND, officer, "  ")
    with pytest.raises(NotAuthorised):
        envelope.reopen_scores(panel.procurement_id, 1, ROUND, user(panel.moderator), "Why not")

    envelope.reopen_scores(panel.procurement_id, 1, ROUND, officer, "Moderation note for Q4 was mis-keyed.")

    db.session.refresh(first)
    assert first.voided_at is not None and "mis-keyed" in first.void_reason
    with pytest.raises(InvalidRequest, match="not frozen"):
        recommendation.record(panel.procurement_id, 1, officer)
    # The panel changes its mind on the second bid: 4s everywhere; it now wins.
    evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, panel.bid_ids[1], user(panel.moderator),
                                sheet(4, "Re-moderated after reopening."))
    envelope.confirm_scores_final(panel.procurement_id, 1, ROUND, officer)
    second = recommendation.record(panel.procurement_id, 1, officer)
    assert second.supplier.name == panel.bidders[1] and second.digest != first.digest
    declare_none(panel, approver)
    with pytest.raises(ConcurrentChange, match="changed since you opened"):
        approval.approve_award(panel.procurement_id, approver, "Decision 22/00033", digest_seen=first.digest)

    view = approval.approval_view(panel.procurement_id, approver)
    approved = approval.approve_award(panel.procurement_id, approver, "Decision 22/00033", digest_seen=view.digest)

    assert approved.digest == award_rules.approval_digest({1: second.digest})
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    tail = [a for a in actions if a.startswith(("award.", "evaluation.scores_", "evaluation.score_moderated"))][-7:]
    assert tail == ["award.recommended", "evaluation.scores_reopened", "evaluation.score_moderated",
                    "evaluation.scores_confirmed_final", "award.recommended", "award.no_conflict_declared",
                    "award.approved"]
    with pytest.raises(InvalidRequest, match="approved"):
        envelope.reopen_scores(panel.procurement_id, 1, ROUND, officer, "Too late")


def test_an_approver_who_declares_a_conflict_can_neither_approve_nor_see_the_lot(ctx):
    panel = evaluated_panel()
    recommendation.record(panel.procurement_id, 1, user(panel.officer))
    approver = make_user("approver")
    approval.declare_conflicts(panel.procurement_id, approver, {1: (True, "My partner works for the bidder.")})

    with pytest.raises(NotAuthorised, match="another approver"):
        view = approval.approval_view(panel.procurement_id, approver)
        approval.approve_award(panel.procurement_id, approver, "Decision 22/00033", digest_seen=view.digest)
    with pytest.raises(NotAuthorised):
        evaluation_ranking.lot_evaluation(panel.procurement_id, 1, ROUND, approver)
    assert db.session.scalar(select(AwardApproval)) is None


def test_approval_needs_every_lot_recommended_and_declared(ctx):
    panel = evaluated_panel()
    approver = make_user("approver")
    view = approval.approval_view(panel.procurement_id, approver)
    assert view.digest is None and any("No recommendation" in b for b in view.blockers)
    with pytest.raises(InvalidRequest, match="No recommendation"):
        approval.approve_award(panel.procurement_id, approver, "Decision 22/00033")
    recommendation.record(panel.procurement_id, 1, user(panel.officer))
    with pytest.raises(InvalidRequest, match="Declare whether"):
        approval.approve_award(panel.procurement_id, approver, "Decision 22/00033")


def test_no_award_needs_a_reason_and_is_recorded_as_such(ctx):
    panel = evaluated_panel()
    rec = recommendation.record(panel.procurement_id, 1, user(panel.officer),
                                no_award_reason="Both tenders exceed the affordability envelope agreed by members.")
    assert rec.supplier_id is None and rec.contract_value is None
    assert json.loads(rec.decision)["recommended"] is None


def test_a_stored_price_changed_behind_the_apps_back_fails_audit_verify(app, ctx):
    panel = evaluated_panel()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    bid = db.session.get(Bid, panel.bid_ids[1])
    bid.price = bid.price - 1  # the bid table has no trigger: a DBA could do this
    db.session.commit()

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"bid {bid.id}: the stored price no longer matches" in result.output


def test_the_recommendation_is_what_the_notices_read_even_if_the_scores_move_on(ctx):
    from datetime import datetime, timezone

    from tender.models import ModeratedScore
    from tender.services.publishing import facts

    panel = evaluated_panel()
    rec = recommendation.record(panel.procurement_id, 1, user(panel.officer))
    approver = make_user("approver")
    db.session.add(AwardApproval(procurement_id=panel.procurement_id, approved_by_id=approver.id,
                                 approved_at=datetime.now(timezone.utc), authority="test"))
    # Behind the application's back, the losing bid's consensus scores are raised to the top of the scale.
    for row in db.session.scalars(select(ModeratedScore).where(ModeratedScore.bid_id == panel.bid_ids[1],
                                                               ModeratedScore.value.is_not(None))):
        row.value = 4
    db.session.commit()

    procurement = db.session.get(Procurement, panel.procurement_id)
    [award] = facts.read(procurement).awards
    assert award.supplier_id == rec.supplier_id and award.annual_price == rec.annual_price
    assert award.contract_value == rec.contract_value
