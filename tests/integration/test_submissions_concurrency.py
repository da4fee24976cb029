"""Submissions at the same moment: the deadline passing, two tabs, opening twice (issue 18).

Real concurrent connections (threads, each with its own app context). On
PostgreSQL (``.ci/run``) the tender box's row lock decides; on SQLite the one
writer. Two apps on one database stand for "just before" and "just after" the
deadline: the server clock is each app's ``TENDER_TODAY``.
"""
from __future__ import annotations

import json
import threading

from sqlalchemy import func, select

from tender import create_app
from tender.domain.audit_chain import verify_chain
from tender.extensions import db
from tender.models import AuditEvent, Bid, Submission, SubmissionReceipt, TenderBox, User
from tender.services.audit import query as audit_query
from tender.services.errors import ConcurrentChange
from tender.services.submissions import drafting, submitting, tender_box
from tender.services.submissions.rounds import DeadlinePassed
from tests.helpers import TEST_CONFIG, make_user
from tests.submissions_support import AFTER, DEADLINE, complete_draft, open_tender


def _in_threads(jobs):
    """Run each (app, job) in its own thread and app context, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def runner(i, app, job):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[i] = job()
            except Exception as exc:  # noqa: BLE001 - the result is what the test inspects
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i, app, job)) for i, (app, job) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _user_id(email):
    return db.session.scalar(select(User.id).where(User.email == email))


def _after_app(database_url):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "TENDER_TODAY": AFTER})


def test_a_submission_racing_the_register_is_either_in_it_and_opened_or_refused_never_lost(app, database_url):
    later = _after_app(database_url)
    for attempt in range(3):
        app.config["TENDER_TODAY"] = DEADLINE
        with app.app_context():
            t = open_tender(app=app, today=DEADLINE)
            sid = complete_draft(t.suppliers[0], t.procurement_id)
            supplier_id, officer_id, pid = _user_id(t.suppliers[0]), _user_id(t.officer), t.procurement_id
            db.session.remove()

        def submit():
            return submitting.submit(db.session.get(User, supplier_id), sid)

        def open_it():
            return tender_box.open_box(db.session.get(User, officer_id), pid, "final")

        results = _in_threads([(app, submit), (later, open_it)])
        assert not isinstance(results[1], Exception), results
        with app.app_context():
            box = db.session.scalar(select(TenderBox).where(TenderBox.procurement_id == pid))
            receipts = db.session.scalars(select(SubmissionReceipt.manifest_hash)
                                          .where(SubmissionReceipt.procurement_id == pid)).all()
            bids = db.session.scalar(select(func.count()).select_from(Bid).join(Submission, Submission.bid_id == Bid.id)
                                     .where(Submission.procurement_id == pid))
            if isinstance(results[0], DeadlinePassed):
                assert receipts == [] and box.register == "" and bids == 0
            else:
                assert not isinstance(results[0], Exception), results
                assert box.register == f"{receipts[0]}\n" and bids == 1, (attempt, results)
            db.session.remove()


def test_two_tabs_of_one_supplier_saving_at_once_give_exactly_one_save(app):
    with app.app_context():
        t = open_tender(app=app)
        person = db.session.scalar(select(User).where(User.email == t.suppliers[0]))
        submission = drafting.open_draft(person, t.procurement_id, "final", 1)
        sid, uid, version = submission.id, person.id, submission.version
        db.session.remove()

    def save(text):
        def job():
            return drafting.save_answers(db.session.get(User, uid), sid, {"Q3": text}, expected_version=version)
        return job

    results = _in_threads([(app, save("first tab")), (app, save("second tab"))])
    saved = [r for r in results if isinstance(r, Submission)]
    refused = [r for r in results if isinstance(r, ConcurrentChange)]
    assert len(saved) == 1 and len(refused) == 1, results
    with app.app_context():
        stored = db.session.get(Submission, sid)
        assert stored.version == version + 1 and len(stored.answers) == 1


def test_two_officers_opening_the_box_at_once_open_it_once(app, database_url):
    with app.app_context():
        t = open_tender(app=app, suppliers=2)
        for email in t.suppliers:
            submitting.submit(db.session.scalar(select(User).where(User.email == email)),
                              complete_draft(email, t.procurement_id))
        officers = [t.officer, make_user("procurement_officer").email]
        ids = [_user_id(e) for e in officers]
        pid = t.procurement_id
        db.session.remove()
    later = _after_app(database_url)

    def open_as(user_id):
        return lambda: tender_box.open_box(db.session.get(User, user_id), pid, "final")

    results = _in_threads([(later, open_as(ids[0])), (later, open_as(ids[1]))])
    opened = [r for r in results if isinstance(r, TenderBox)]
    refused = [r for r in results if isinstance(r, ConcurrentChange)]
    assert len(opened) == 1 and len(refused) == 1, results
    with later.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bid)) == 2
        events = db.session.scalars(select(AuditEvent.after).where(AuditEvent.action == "tender_box.opened")).all()
        assert len(events) == 1 and len(json.loads(events[0])["responses"]) == 2
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "tender_box.register_published")) == 1
        assert verify_chain(audit_query.stream()).ok
