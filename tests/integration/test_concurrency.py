"""Two people at once: exactly one stage change happens, and the audit chain never forks.

These use real concurrent database connections (threads, each with its own
app context and session). They run on SQLite too, but the claim is about
PostgreSQL, where row locks decide the race; ``.ci/run`` runs them there.
"""
from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from tender.domain.audit_chain import verify_chain
from tender.extensions import db
from tender.models import AuditEvent, Procurement, User
from tender.services import audit
from tender.services.audit import query as audit_query
from tender.services.procurement import workflow
from tender.services.errors import ConcurrentChange
from tests.helpers import CPN_TIMETABLE, make_procurement, make_user


def _in_threads(app, jobs):
    """Run each job in its own thread and app context, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def runner(i, job):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[i] = job()
            except Exception as exc:  # noqa: BLE001 - the result is what the test inspects
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_officers_advancing_at_once_give_exactly_one_transition(app):
    with app.app_context():
        first, second = make_user("procurement_officer"), make_user("procurement_officer")
        p = make_procurement(timetable=CPN_TIMETABLE)
        ids, version = (first.id, second.id), p.version
        pid = p.id
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()

    def press(user_id):
        def job():
            user = db.session.get(User, user_id)
            return workflow.advance(pid, "publish_sq", user, expected_version=version, today=date(2022, 4, 4))
        return job

    results = _in_threads(app, [press(i) for i in ids])
    changes = [r for r in results if isinstance(r, workflow.StageChange)]
    refused = [r for r in results if isinstance(r, ConcurrentChange)]
    assert len(changes) == 1, results
    assert len(refused) == 1 and "Someone else moved this procurement" in str(refused[0])
    with app.app_context():
        assert db.session.get(Procurement, pid).state == "sq_published"
        stage_events = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                         .where(AuditEvent.action == "procurement.stage_changed"))
        assert stage_events == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 1
        assert verify_chain(audit_query.stream()).ok


def test_concurrent_audit_writers_append_in_turn_without_forking_the_chain(app):
    with app.app_context():
        start = audit.head()[0]
        db.session.remove()

    def writer(n):
        def job():
            for i in range(10):
                audit.record(audit.Actor.system(f"writer-{n}"), "test.event", "test", i)
                db.session.commit()
            return True
        return job

    results = _in_threads(app, [writer(n) for n in range(4)])
    assert results == [True] * 4, results
    with app.app_context():
        seqs = db.session.scalars(select(AuditEvent.seq).where(AuditEvent.seq > start).order_by(AuditEvent.seq)).all()
        assert seqs == list(range(start + 1, start + 41))
        result = verify_chain(audit_query.stream())
        assert result.ok, result.problem
        assert result.head_hash == audit.head()[1]


def test_two_officers_re_planning_one_milestone_at_once_give_exactly_one_change(app):
    from tender.models import Milestone
    from tender.services.procurement import milestones

    with app.app_context():
        first, second = make_user("procurement_officer"), make_user("procurement_officer")
        p = make_procurement(timetable=CPN_TIMETABLE)
        m = db.session.scalar(select(Milestone).where(Milestone.procurement_id == p.id,
                                                      Milestone.key == "negotiation_started"))
        ids, pid, mid, version = (first.id, second.id), p.id, m.id, m.version
        db.session.remove()

    def replan(user_id, day):
        def job():
            user = db.session.get(User, user_id)
            return milestones.replan(pid, mid, day, "Evaluation running late", user, date(2022, 6, 1),
                                     expected_version=version)
        return job

    results = _in_threads(app, [replan(ids[0], date(2022, 8, 29)), replan(ids[1], date(2022, 8, 30))])
    done = [r for r in results if isinstance(r, Milestone)]
    refused = [r for r in results if isinstance(r, ConcurrentChange)]
    assert len(done) == 1 and len(refused) == 1, results
    assert "Someone else changed this milestone" in str(refused[0])
    with app.app_context():
        stored = db.session.get(Milestone, mid)
        assert stored.version == version + 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "milestone.replanned")) == 1
