"""Test data helpers (CTFd's ``gen_*`` style) and the per-test database factory."""
from __future__ import annotations

import re
import shutil
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PASSWORD = "correct horse battery"

TEST_CONFIG = {
    "TESTING": True,
    "TENDER_ENV": "testing",
    "SECRET_KEY": "test-secret-key-not-for-production",
    "SESSION_COOKIE_SECURE": False,
    # The ASVS 5.0 minimum for argon2id, to keep the suite quick.
    "ARGON2_MEMORY_KIB": 19456,
    "ARGON2_TIME_COST": 2,
    "ARGON2_PARALLELISM": 1,
}


class TestDatabases:
    """Migrate once, copy per test: fast and each test starts from the real schema."""

    __test__ = False

    def __init__(self, admin_url: str | None, workdir: Path):
        self.admin_url = admin_url
        self.workdir = workdir
        self.token = uuid.uuid4().hex[:8]
        if admin_url:
            self.template = f"tender_tpl_{self.token}"
            self._admin(f'CREATE DATABASE "{self.template}"')
            self._migrate(self._url_for(self.template))
        else:
            self.template_path = workdir / "template.db"
            self._migrate(f"sqlite:///{self.template_path}")

    def _url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    @staticmethod
    def _migrate(url: str) -> None:
        from flask_migrate import upgrade

        from tender import create_app
        from tender.extensions import db

        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            db.engine.dispose()

    def create(self) -> str:
        """A new database, copied from the template; returns its URL."""
        name = f"tender_t_{self.token}_{uuid.uuid4().hex[:8]}"
        if self.admin_url:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            return self._url_for(name)
        path = self.workdir / f"{name}.db"
        shutil.copyfile(self.template_path, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Remove a test database."""
        if self.admin_url:
            self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        else:
            Path(make_url(url).database).unlink(missing_ok=True)

    def close(self) -> None:
        """Remove the template."""
        if self.admin_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


def make_user(role: str, email: str | None = None, name: str | None = None, supplier_id: int | None = None):
    """Create a user with ``role`` (call inside an app context); password is PASSWORD.

    A supplier user belongs to ``supplier_id``, or to a new supplier organisation of its own.
    """
    from tender.services import accounts, audit

    email = email or f"{role}-{uuid.uuid4().hex[:6]}@test.example"
    if role == "supplier" and supplier_id is None:
        from tender.extensions import db
        from tender.models import Supplier

        supplier = Supplier(name=f"Supplier {uuid.uuid4().hex[:8]} Ltd")
        db.session.add(supplier)
        db.session.commit()
        supplier_id = supplier.id
    return accounts.create_user(email, name or role.replace("_", " ").title(), role, PASSWORD,
                                audit.Actor.system("test"), supplier_id=supplier_id)


def make_milestone(**overrides):
    """A ``MilestoneDue`` (what reminders and the calendar feed read) with plain defaults; override any field."""
    from tender.domain.reminders import MilestoneDue

    values = dict(
        milestone_id=1,
        procurement_id=33,
        procurement_ref="KCC-22/00033",
        procurement_title="Highways maintenance",
        milestone_title="Invite tender responses",
        planned_date=date(2022, 4, 4),
        owner_email="alice@kent.gov.uk",
        owner_name="Alice Smith",
        lead_officer_email="lead@kent.gov.uk",
        lead_officer_name="Lee Lead",
        status="scheduled",
    )
    values.update(overrides)
    return MilestoneDue(**values)


def make_procurement(procedure: str = "competitive_procedure_with_negotiation", *, regime: str = "pcr2015",
                     reference: str | None = None, timetable: dict | None = None, lots: int = 2,
                     candidates: int = 0, bids_per_lot: int = 0, **fields):
    """Create a procurement at its initial stage with every milestone of its procedure."""
    from tender.extensions import db
    from tender.models import Bid, Lot, Milestone, Procurement, SQResponse, Supplier
    from tender.services.procurement import definitions
    from tender.services.procurement.procedures import registry

    definition = registry().definitions[procedure]
    procurement = Procurement(
        reference=reference or f"TEST-{uuid.uuid4().hex[:6].upper()}", title="Test services",
        procedure=procedure, procedure_version=definition.version, regime=regime, state=definition.initial,
        estimated_value=Decimal("1000000.00"), initial_term_years=3, extension_years="2",
        created_at=datetime.now(timezone.utc), **fields)
    definitions.pin(procurement)
    db.session.add(procurement)
    db.session.flush()
    timetable = timetable or {}
    for position, m in enumerate(definition.milestones):
        db.session.add(Milestone(procurement_id=procurement.id, key=m.key, title=m.title, position=position,
                                 planned_date=timetable.get(m.key)))
    lot_rows = [Lot(procurement_id=procurement.id, number=n, title=f"Lot {n}") for n in range(1, lots + 1)]
    db.session.add_all(lot_rows)
    suppliers = []
    for i in range(max(candidates, bids_per_lot)):
        supplier = Supplier(name=f"Supplier {uuid.uuid4().hex[:6]}")
        db.session.add(supplier)
        suppliers.append(supplier)
    db.session.flush()
    for supplier in suppliers[:candidates]:
        db.session.add(SQResponse(procurement_id=procurement.id, supplier_id=supplier.id,
                                  received_at=datetime.now(timezone.utc)))
    for lot in lot_rows:
        for supplier in suppliers[:bids_per_lot]:
            db.session.add(seal(Bid(lot_id=lot.id, supplier_id=supplier.id, round="initial",
                                    received_at=datetime.now(timezone.utc)), Decimal("100000")))
    db.session.commit()
    return procurement


CPN_TIMETABLE = {
    "sq_published": date(2022, 4, 4), "sq_deadline": date(2022, 5, 9), "sq_evaluation_started": date(2022, 5, 10),
    "itt_issued": date(2022, 6, 6), "initial_tender_deadline": date(2022, 7, 11),
    "negotiation_started": date(2022, 8, 22), "final_tenders_invited": date(2022, 9, 5),
    "final_tender_deadline": date(2022, 9, 16), "award_recommended": date(2022, 9, 23),
    "award_letters_sent": date(2022, 9, 26), "contract_awarded": date(2022, 10, 10),
    "mobilisation_started": date(2022, 10, 11), "service_live": date(2023, 4, 3),
}


def csrf_token(client, path: str = "/login") -> str:
    """Fetch a page and read the CSRF token out of its form."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)  # "/" sends a supplier to its home
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    """Log in through the real form, CSRF token and all."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def csrf_post(client, path: str, data: dict, token_from: str = "/"):
    """POST with a valid CSRF token taken from ``token_from``."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})


def seal(bid, price):
    """Give a bid made directly in a test its price the way the service does: with salt and commitment."""
    import secrets

    from tender.domain import sealed_price

    bid.price, bid.price_salt = price, secrets.token_hex(16)
    bid.price_commitment = sealed_price.commitment(price, bid.price_salt)
    return bid


@contextmanager
def counted():
    """The SQL statements sent while the block runs (for query-count properties, never timings)."""
    from sqlalchemy import event

    from tender.extensions import db

    statements = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def allow_audit_tampering() -> None:
    """Lift the audit trail's append-only triggers, so a test can play the DBA who changes rows behind Tender's back."""
    from tender.extensions import db

    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update"))
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
    db.session.commit()


def shortlist_all_but_last(procurement_id: int, officer) -> None:
    """Record the selection decisions on the procurement's SQ responses: the last one rejected, the rest shortlisted."""
    from sqlalchemy import select

    from tender.extensions import db
    from tender.models import SQResponse
    from tender.services.procurement import shortlist

    responses = db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement_id)
                                   .order_by(SQResponse.id)).all()
    for i, response in enumerate(responses):
        decision = "rejected" if i == len(responses) - 1 else "shortlisted"
        shortlist.record_decision(procurement_id, response.id, decision,
                                  f"Scored {80 - i * 10}% against the selection criteria", officer)
