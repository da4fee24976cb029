"""The reminder run against a real database and a real SMTP server on loopback.

Runs on SQLite by default and on PostgreSQL with TENDER_TEST_DATABASE_URL set.
The demo procurement (KCC-22/00033) is the data: with ``as_of`` inside its
timetable the expected digests are worked out by hand below.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select, update

from tender.demo import load_demo
from tender.domain.audit_chain import verify_chain
from tender.extensions import db
from tender.models import AuditEvent, Milestone, Procurement, ReminderSent, User
from tender.services import reminders
from tender.services.audit import query as audit_query
from tests.helpers import CPN_TIMETABLE, make_procurement, make_user
from tests.reminders_support import BASE_URL, REFUSED, SMTPServer

LUKE, CHRIS = "luke.edwards@kent.example", "chris.taylor@kent.example"

# 3 May 2022 (the day after the early May bank holiday): "SQ published" (4 April,
# Luke) is overdue; "SQ deadline" (Mon 9 May, Luke) is 4 working days away and
# "SQ evaluation started" (Tue 10 May, Chris) 5: both due soon.
MAY_KEYS = {
    "overdue:1:2022-04-04:" + LUKE,
    "due_soon:2:2022-05-09:" + LUKE,
    "due_soon:3:2022-05-10:" + CHRIS,
}
# 5 July 2022: Luke's SQ published, SQ deadline and ITT issued are overdue and the
# initial tender deadline (11 July) is due soon; Chris's SQ evaluation is overdue
# by far more than 3 working days, so it is escalated to Luke, the lead officer.
JULY_KEYS = {
    "overdue:1:2022-04-04:" + LUKE,
    "overdue:2:2022-05-09:" + LUKE,
    "overdue:4:2022-06-06:" + LUKE,
    "due_soon:5:2022-07-11:" + LUKE,
    "overdue:3:2022-05-10:" + CHRIS,
    "escalation:3:2022-05-10:" + LUKE,
}


@pytest.fixture
def demo(ctx):
    created, _ = load_demo("demo-password-2022")
    assert created
    return db.session.scalar(select(Procurement).where(Procurement.reference == "KCC-22/00033"))


def send(smtp: SMTPServer, as_of: date, **kwargs) -> reminders.RunReport:
    return reminders.run(as_of, False, smtp.settings(), BASE_URL, **kwargs)


def rows() -> dict[str, ReminderSent]:
    db.session.expire_all()
    return {r.key: r for r in db.session.scalars(select(ReminderSent))}


def audit_actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_the_demo_on_3_may_sends_one_digest_per_owner_with_links(demo, smtp):
    report = send(smtp, date(2022, 5, 3))

    assert report.exit_code == 0 and not report.failed
    assert [(o.recipient, o.summary) for o in report.outcomes] == [
        (CHRIS, "1 due soon"), (LUKE, "1 overdue, 1 due soon")]
    assert sorted(smtp.handler.keys()) == sorted(MAY_KEYS)
    mails = smtp.handler.by_recipient()
    assert set(mails) == {LUKE, CHRIS}
    luke = mails[LUKE]
    assert luke["Subject"] == "Procurement milestones: 1 overdue, 1 due soon"
    assert luke["To"] == f"Luke Edwards <{LUKE}>"
    text = luke.get_body(("plain",)).get_content()
    assert "KCC-22/00033" in text and f"{BASE_URL}/procurements/{demo.id}" in text
    assert "Selection questionnaire published" in text and "Deadline for selection questionnaire responses" in text
    assert mails[CHRIS]["Subject"] == "Procurement milestone: 1 due soon"

    recorded = rows()
    assert set(recorded) == MAY_KEYS
    assert {r.status for r in recorded.values()} == {"sent"}
    assert all(r.attempts == 1 and r.sent_at is not None and r.last_error is None for r in recorded.values())
    events = audit_actions("reminder.sent")
    assert len(events) == 2 and {e.actor for e in events} == {"tender reminders"}
    assert {e.to_record()["after"]["recipient"] for e in events} == {LUKE, CHRIS}
    assert set(sum((e.to_record()["after"]["keys"] for e in events), [])) == MAY_KEYS
    assert verify_chain(audit_query.stream()).ok


def test_a_second_run_sends_nothing_new(demo, smtp):
    send(smtp, date(2022, 5, 3))
    arrived = len(smtp.handler.messages())

    again = send(smtp, date(2022, 5, 3))

    assert again.outcomes == () and again.exit_code == 0
    assert again.already_sent == len(MAY_KEYS)
    assert len(smtp.handler.messages()) == arrived
    assert len(audit_actions("reminder.sent")) == 2


def test_a_later_run_sends_only_what_is_new_and_each_reminder_once_per_planned_date(demo, smtp):
    send(smtp, date(2022, 5, 3))
    report = send(smtp, date(2022, 7, 5))

    # SQ published was already reported overdue to Luke in May: not again.
    assert sorted(smtp.handler.keys()) == sorted(MAY_KEYS | JULY_KEYS)
    assert len(smtp.handler.keys()) == len(MAY_KEYS | JULY_KEYS)
    assert {o.recipient: o.summary for o in report.outcomes} == {
        LUKE: "2 overdue, 1 due soon, 1 escalated", CHRIS: "1 overdue"}
    luke_july = [m for m in smtp.handler.messages() if "escalation" in str(m["X-Tender-Reminder-Keys"])][0]
    assert "overdue on procurements you lead" in luke_july["Subject"]
    assert "Chris Taylor" in luke_july.get_body(("plain",)).get_content()

    # Re-planning a milestone makes it a new reminder (new planned date in the key).
    db.session.execute(update(Milestone).where(Milestone.id == 5).values(planned_date=date(2022, 7, 12)))
    db.session.commit()
    replanned = send(smtp, date(2022, 7, 5))
    assert [o.keys for o in replanned.outcomes] == [("due_soon:5:2022-07-12:" + LUKE,)]


def test_with_the_smtp_server_down_nothing_is_lost_and_a_later_run_sends_what_was_missed(demo, smtp):
    send(smtp, date(2022, 5, 3))
    smtp.stop()

    down = send(smtp, date(2022, 7, 5))

    assert down.exit_code == 1 and not down.sent and len(down.failed) == 2
    assert all("could not connect to the mail server" in o.error for o in down.failed)
    new_keys = JULY_KEYS - MAY_KEYS
    recorded = rows()
    assert {k for k, r in recorded.items() if r.status == "failed"} == new_keys
    assert all(recorded[k].attempts == 1 and "could not connect" in recorded[k].last_error for k in new_keys)
    assert {k for k, r in recorded.items() if r.status == "sent"} == MAY_KEYS
    assert len(audit_actions("reminder.failed")) == 2

    smtp.start()
    arrived_before = len(smtp.handler.keys())
    back = send(smtp, date(2022, 7, 5))

    assert back.exit_code == 0 and len(back.sent) == 2
    assert sorted(smtp.handler.keys()[arrived_before:]) == sorted(new_keys)
    recorded = rows()
    assert {r.status for r in recorded.values()} == {"sent"}
    assert all(recorded[k].attempts == 2 and recorded[k].last_error is None for k in new_keys)
    assert all(recorded[k].attempts == 1 for k in MAY_KEYS)
    assert verify_chain(audit_query.stream()).ok


def test_a_refused_address_fails_only_its_own_digest_and_is_retried(demo, smtp):
    refused_owner = make_user("procurement_officer", email=REFUSED, name="Refused Person")
    other = make_procurement(timetable=CPN_TIMETABLE, reference="KCC-REFUSED")
    db.session.execute(update(Milestone).where(Milestone.procurement_id == other.id)
                       .values(owner_id=refused_owner.id))
    db.session.commit()

    report = send(smtp, date(2022, 5, 3))

    assert report.exit_code == 1
    assert [o.recipient for o in report.failed] == [REFUSED]
    assert "550" in report.failed[0].error
    assert {o.recipient for o in report.sent} == {LUKE, CHRIS}
    assert sorted(smtp.handler.keys()) == sorted(MAY_KEYS)
    recorded = rows()
    assert {r.status for k, r in recorded.items() if k.endswith(REFUSED)} == {"failed"}

    retry = send(smtp, date(2022, 5, 3))
    assert [o.recipient for o in retry.outcomes] == [REFUSED] and retry.exit_code == 1
    assert sorted(smtp.handler.keys()) == sorted(MAY_KEYS)  # nothing re-sent to the others
    assert {r.attempts for k, r in rows().items() if k.endswith(REFUSED)} == {2}


def test_an_abandoned_claim_is_taken_over_but_a_fresh_one_is_left_alone(demo, smtp):
    now = datetime.now(timezone.utc)
    dead, busy = sorted(MAY_KEYS)[:2]
    for key, at in ((dead, now - timedelta(hours=2)), (busy, now)):
        kind, mid, planned, recipient = key.split(":", 3)
        db.session.add(ReminderSent(key=key, milestone_id=int(mid), recipient=recipient, kind=kind,
                                    planned_date=date.fromisoformat(planned), status="claimed", attempts=0,
                                    claimed_by="other-host:4242", claimed_at=at))
    db.session.commit()

    report = send(smtp, date(2022, 5, 3))

    assert sorted(smtp.handler.keys()) == sorted(MAY_KEYS - {busy})
    assert report.elsewhere == 1
    recorded = rows()
    assert recorded[dead].status == "sent" and recorded[dead].claimed_by != "other-host:4242"
    assert recorded[busy].status == "claimed" and recorded[busy].claimed_by == "other-host:4242"


def test_dry_run_reports_and_writes_nothing(demo, smtp):
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    report = reminders.run(date(2022, 5, 3), True, smtp.settings(), BASE_URL)

    assert report.dry_run and {k for o in report.outcomes for k in o.keys} == MAY_KEYS
    assert smtp.handler.messages() == []
    assert rows() == {}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_bad_mail_settings_stop_the_run_before_anything_is_claimed(demo, smtp):
    from tender.mail import MailConfigError, MailSettings

    with pytest.raises(MailConfigError):
        reminders.run(date(2022, 5, 3), False, MailSettings(server="127.0.0.1", port=smtp.port), BASE_URL)
    assert rows() == {}


def test_each_owner_gets_their_own_notice_period(ctx):
    eager = make_user("procurement_officer", email="eager@kent.example")
    eager.reminder_notice_days = 10
    relaxed = make_user("procurement_officer", email="relaxed@kent.example")
    p = make_procurement(timetable=CPN_TIMETABLE)
    ms = {m.key: m for m in p.milestones}
    ms["itt_issued"].owner_id = eager.id       # 6 June 2022
    ms["sq_deadline"].owner_id = relaxed.id    # 9 May 2022
    db.session.commit()

    # On 24 May, ITT issued is 8 working days away (2 June and 3 June are bank holidays).
    due = reminders.collect_due(date(2022, 5, 24))
    planned = reminders.plan(date(2022, 5, 24))

    assert {m.milestone_id for m in due} == {ms["itt_issued"].id, ms["sq_deadline"].id}
    assert {d.recipient_email: [i.kind for i in d.items] for d in planned} == {
        "eager@kent.example": ["due_soon"], "relaxed@kent.example": ["overdue"]}


def test_collect_due_uses_a_fixed_number_of_queries(ctx):
    owner = make_user("procurement_officer")
    lead = make_user("procurement_officer")

    def count_queries(as_of: date) -> tuple[int, int]:
        statements = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            found = reminders.collect_due(as_of)
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len(statements), len(found)

    def add_procurements(n: int) -> None:
        for _ in range(n):
            p = make_procurement(timetable=CPN_TIMETABLE, lead_officer_id=lead.id)
            db.session.execute(update(Milestone).where(Milestone.procurement_id == p.id).values(owner_id=owner.id))
        db.session.commit()

    add_procurements(1)
    small = count_queries(date(2022, 7, 5))
    add_procurements(4)
    large = count_queries(date(2022, 7, 5))
    assert small[0] == large[0] <= 2
    assert large[1] == 5 * small[1] > 0


def test_met_milestones_inactive_owners_and_unowned_milestones_are_not_reminded(demo, smtp):
    db.session.execute(update(Milestone).where(Milestone.id == 1).values(status="met", actual_date=date(2022, 4, 4)))
    db.session.execute(update(User).where(User.email == CHRIS).values(active=False))
    db.session.execute(update(Milestone).where(Milestone.id == 2).values(owner_id=None))
    db.session.commit()

    assert reminders.plan(date(2022, 5, 3)) == []


def test_the_escalation_delay_is_a_setting(demo, smtp, ctx):
    # Chris's SQ evaluation (10 May) is 7 working days overdue on 19 May 2022 (11-13, 16-19 May).
    ctx.config["ESCALATE_AFTER_WORKING_DAYS"] = 8
    assert "escalation:3:2022-05-10:" + LUKE not in {i.key for d in reminders.plan(date(2022, 5, 19)) for i in d.items}
    ctx.config["ESCALATE_AFTER_WORKING_DAYS"] = 7
    assert "escalation:3:2022-05-10:" + LUKE in {i.key for d in reminders.plan(date(2022, 5, 19)) for i in d.items}
