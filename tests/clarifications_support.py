"""Test data for clarifications: a procurement with invited suppliers, each with a supplier user (app context)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

from tender.extensions import db
from tender.models import Invitation, Supplier, User
from tests.helpers import CPN_TIMETABLE, PASSWORD, make_procurement, make_user


def supplier_user(supplier: Supplier, email: str | None = None) -> User:
    """A supplier user of ``supplier`` (password PASSWORD), made directly: the invitation flow is tested elsewhere."""
    from tender.services.accounts import _hasher

    user = User(email=email or f"supplier-{uuid.uuid4().hex[:6]}@supplier.example", name="Sam Supplier",
                role="supplier", supplier_id=supplier.id, password_hash=_hasher().hash(PASSWORD),
                created_at=datetime.now(timezone.utc), calendar_token=uuid.uuid4().hex)
    db.session.add(user)
    db.session.commit()
    return user


@dataclass
class Tendering:
    """Ids and e-mails of one set-up (plain values, safe outside the app context)."""

    procurement_id: int
    reference: str
    officer: str
    legal: str
    suppliers: list[str]  # names
    supplier_ids: list[int]
    people: list[str]  # one supplier user per supplier
    outsider: str  # a supplier user whose organisation is not invited


def build(deadline: date = date(2022, 7, 11), invited: int = 2, **fields) -> Tendering:
    """A CPN procurement whose initial tender deadline is ``deadline``, with ``invited`` suppliers invited."""
    timetable = {**CPN_TIMETABLE, "initial_tender_deadline": deadline}
    procurement = make_procurement(lots=1, timetable=timetable, **fields)
    officer = make_user("procurement_officer")
    legal = make_user("legal_reviewer")
    suppliers = [Supplier(name=f"Supplier {n} {uuid.uuid4().hex[:4]}") for n in range(invited + 1)]
    db.session.add_all(suppliers)
    db.session.flush()
    for supplier in suppliers[:invited]:
        db.session.add(Invitation(procurement_id=procurement.id, supplier_id=supplier.id, invited_by_id=officer.id,
                                  invited_at=datetime.now(timezone.utc)))
    db.session.commit()
    people = [supplier_user(s) for s in suppliers]
    return Tendering(procurement.id, procurement.reference, officer.email, legal.email,
                     [s.name for s in suppliers[:invited]], [s.id for s in suppliers[:invited]],
                     [p.email for p in people[:invited]], people[invited].email)


def sweep_objects(procurement_id: int, officer: User) -> dict:
    """For the route sweeps: an invited supplier with a user, its open question, and a clarification published
    too close to the deadline with its extension waiting for a decision (rows made directly)."""
    from datetime import timedelta

    from tender.models import Clarification, ClarificationQuestion

    supplier = Supplier(name=f"Clarifying Supplier {uuid.uuid4().hex[:4]}")
    db.session.add(supplier)
    db.session.flush()
    now = datetime.now(timezone.utc)
    db.session.add(Invitation(procurement_id=procurement_id, supplier_id=supplier.id, invited_by_id=officer.id,
                              invited_at=now))
    question = ClarificationQuestion(procurement_id=procurement_id, supplier_id=supplier.id, asked_by_id=officer.id,
                                     text="Does TUPE apply?", asked_at=now, status="open")
    published = Clarification(procurement_id=procurement_id, number=1, kind="answer", question="Is there a cap?",
                              answer="No.", published_at=now, published_by_id=officer.id,
                              deadline_key="initial_tender_deadline", deadline_date=now.date() + timedelta(days=2),
                              warning="Published two days before the deadline.",
                              proposed_deadline=now.date() + timedelta(days=6), extension="proposed")
    db.session.add_all([question, published])
    db.session.commit()
    person = supplier_user(supplier)
    question.asked_by_id = person.id
    db.session.commit()
    return {"supplier_email": person.email, "question": question.id, "clarification": published.id}
