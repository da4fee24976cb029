"""The procurement page builds one guard context and derives its evaluation rows from it.

``views.overview_facts`` takes the approval and the challenges the page reads
anyway instead of querying them again, and the evaluation table comes from
the guard context's lots instead of ``evaluation.ranking.overview_rows``: both
must give exactly what the general code gives. The page's query count does
not grow with the bidders, the scores or the milestones' owners.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select, update

from benchmarks.ranking_data import populate
from tender.demo_large import MODEL_NAME
from tender.extensions import db
from tender.models import AwardApproval, Bid, LegalChallenge, Milestone, ModeratedScore, User
from tender.services.award import standstill
from tender.services.evaluation.ranking import overview_rows
from tender.services.procurement import views
from tender.services.procurement.guard_context import build_context
from tests.helpers import counted, login, make_user

TODAY = date(2022, 9, 1)
NOW = datetime(2022, 8, 1, 9, tzinfo=timezone.utc)


def _facts(pid: int):
    procurement = views.page_procurement(pid)
    approval = views.approval_of(procurement)
    return procurement, views.overview_facts(procurement, TODAY, approval,
                                             standstill.page_facts(procurement, TODAY).challenges)


def _compare(pid: int) -> None:
    db.session.expunge_all()
    procurement, facts = _facts(pid)
    assert facts.context == build_context(procurement, TODAY)
    rows = facts.evaluation_rows()
    assert [(r.lot.number, r.round, r.final, r.note) for r in rows] == [
        (r["lot"].number, r["round"], r["final"], r["note"]) for r in overview_rows(pid)]


def test_the_page_facts_equal_the_general_ones_through_approval_challenges_and_moderation(ctx):
    ids = populate(4, questions=6, evaluators=2, lots=3, round_="final", model_name=MODEL_NAME)
    pid = ids["procurement_id"]
    db.session.commit()
    _compare(pid)  # all moderated, final round
    # Lot 2 gets an initial round too, a moderated score goes, a lot has no bids at all.
    lot1, lot2, lot3 = ids["lot_ids"]
    bid = db.session.scalar(select(Bid).where(Bid.lot_id == lot2))
    db.session.add(Bid(lot_id=lot2, supplier_id=bid.supplier_id, round="initial", received_at=NOW))
    db.session.delete(db.session.scalar(select(ModeratedScore).join(Bid).where(Bid.lot_id == lot1).limit(1)))
    db.session.execute(update(Bid).where(Bid.lot_id == lot3).values(round="initial"))
    db.session.commit()
    _compare(pid)
    officer_id = ids["officer_id"]
    db.session.add(AwardApproval(procurement_id=pid, approved_by_id=officer_id, approved_at=NOW,
                                 authority="Decision 22/00033", digest="0" * 64))
    db.session.add_all([
        LegalChallenge(procurement_id=pid, reference="HT-2022-1", issued_on=TODAY, aware_on=TODAY,
                       recorded_by_id=officer_id, recorded_at=NOW, lifted_on=TODAY, lifted_reason="Order"),
        LegalChallenge(procurement_id=pid, reference="HT-2022-2", issued_on=TODAY, aware_on=TODAY,
                       recorded_by_id=officer_id, recorded_at=NOW),
        LegalChallenge(procurement_id=pid, reference="HT-2022-3", issued_on=TODAY, aware_on=TODAY,
                       recorded_by_id=officer_id, recorded_at=NOW),
    ])
    db.session.commit()
    _compare(pid)
    _, facts = _facts(pid)
    assert facts.context.award_approved_by == db.session.get(User, officer_id).name
    assert facts.context.challenges_suspending == ("HT-2022-2", "HT-2022-3")


def _page_statements(client, app, pid: int) -> int:
    with app.app_context(), counted() as statements:
        response = client.get(f"/procurements/{pid}")
    assert response.status_code == 200
    return len(statements)


def test_the_page_costs_the_same_queries_at_2_and_12_bidders_and_with_every_milestone_owned(client, app):
    app.config["TENDER_TODAY"] = TODAY.isoformat()
    with app.app_context():
        small = populate(2, questions=5, evaluators=2, lots=2, round_="final", model_name=MODEL_NAME)
        large = populate(12, questions=5, evaluators=3, lots=2, round_="final", model_name=MODEL_NAME)
        make_user("procurement_officer", email="page@kent.example")
        for pid in (small["procurement_id"], large["procurement_id"]):
            db.session.add_all([Milestone(procurement_id=pid, key=f"m{i}", title=f"Milestone {i}", position=i,
                                          planned_date=date(2022, 8, 1 + i)) for i in range(6)])
        db.session.commit()
        owners = [make_user("procurement_officer", email=f"owner{i}@kent.example") for i in range(6)]
        db.session.commit()
        owner_ids = [o.id for o in owners]
        pids = small["procurement_id"], large["procurement_id"]
    login(client, "page@kent.example")
    before = [_page_statements(client, app, pid) for pid in pids]
    with app.app_context():
        for i, owner_id in enumerate(owner_ids):  # a different owner on every milestone
            db.session.execute(update(Milestone).where(Milestone.procurement_id.in_(pids), Milestone.key == f"m{i}")
                               .values(owner_id=owner_id))
        db.session.commit()
    after = [_page_statements(client, app, pid) for pid in pids]
    assert before[0] == before[1] == after[0] == after[1], (before, after)


def test_the_remembered_diagram_is_the_one_drawn_for_each_stage():
    from tender.domain import workflow_diagram
    from tender.services.procurement.procedures import registry

    for definition in registry().definitions.values():
        for stage in definition.stages:
            drawn = workflow_diagram.to_svg(definition, stage.name)
            assert views.diagram_svg(definition, stage.name) == drawn
            assert views.diagram_svg(definition, stage.name) == drawn  # remembered
        assert len({views.diagram_svg(definition, s.name) for s in definition.stages}) == len(definition.stages)
