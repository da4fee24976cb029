"""The audit table is append-only in the database itself, and tampering is detected."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tender.domain.audit_chain import verify_chain
from tender.extensions import db
from tender.services import audit
from tender.services.audit import query as audit_query
from tests.helpers import allow_audit_tampering


def _three_events():
    for i in range(3):
        audit.record(audit.Actor.system("test"), "test.event", "test", i, reason=f"event {i}")
    db.session.commit()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET reason = 'changed' WHERE seq = 2",
    "DELETE FROM audit_event WHERE seq = 2",
])
def test_the_database_refuses_to_change_or_delete_an_audit_event(ctx, statement):
    _three_events()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert verify_chain(audit_query.stream()).ok


def test_verify_names_the_row_altered_behind_the_applications_back(ctx):
    _three_events()
    target = db.session.execute(text("SELECT seq FROM audit_event WHERE reason = 'event 1'")).scalar_one()
    allow_audit_tampering()
    db.session.execute(text("UPDATE audit_event SET reason = 'nothing to see' WHERE seq = :s"), {"s": target})
    db.session.commit()
    result = verify_chain(audit_query.stream())
    assert not result.ok
    assert result.first_broken_seq == target
    assert str(target) in result.problem


def test_the_chain_head_follows_every_event(ctx):
    _three_events()
    seq, head_hash = audit.head()
    result = verify_chain(audit_query.stream())
    assert result.ok and result.count == seq and result.head_hash == head_hash
