"""The demo's supplier organisations and their people: one login per organisation (issue 18, part 7).

The officer invites each organisation to the procurement through the same
service as on the invitations page (``tender.services.suppliers``), and its
person enters the organisation's details (name, GB-COH or GB-CHC identifier,
address) as on the supplier's own details page. An
invitation by the officer e-mails a link to set a password; the demo has no
mail server and prints one password for every account, so each person's
account is created with the demo password instead, as the demo's staff
accounts are.
"""
from __future__ import annotations

from sqlalchemy import select

from tender.domain.roles import Role
from tender.extensions import db
from tender.models import Supplier, User
from tender.services import accounts, audit, suppliers
from tender.services.publishing.demo import SUPPLIERS as DETAILS

#: The person who answers for each demo organisation (illustrative).
PEOPLE = {
    "Porchlight": "Hannah Cole",
    "Shaw Trust": "Daniel Okafor",
    "Kent Wellbeing Alliance CIC": "Maria Santos",
    "Medway Community Minds Partnership": "Tom Bright",
}

#: The organisations invited to the second demo procurement, open for tenders today (``tender.demo_open``).
PEOPLE_OPEN = ["Porchlight", "Shaw Trust", "Kent Wellbeing Alliance CIC", "Medway Community Minds Partnership"]


def supplier_email(name: str) -> str:
    """``bids@porchlight.example``: the organisation's tendering address (illustrative)."""
    return f"bids@{''.join(c for c in name.lower() if c.isalnum())}.example"


def invite(officer: User, procurement_id: int, names: list[str], password: str,
           actor: audit.Actor) -> dict[str, User]:
    """Invite each organisation to the procurement and give it one supplier login; name -> that user."""
    people = {}
    for name in names:
        email = supplier_email(name)
        invitation = suppliers.invite_supplier(officer, procurement_id, name, email)
        person = db.session.scalar(select(User).where(User.email == email))
        if person is None:
            person = accounts.create_user(email, PEOPLE.get(name, "Bid manager"), Role.SUPPLIER, password, actor,
                                          supplier_id=invitation.supplier_id)
            suppliers.save_organisation(person, {"name": name, "region": "TLJ4", "contact_name": person.name,
                                                 "contact_email": email, **DETAILS.get(name, {})})
        people[name] = person
    return people


def logins(names: list[str]) -> list[str]:
    """The lines ``tender demo`` prints for the supplier logins that exist."""
    lines = []
    for name in names:
        email = supplier_email(name)
        if db.session.scalar(select(User.id).where(User.email == email, User.supplier_id.is_not(None))):
            # The e-mail last, as on the staff lines, so a line reads "role ... login" whatever the name's length.
            lines.append(f"  {'Supplier, ' + name:32} {email}")
    return lines


def supplier_named(name: str) -> Supplier | None:
    return db.session.scalar(select(Supplier).where(Supplier.name == name))
