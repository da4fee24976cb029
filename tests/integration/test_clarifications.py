"""Clarifications on the real database: asked, published to every invited supplier, late answers extend deadlines."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, Clarification, ClarificationMessage, Milestone
from tender.services import clarifications, jobs
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tests.clarifications_support import build
from tests.evaluation_support import user

DEADLINE = date(2022, 7, 11)


def _actions(reference: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.procurement_ref == reference)
                                   .order_by(AuditEvent.seq)))


def _deadline(procurement_id: int) -> date:
    return db.session.scalar(select(Milestone.planned_date).where(
        Milestone.procurement_id == procurement_id, Milestone.key == "initial_tender_deadline"))


def test_a_clarification_answered_five_days_before_the_deadline_proposes_an_extension(ctx):
    ctx.config["TENDER_TODAY"] = "2022-07-06"
    t = build(DEADLINE)
    question = clarifications.ask(t.procurement_id, user(t.people[0]), "Is TUPE expected to apply to lot 1?")
    published = clarifications.publish(t.procurement_id, user(t.officer), kind="answer",
                                       question="Is TUPE expected to apply?", answer="Yes: see annex C.",
                                       question_id=question.id, expected_version=question.version)
    late = published.late
    assert late is not None and late.days_before == 5 and late.proposed_deadline == date(2022, 7, 12)
    clarification = db.session.get(Clarification, published.clarification.id)
    assert clarification.extension == "proposed" and clarification.proposed_deadline == date(2022, 7, 12)
    assert "regulation 47(3)" in clarification.warning
    assert _deadline(t.procurement_id) == DEADLINE  # proposed, not applied
    assert _actions(t.reference)[-2:] == ["clarification.published", "clarification.late_warning"]


def test_accepting_the_extension_moves_the_deadline_for_every_invited_supplier_and_tells_them(ctx):
    ctx.config["TENDER_TODAY"] = "2022-07-06"
    t = build(DEADLINE, invited=3)
    published = clarifications.publish(t.procurement_id, user(t.officer), kind="document_change",
                                       question="Specification section 4 replaced", answer="Version 2 attached.")
    with pytest.raises(InvalidRequest, match="on or after 12 July 2022"):
        clarifications.decide_extension(t.procurement_id, published.clarification.id, user(t.officer), accept=True,
                                        new_deadline=date(2022, 7, 11))
    done = clarifications.decide_extension(t.procurement_id, published.clarification.id, user(t.officer),
                                           accept=True, new_deadline=date(2022, 7, 18))
    assert done.extension == "accepted" and _deadline(t.procurement_id) == date(2022, 7, 18)
    told = db.session.scalars(select(ClarificationMessage.email).where(
        ClarificationMessage.clarification_id == done.id, ClarificationMessage.purpose == "extension")).all()
    assert sorted(told) == sorted(t.people)
    assert {"submission.deadline_extended", "clarification.extension_accepted"} <= set(_actions(t.reference))
    with pytest.raises(InvalidRequest, match="No extension"):
        clarifications.decide_extension(t.procurement_id, done.id, user(t.officer), accept=False, reason="x")


def test_declining_needs_a_reason_and_keeps_the_deadline(ctx):
    ctx.config["TENDER_TODAY"] = "2022-07-08"
    t = build(DEADLINE)
    published = clarifications.publish(t.procurement_id, user(t.officer), kind="answer", question="Typo in annex",
                                       answer="Read 'weekly' for 'weakly'.")
    with pytest.raises(InvalidRequest, match="reason"):
        clarifications.decide_extension(t.procurement_id, published.clarification.id, user(t.officer), accept=False)
    done = clarifications.decide_extension(t.procurement_id, published.clarification.id, user(t.officer),
                                           accept=False, reason="A typing correction that changes nothing.")
    assert done.extension == "declined" and _deadline(t.procurement_id) == DEADLINE
    assert "clarification.extension_declined" in _actions(t.reference)


def test_an_answer_in_good_time_proposes_nothing(ctx):
    ctx.config["TENDER_TODAY"] = "2022-07-01"
    t = build(DEADLINE)
    published = clarifications.publish(t.procurement_id, user(t.officer), kind="answer", question="Q", answer="A")
    assert published.late is None and published.clarification.extension is None
    assert published.clarification.deadline_key == "initial_tender_deadline"


def test_only_invited_suppliers_ask_and_each_sees_only_its_own_questions(ctx):
    ctx.config["TENDER_TODAY"] = "2022-07-01"
    t = build(DEADLINE)
    with pytest.raises(NotFound):
        clarifications.ask(t.procurement_id, user(t.outsider), "May we bid?")
    with pytest.raises(NotAuthorised):
        clarifications.ask(t.procurement_id, user(t.officer), "An officer cannot ask")
    with pytest.raises(InvalidRequest, match="control characters"):
        clarifications.ask(t.procurement_id, user(t.people[0]), "nul\x00byte")
    mine = clarifications.ask(t.procurement_id, user(t.people[0]), "Our question about insurance")
    clarifications.ask(t.procurement_id, user(t.people[1]), "Their question about pensions")
    view = clarifications.page(t.procurement_id, user(t.people[0]))
    assert [q.id for q in view.questions] == [mine.id]
    assert len(clarifications.page(t.procurement_id, user(t.officer)).questions) == 2
    with pytest.raises(NotFound):
        clarifications.page(t.procurement_id, user(t.outsider))
    with pytest.raises(NotAuthorised):
        clarifications.publish(t.procurement_id, user(t.people[0]), kind="answer", question="Q", answer="A")


def test_a_question_answered_twice_at_once_publishes_once(ctx):
    ctx.config["TENDER_TODAY"] = "2022-07-01"
    t = build(DEADLINE)
    question = clarifications.ask(t.procurement_id, user(t.people[0]), "Question")
    version = question.version
    clarifications.publish(t.procurement_id, user(t.officer), kind="answer", question="Q", answer="A",
                           question_id=question.id, expected_version=version)
    with pytest.raises(Exception) as refused:
        clarifications.publish(t.procurement_id, user(t.officer), kind="answer", question="Q", answer="A again",
                               question_id=question.id, expected_version=version)
    assert getattr(refused.value, "status", None) in (400, 409)
    assert db.session.scalar(select(Clarification.number).where(
        Clarification.procurement_id == t.procurement_id).order_by(Clarification.number.desc())) == 1


def test_the_worker_emails_every_invited_supplier_the_same_clarification_without_naming_the_asker(ctx, smtp):
    ctx.config["TENDER_TODAY"] = "2022-07-01"
    t = build(DEADLINE, invited=3)
    question = clarifications.ask(t.procurement_id, user(t.people[0]), f"{t.suppliers[0]} asks: is TUPE in scope?")
    clarifications.publish(t.procurement_id, user(t.officer), kind="answer", question="Is TUPE in scope?",
                           answer="Yes.", question_id=question.id, expected_version=question.version)
    assert jobs.work(until_idle=True, mail_settings=smtp.settings()) == 1
    received = smtp.handler.by_recipient()
    assert sorted(received) == sorted(t.people)
    assert t.outsider not in received
    bodies = {str(m.get_content()) for m in received.values()}
    assert len(bodies) == 1  # the same message to everyone
    body = bodies.pop()
    assert "Is TUPE in scope?" in body and "Yes." in body and t.suppliers[0] not in body
    assert all(m["Subject"].startswith("Clarification 1:") for m in received.values())
    procurement, published, record = clarifications.equal_treatment_record(t.procurement_id, user(t.legal))
    assert all(len(entry.messages) == 1 and entry.messages[0].delivery_status == "sent"
               and entry.messages[0].sent_at is not None for entry in record)
    assert _actions(t.reference).count("clarification.emailed") == 3
    assert jobs.work(until_idle=True, mail_settings=smtp.settings()) == 0  # nothing sent twice
    assert len(smtp.handler.messages()) == 3
    with pytest.raises(NotAuthorised):
        clarifications.equal_treatment_record(t.procurement_id, user(t.people[0]))
