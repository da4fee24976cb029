"""The Procurement Act path in the services: notices drive stages, standstill binds, ALTs and conflicts are decided.

Real database (SQLite, or PostgreSQL with TENDER_TEST_DATABASE_URL). Each
procurement is walked through the services as an officer would; where a test
needs a procurement at a stage whatever the path, it sets the stage by hand
(as the other service tests do) and says so.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tender.domain import letters as letter_rules
from tender.extensions import db
from tender.models import AuditEvent, Milestone, Procurement
from tender.services.award import abnormally_low, recommendation, report, standstill
from tender.services.award.documents import render_html
from tender.services.errors import Blocked, InvalidRequest, NotAuthorised, ServiceError
from tender.services.procurement import conflicts_assessment, setup, workflow
from tender.services.procurement.definitions import definition_of
from tests.act_support import (ACT_TIMETABLE, act_procurement_in_assessment, at, pcr_citations, record_notice,
                               revisit_at_award)
from tests.helpers import make_user
from tests.publishing_support import approve

CONTRACT_AND_AFTER = {"contract_entered", "contract_details_published", "mobilisation", "live"}


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _state(pid: int) -> str:
    db.session.expire_all()
    return db.session.get(Procurement, pid).state


def _advance(pid: int, trigger: str, officer, today: date):
    return workflow.advance(pid, trigger, officer, expected_version=db.session.get(Procurement, pid).version,
                            today=today, reason="Pressed in a test of every order.")


def _awarded(officer, *, regime: str = "pa2023") -> tuple[int, object]:
    """An Act procurement with its award approved and its assessment summaries recorded as sent (2 June 2025)."""
    approver = make_user("approver")
    pid = act_procurement_in_assessment(officer, approver, regime=regime)
    revisit_at_award(pid, officer)
    recommendation.record(pid, 1, officer)
    approve(pid, approver, at("2025-05-29"))
    standstill.record_notices_sent(db.session.get(Procurement, pid), at("2025-06-02"), officer, now=at("2025-06-02", 10))
    return pid, approver


def _reachable(pid: int, officer, today: date, starts) -> set[str]:
    """Every stage reachable from ``starts`` by pressing every stage button, in every order, on ``today``.

    The stage is the procurement's only memory, so a breadth-first search over stages tries every order of
    presses: from each stage reached, every trigger of the procedure is pressed (the stage is put back by hand
    between presses, as if the procurement had arrived there).
    """
    triggers = [t.trigger for t in definition_of(db.session.get(Procurement, pid)).transitions]
    seen, queue = set(starts), list(starts)
    while queue:
        stage = queue.pop(0)
        for trigger in triggers:
            procurement = db.session.get(Procurement, pid)
            procurement.state = stage
            db.session.commit()
            try:
                change = _advance(pid, trigger, officer, today)
            except ServiceError:
                continue
            if change.to_stage not in seen:
                seen.add(change.to_stage)
                queue.append(change.to_stage)
    return seen


@pytest.mark.slow
def test_an_act_contract_is_never_entered_before_a_uk6_and_its_standstill_whatever_buttons_are_pressed(ctx):
    officer = make_user("procurement_officer")
    pid, _ = _awarded(officer)
    definition = definition_of(db.session.get(Procurement, pid))
    before_contract = [s.name for s in definition.stages if not s.final and s.name not in CONTRACT_AND_AFTER]
    assert "standstill" in before_contract and "tender_assessment" in before_contract

    # No UK6: from every stage before the contract, no order of presses reaches it, even long after the plan.
    reached = _reachable(pid, officer, _day("2025-09-01"), before_contract)
    assert not reached & CONTRACT_AND_AFTER, reached

    # The UK6 published on Tue 3 June 2025 moves the procurement into standstill (8 working days: 3-12 June).
    procurement = db.session.get(Procurement, pid)
    procurement.state = "assessment_summaries_sent"
    db.session.commit()
    record_notice(pid, "award", officer, at("2025-06-03"))
    assert _state(pid) == "standstill"
    for last_standstill_day in ("2025-06-03", "2025-06-12"):
        reached = _reachable(pid, officer, _day(last_standstill_day), before_contract)
        assert not reached & CONTRACT_AND_AFTER, (last_standstill_day, reached)

    # A legal challenge still suspends it after standstill, whatever is pressed; once lifted the contract follows.
    db.session.get(Procurement, pid).state = "standstill"
    db.session.commit()
    challenge = standstill.record_challenge(pid, "HT-2025-000999", _day("2025-06-10"), _day("2025-06-11"), "",
                                            officer, _day("2025-06-11"))
    assert not _reachable(pid, officer, _day("2025-06-13"), before_contract) & CONTRACT_AND_AFTER
    standstill.lift_suspension(pid, challenge.id, _day("2025-06-13"), "Claim discontinued.", officer,
                               _day("2025-06-13"))
    db.session.get(Procurement, pid).state = "standstill"
    db.session.commit()
    assert _advance(pid, "enter_contract", officer, _day("2025-06-13")).to_stage == "contract_entered"


def test_the_contract_stage_refuses_a_procurement_with_no_uk6_even_when_its_moment_is_set_by_hand(ctx):
    # The service's own check behind the guards: a moment with no notice on record is no contract award notice.
    officer = make_user("procurement_officer")
    pid, _ = _awarded(officer)
    procurement = db.session.get(Procurement, pid)
    procurement.state, procurement.award_notice_published_at = "standstill", at("2025-06-03")
    db.session.commit()
    with pytest.raises(Blocked) as refused:
        _advance(pid, "enter_contract", officer, _day("2025-07-01"))
    assert any("Publish the contract award notice (UK6)" in r for r in refused.value.reasons)
    assert standstill.contract_entry_blockers(db.session.get(Procurement, pid), _day("2025-07-01"))


def test_a_uk6_is_refused_before_the_summaries_and_when_its_standstill_would_already_be_over(ctx):
    officer = make_user("procurement_officer")
    approver = make_user("approver")
    pid = act_procurement_in_assessment(officer, approver)
    procurement = db.session.get(Procurement, pid)
    procurement.state = "assessment_summaries_sent"  # by hand: the summaries' sending is what is missing
    db.session.commit()
    with pytest.raises(InvalidRequest, match="Record when the assessment summaries were sent first"):
        record_notice(pid, "award", officer, at("2025-06-03"))
    procurement = db.session.get(Procurement, pid)
    procurement.award_notices_sent_at = at("2025-06-02")
    db.session.commit()
    with pytest.raises(InvalidRequest, match="comes after the assessment summaries"):
        record_notice(pid, "award", officer, at("2025-06-01"), now=at("2025-06-03"))
    # Recorded on 20 June as published on 3 June: its standstill (to 12 June) is over before anyone knew of it.
    with pytest.raises(InvalidRequest, match="ended on 12 June 2025"):
        record_notice(pid, "award", officer, at("2025-06-03"), now=at("2025-06-20"))
    assert _state(pid) == "assessment_summaries_sent"
    assert db.session.get(Procurement, pid).award_notice_published_at is None
    # On its last day it still gives a standstill: accepted, and standstill runs to that day.
    record_notice(pid, "award", officer, at("2025-06-03"), now=at("2025-06-12"))
    assert _state(pid) == "standstill"
    last = standstill.standstill_of(db.session.get(Procurement, pid))
    assert (last.started_on, last.last_day) == (_day("2025-06-03"), _day("2025-06-12"))
    met = db.session.scalar(select(Milestone.actual_date).where(Milestone.procurement_id == pid,
                                                                Milestone.key == "contract_award_notice_published"))
    assert met == _day("2025-06-03")


def _promised_and_enforced(pid: int, officer, sent_on: date) -> tuple[letter_rules.Standstill, date]:
    """What a summary sent on ``sent_on`` promises, and the first day the contract stage lets the contract in."""
    promise = standstill.summary_standstill(db.session.get(Procurement, pid), sent_on)
    record_notice(pid, "award", officer, at(sent_on.isoformat(), 11))
    day = sent_on
    while True:
        try:
            _advance(pid, "enter_contract", officer, day)
            return promise, day
        except Blocked:
            day += timedelta(days=1)


def test_a_light_touch_act_procurements_summaries_promise_exactly_what_is_enforced(ctx):
    officer = make_user("procurement_officer")
    # No voluntary standstill: the summary promises none, and the contract may follow the UK6 the same day.
    pid, _ = _awarded(officer, regime="pa2023_light_touch")
    procurement = db.session.get(Procurement, pid)
    procurement.state = "assessment_summaries_sent"
    db.session.commit()
    promise, first_day = _promised_and_enforced(pid, officer, _day("2025-06-02"))
    assert not promise.applies and "No standstill period applies" in promise.wording
    assert "We will not enter into the contract before" not in promise.wording
    assert first_day == _day("2025-06-02")

    # A voluntary standstill recorded before the summaries go: they promise 8 working days, and the contract waits.
    other, _ = _awarded(officer, regime="pa2023_light_touch")
    procurement = db.session.get(Procurement, other)
    procurement.award_notices_sent_at = None  # by hand: the summaries have not gone yet
    db.session.commit()
    standstill.record_voluntary_standstill(other, officer, "To give suppliers time to challenge the decision.")
    procurement = db.session.get(Procurement, other)
    procurement.award_notices_sent_at, procurement.state = at("2025-06-02"), "assessment_summaries_sent"
    db.session.commit()
    promise, first_day = _promised_and_enforced(other, officer, _day("2025-06-02"))
    assert promise.applies and "voluntary standstill period of 8 working days" in promise.wording
    assert promise.last_day == _day("2025-06-11")  # 2, 3, 4, 5, 6, 9, 10, 11 June
    assert f"{promise.last_day.strftime('%A')} 11 June 2025" in promise.wording
    assert first_day == promise.last_day + timedelta(days=1)

    # Once summaries have gone promising none, a voluntary standstill can no longer be promised in them.
    with pytest.raises(InvalidRequest, match="no standstill applies"):
        standstill.record_voluntary_standstill(pid, officer, "Too late.")
    full, _ = _awarded(officer)
    with pytest.raises(InvalidRequest, match="only for a light touch contract"):
        standstill.record_voluntary_standstill(full, officer, "Not needed: the law gives one.")


def test_an_abnormally_low_tender_cannot_be_recommended_until_its_explanation_is_decided(ctx):
    officer = make_user("procurement_officer")
    pid = act_procurement_in_assessment(officer, make_user("approver"), prices=("480000", "455000", "300000"))
    revisit_at_award(pid, officer)
    view = abnormally_low.lot_reviews(pid, 1, officer)
    [flagged] = view.flagged
    assert flagged.step == "request" and "Procurement Act 2023 s.19" in flagged.notes[0]
    assert "PCR" not in " ".join(flagged.notes)
    with pytest.raises(InvalidRequest, match=f"the price of {flagged.supplier} is flagged as abnormally low"):
        recommendation.record(pid, 1, officer)
    with pytest.raises(InvalidRequest, match="Record the request for an explanation first"):
        abnormally_low.decide(pid, 1, flagged.bid_id, officer, "accepted", "Looks fine.")
    with pytest.raises(NotAuthorised):
        abnormally_low.request_explanation(pid, 1, flagged.bid_id, make_user("evaluator"), _day("2025-05-20"), "?")

    abnormally_low.request_explanation(pid, 1, flagged.bid_id, officer, _day("2025-05-20"),
                                       "Explain the staffing costs behind a price 35% below the others.")
    with pytest.raises(InvalidRequest, match="Record the supplier's reply first"):
        abnormally_low.decide(pid, 1, flagged.bid_id, officer, "accepted", "Fine.")
    abnormally_low.record_explanation(pid, 1, flagged.bid_id, officer, _day("2025-05-23"),
                                      "Volunteers deliver the befriending part; salaries match the NJC scale.")
    with pytest.raises(InvalidRequest, match="Record the request|flagged as abnormally low"):
        recommendation.record(pid, 1, officer)
    abnormally_low.decide(pid, 1, flagged.bid_id, officer, "accepted",
                          "The volunteer model is evidenced and the salaries are lawful.")
    rec = recommendation.record(pid, 1, officer)
    row = next(r for r in json.loads(rec.decision)["ranking"] if r["supplier"] == flagged.supplier)
    assert row["abnormally_low"] and not row["excluded"]
    assert any("accepted: The volunteer model is evidenced" in note for note in row["notes"])
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("abnormally_low.%"))
                                      .order_by(AuditEvent.seq)))
    assert actions == ["abnormally_low.explanation_requested", "abnormally_low.explanation_received",
                       "abnormally_low.decided"]
    with pytest.raises(InvalidRequest, match="recommendation is recorded"):
        abnormally_low.request_explanation(pid, 1, flagged.bid_id, officer, _day("2025-05-20"), "Again?")


def test_a_rejected_abnormally_low_tender_is_excluded_and_the_report_quotes_what_was_recorded(ctx):
    officer = make_user("procurement_officer")
    pid = act_procurement_in_assessment(officer, make_user("approver"), prices=("480000", "455000", "300000"))
    revisit_at_award(pid, officer)
    [flagged] = abnormally_low.lot_reviews(pid, 1, officer).flagged
    abnormally_low.request_explanation(pid, 1, flagged.bid_id, officer, _day("2025-05-20"), "Explain the price.")
    abnormally_low.record_explanation(pid, 1, flagged.bid_id, officer, _day("2025-05-27"),
                                      "No reply was received by the deadline of 27 May.")
    abnormally_low.decide(pid, 1, flagged.bid_id, officer, "rejected",
                          "Without an explanation the price cannot cover the minimum staffing.")
    decision = json.loads(recommendation.record(pid, 1, officer).decision)
    rejected = next(r for r in decision["ranking"] if r["supplier"] == flagged.supplier)
    assert rejected["excluded"] and rejected["rank"] is None and rejected["total"] is None
    assert any("rejected after considering the supplier's explanation (Procurement Act 2023 s.19): Without an "
               "explanation" in reason for reason in rejected["reasons"])
    kept = [r for r in decision["ranking"] if not r["excluded"]]
    assert [r["rank"] for r in kept] == [1, 2] and decision["recommended"]["supplier"] != flagged.supplier
    # Price is scored among the tenders still in: the lowest of them earns the full 30 marks.
    assert max(float(r["price_score"]) for r in kept) == 30.0

    html = render_html("letters/report.html", **report.build(db.session.get(Procurement, pid)))
    assert "Kept, after explanation" not in html and "regulation 84" not in html
    assert pcr_citations(" ".join(re.sub(r"<[^>]+>", " ", html).split())) == []
    assert "section 98 of the Procurement Act 2023" in html
    assert "No reply was received by the deadline of 27 May." in html
    assert "Without an explanation the price cannot cover the minimum staffing." in html


def test_the_uk4_cannot_go_before_the_conflicts_assessment_is_reviewed_and_covers_everyone(ctx):
    officer, colleague = make_user("procurement_officer", name="Olive Officer"), make_user("procurement_officer")
    approver = make_user("approver")
    from decimal import Decimal

    p = setup.create_procurement(officer, "ACT-CONFLICTS", "Wellbeing", "", "competitive_flexible_procedure",
                                 "pa2023", Decimal("900000.00"), 3, [], True, False, False, False, officer.id)
    for m in db.session.scalars(select(Milestone).where(Milestone.procurement_id == p.id)):
        setup.plan_milestone(officer, p.id, m.id, _day(ACT_TIMETABLE[m.key]), colleague.id, today=_day("2025-02-24"))
    pid = p.id
    with pytest.raises(InvalidRequest, match="Record the conflicts assessment before the tender notice"):
        record_notice(pid, "tender", officer, at("2025-03-03"))
    with pytest.raises(Blocked) as blocked:
        _advance(pid, "publish_tender_notice", officer, _day("2025-03-03"))
    assert any("conflicts assessment" in r for r in blocked.value.reasons)

    conflicts_assessment.record(pid, officer, "Risk: the lead officer's spouse works for a local provider.")
    conflicts_assessment.add_person(pid, officer, approver.id)
    listed = {p.user.id: p.roles for p in conflicts_assessment.people(db.session.get(Procurement, pid),
                                                                     conflicts_assessment.assessment_of(pid))}
    assert set(listed) == {officer.id, colleague.id, approver.id}  # the milestone owner acts for the authority too
    with pytest.raises(InvalidRequest, match="must be reviewed and dated"):
        record_notice(pid, "tender", officer, at("2025-03-03"))
    with pytest.raises(InvalidRequest, match="Someone other than the person who prepared"):
        conflicts_assessment.review(pid, officer, "")
    with pytest.raises(InvalidRequest, match="Still to declare: "):
        conflicts_assessment.review(pid, approver, "")
    with pytest.raises(NotAuthorised):
        conflicts_assessment.declare(pid, make_user("evaluator"), False, "")  # not acting on it: not listed
    conflicts_assessment.declare(pid, officer, True, "My spouse works for Acme Care CIC, which may bid.")
    conflicts_assessment.declare(pid, colleague, False, "")
    conflicts_assessment.declare(pid, approver, False, "")
    with pytest.raises(InvalidRequest, match="record how each declared conflict is mitigated"):
        conflicts_assessment.review(pid, approver, "")
    conflicts_assessment.mitigate(pid, officer, officer.id, "The officer takes no part in assessing Acme's tender.")
    conflicts_assessment.review(pid, approver, "Checked against the register of interests.")

    record_notice(pid, "tender", officer, at("2025-03-03"))
    assert _state(pid) == "participation_period"
    facts = report.build(db.session.get(Procurement, pid))["conflicts_assessment"]
    assert facts["reviewed_on"] is not None and facts["assessment"].reviewed_by_id == approver.id
    assert [r["declared"] for r in facts["people"] if r["name"] == officer.name] == [
        "Declared a conflict: My spouse works for Acme Care CIC, which may bid."]


def test_the_conflicts_assessment_is_revisited_at_award_before_the_recommendation(ctx):
    officer = make_user("procurement_officer")
    pid = act_procurement_in_assessment(officer, make_user("approver"))
    with pytest.raises(InvalidRequest, match="Revisit the conflicts assessment at award first"):
        recommendation.record(pid, 1, officer)
    procurement = db.session.get(Procurement, pid)
    panel = [p for p in conflicts_assessment.people(procurement, conflicts_assessment.assessment_of(pid))
             if any(r.startswith(("Evaluator", "Moderator")) for r in p.roles)]
    assert len(panel) == 3 and all(p.declared for p in panel)  # their declarations on the lot count
    newcomer = make_user("procurement_officer")
    conflicts_assessment.add_person(pid, officer, newcomer.id)
    with pytest.raises(InvalidRequest, match=f"Still to declare: {newcomer.name}"):
        conflicts_assessment.revisit_at_award(pid, officer, "Checked.")
    conflicts_assessment.declare(pid, newcomer, False, "")
    conflicts_assessment.revisit_at_award(pid, officer, "The panel declared on the lot; one officer joined.")
    assert recommendation.record(pid, 1, officer).digest


def test_the_uk7_follows_the_contract_date_and_is_refused_late_without_a_reason(ctx):
    officer = make_user("procurement_officer")
    pid, _ = _awarded(officer)
    procurement = db.session.get(Procurement, pid)
    procurement.state = "assessment_summaries_sent"
    db.session.commit()
    details = db.session.scalar(select(Milestone).where(Milestone.procurement_id == pid,
                                                        Milestone.key == "contract_details_published"))
    details.owner_id = None
    db.session.commit()
    record_notice(pid, "award", officer, at("2025-06-03"))
    _advance(pid, "enter_contract", officer, _day("2025-06-16"))  # a Monday, after standstill (3-12 June)
    db.session.expire_all()
    details = db.session.get(Milestone, details.id)
    # 30 days beginning with 16 June: due by 15 July, owned by the lead officer so reminders reach someone.
    assert (details.planned_date, details.owner_id) == (_day("2025-07-15"), officer.id)
    with pytest.raises(Blocked):
        _advance(pid, "publish_contract_details_notice", officer, _day("2025-07-01"))  # no UK7 on record
    ctx.config["TENDER_TODAY"] = "2025-07-15"
    with pytest.raises(InvalidRequest, match="is not late"):
        standstill.record_late_reason(pid, officer, "The portal was down.")
    ctx.config["TENDER_TODAY"] = "2025-07-16"
    with pytest.raises(InvalidRequest, match="was due by 15 July 2025"):
        record_notice(pid, "contract", officer, at("2025-07-16"))
    assert _state(pid) == "contract_entered"
    standstill.record_late_reason(pid, officer, "Find a Tender was unavailable from 14 to 16 July.")
    record_notice(pid, "contract", officer, at("2025-07-16"))
    assert _state(pid) == "contract_details_published"
    reasons = [json.loads(e.after)["reason"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "notice.late_reason_recorded"))]
    assert reasons == ["Find a Tender was unavailable from 14 to 16 July."]
