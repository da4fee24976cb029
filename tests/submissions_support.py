"""Test data for suppliers' submissions (call inside an app context): an open tender and invited suppliers."""
from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select

from tender.extensions import db
from tender.models import Invitation, Lot, Supplier, User
from tests.helpers import PASSWORD, make_procurement, make_user

DEMO_MODEL = "community_services_quality_price_social_value"
DEADLINE = date(2022, 7, 11)
BEFORE, AFTER = date(2022, 7, 1), date(2022, 7, 12)
QUESTIONS = ("C1", "C2", "Q1.1", "Q1.2", "Q2.1", "Q2.2", "Q3", "Q4", "SV1", "SV2")
# A small real PDF: the storage checks the type by content.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass
class Tender:
    """Ids and e-mails of an open tender with invited suppliers (plain values, safe outside the context)."""

    procurement_id: int
    reference: str
    officer: str
    suppliers: list[str]  # one supplier user's e-mail per organisation
    supplier_ids: list[int]


def make_supplier_user(supplier: Supplier, email: str | None = None) -> User:
    """A supplier user of ``supplier`` (password ``PASSWORD``)."""
    from tender.services import accounts

    user = User(email=email or f"bidder-{uuid.uuid4().hex[:6]}@supplier.example", name="Sam Bidder",
                role="supplier", password_hash=accounts._hasher().hash(PASSWORD), active=True,
                created_at=datetime.now(timezone.utc), supplier_id=supplier.id)
    db.session.add(user)
    db.session.commit()
    return user


def open_tender(suppliers: int = 2, lots: int = 1, today: date = BEFORE, app=None) -> Tender:
    """An open procedure taking tenders until ``DEADLINE``, its lots on the demo model, suppliers invited."""
    officer = make_user("procurement_officer")
    procurement = make_procurement("open_procedure", lots=lots, timetable={"tender_deadline": DEADLINE,
                                                                          "tender_published": date(2022, 6, 1)})
    procurement.state = "tender_published"
    for lot in db.session.scalars(select(Lot).where(Lot.procurement_id == procurement.id)):
        lot.evaluation_model = DEMO_MODEL
    emails, ids = [], []
    for _ in range(suppliers):
        supplier = Supplier(name=f"Bidder {uuid.uuid4().hex[:6]} Ltd")
        db.session.add(supplier)
        db.session.flush()
        db.session.add(Invitation(procurement_id=procurement.id, supplier_id=supplier.id,
                                  invited_at=datetime.now(timezone.utc), invited_by_id=officer.id))
        db.session.commit()
        emails.append(make_supplier_user(supplier).email)
        ids.append(supplier.id)
    if app is not None:
        app.config["TENDER_TODAY"] = today
    return Tender(procurement.id, procurement.reference, officer.email, emails, ids)


def user(email: str) -> User:
    """The user with this e-mail."""
    return db.session.scalar(select(User).where(User.email == email))


def answers(text: str = "We will deliver the service as the specification sets out.") -> dict[str, str]:
    """An answer to every question of the demo model."""
    return {q: f"{q}: {text}" for q in QUESTIONS}


def upload(data: bytes = PDF, name: str = "method-statement.pdf"):
    """What ``tender.web.file_transfer.receive`` hands a service."""
    from tender.web.file_transfer import receive

    return receive(io.BytesIO(data), filename=name)


def complete_draft(email: str, procurement_id: int, price: str = "100000", lot: int = 1, round_: str = "final",
                   files: tuple[bytes, ...] = (PDF,)):
    """A supplier's complete draft (answers, a document, a price); returns the submission id."""
    from tender.services.submissions import drafting

    person = user(email)
    submission = drafting.open_draft(person, procurement_id, round_, lot)
    drafting.save_answers(person, submission.id, answers())
    for i, data in enumerate(files):
        drafting.attach(person, submission.id, upload(data, f"document-{i}.pdf"))
    drafting.save_price(person, submission.id, price)
    return submission.id
