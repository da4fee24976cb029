"""Supplier organisations, their users, and what those users may reach (issue 18).

The one place that answers "which supplier does this user act for?"
(:func:`supplier_of`) and "is this supplier invited to this procurement?"
(:func:`is_invited`): every supplier-facing page and service asks here, so
isolation between suppliers has one source.

The use cases:

* the officer invites a supplier organisation to a procurement
  (:func:`invite_supplier`) and invites people at it by e-mail
  (:func:`invite_supplier_user`: a one-time, expiring link to set a password,
  sent by the worker through ``tender.services.account_links``);
* a supplier registers itself, its organisation and a first user
  (:func:`register`), for the procedures any supplier may join
  (``tender.domain.supplier_access``); the account has no password until the
  link e-mailed to the address given is followed, so following it is the
  e-mail verification;
* a registered supplier expresses interest in such a procurement while its
  notice invites responses (:func:`express_interest`), which invites it;
* a supplier user corrects the organisation's details (:func:`save_organisation`),
  the same ``Organisation`` row the notices publish.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tender.domain.ocds.parties import organisation_problems
from tender.domain.roles import Permission, Role
from tender.domain.supplier_access import OPEN_TO_ANY_SUPPLIER, open_to_interest
from tender.extensions import db
from tender.models import Invitation, Milestone, Organisation, Procurement, Supplier, User
from tender.models.invitation import BY_INTEREST, BY_OFFICER
from tender.services import account_links, accounts, audit, clock
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tender.services.use_case import check_version, get_procurement, use_case

#: The organisation's details a supplier user keeps (``Organisation`` columns; the authority-only ones left out).
ORGANISATION_FIELDS = ("name", "scheme", "identifier", "ppon", "street_address", "locality", "postal_code", "region",
                       "contact_name", "contact_email", "contact_telephone", "url", "vcse")
NAME_LIMIT = 200
ALREADY_REGISTERED = ("An organisation with this name is already registered with Tender. Ask someone at it to "
                      "invite you, or ask the procurement officer.")


class OrganisationInvalid(InvalidRequest):
    """Some details cannot be saved; ``problems`` is field -> instruction."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


# --------------------------------------------------------------------------- who is who


def supplier_of(user: User | None) -> Supplier | None:
    """The supplier organisation ``user`` acts for, or None for staff and anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.SUPPLIER.value:
        return None
    if user.supplier_id is None:
        return None
    return db.session.get(Supplier, user.supplier_id)


def is_invited(procurement_id: int, supplier_id: int) -> bool:
    """True if the supplier organisation is invited to respond to the procurement."""
    found = db.session.execute(
        select(Invitation.id).where(Invitation.procurement_id == procurement_id,
                                    Invitation.supplier_id == supplier_id)).first()
    return found is not None


def require_supplier(user: User | None) -> Supplier:
    """The user's supplier organisation, or NotAuthorised (staff and anonymous users are not suppliers)."""
    supplier = supplier_of(user)
    if supplier is None:
        raise NotAuthorised("This page is for people at supplier organisations.")
    return supplier


def invited_procurement(user: User | None, procurement_id: int) -> Procurement:
    """A procurement the user's organisation is invited to, or NotFound (the same answer as a missing one)."""
    supplier = require_supplier(user)
    if not (isinstance(procurement_id, int) and 0 < procurement_id and is_invited(procurement_id, supplier.id)):
        raise NotFound("There is no procurement with that number.")
    return get_procurement(procurement_id)


def organisation_of(supplier_id: int) -> Organisation | None:
    """The supplier's details as notices publish them (None until entered)."""
    return db.session.scalar(select(Organisation).where(Organisation.supplier_id == supplier_id))


# --------------------------------------------------------------------------- what a supplier sees


@dataclass(frozen=True)
class Deadline:
    title: str
    on: date | None


@dataclass(frozen=True)
class InvitationRow:
    """One invitation as its supplier sees it: the procurement, its lots and its deadlines."""

    invitation_id: int
    procurement_id: int
    reference: str
    title: str
    procedure: str
    stage: str
    lots: list[tuple[int, str]]
    deadlines: list[Deadline]
    invited_on: date


def invitations_for(supplier_id: int) -> list[InvitationRow]:
    """The supplier's own invitations, newest first, with what it needs to respond (nothing of anyone else's)."""
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.supplier_id == supplier_id)
        .options(joinedload(Invitation.procurement)).order_by(Invitation.invited_at.desc(), Invitation.id.desc()))
    rows = []
    for invitation in invitations:
        procurement = invitation.procurement
        deadlines = db.session.scalars(
            select(Milestone).where(Milestone.procurement_id == procurement.id, Milestone.key.like("%deadline%"))
            .order_by(Milestone.position))
        rows.append(InvitationRow(
            invitation_id=invitation.id, procurement_id=procurement.id, reference=procurement.reference,
            title=procurement.title, procedure=procurement.procedure, stage=procurement.state,
            lots=[(lot.number, lot.title) for lot in procurement.lots],
            deadlines=[Deadline(m.title, m.planned_date) for m in deadlines],
            invited_on=clock.uk_date(invitation.invited_at)))
    return rows


def open_opportunities(supplier_id: int) -> list[Procurement]:
    """Procurements any supplier may express interest in now, that this supplier is not yet invited to."""
    invited = select(Invitation.procurement_id).where(Invitation.supplier_id == supplier_id)
    candidates = db.session.scalars(
        select(Procurement).where(Procurement.procedure.in_(tuple(OPEN_TO_ANY_SUPPLIER)),
                                  Procurement.id.not_in(invited)).order_by(Procurement.reference))
    return [p for p in candidates if open_to_interest(p.procedure, p.state)]


def invitations_to(user: User, procurement_id: int) -> list[tuple[Invitation, list[User]]]:
    """The officer's view: each invited supplier of this procurement with its users."""
    accounts.authorise(user, Permission.INVITE_SUPPLIERS)
    get_procurement(procurement_id)
    invitations = list(db.session.scalars(
        select(Invitation).where(Invitation.procurement_id == procurement_id)
        .options(joinedload(Invitation.supplier)).order_by(Invitation.invited_at, Invitation.id)))
    people = {}
    for person in db.session.scalars(select(User).where(User.supplier_id.in_([i.supplier_id for i in invitations]))
                                     .order_by(User.name)):
        people.setdefault(person.supplier_id, []).append(person)
    return [(invitation, people.get(invitation.supplier_id, [])) for invitation in invitations]


def invitation_of(user: User, procurement_id: int, supplier_id: int) -> Invitation:
    """This procurement's invitation of that supplier, or NotFound (a supplier of another procurement is not here)."""
    in_range = isinstance(supplier_id, int) and 0 < supplier_id <= 2**31 - 1
    invitation = db.session.scalar(select(Invitation).where(Invitation.procurement_id == procurement_id,
                                                            Invitation.supplier_id == supplier_id)) \
        if in_range else None
    if invitation is None:
        raise NotFound("That supplier is not invited to this procurement.")
    return invitation


# --------------------------------------------------------------------------- the officer invites


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise OrganisationInvalid({"name": "Enter the supplier organisation's legal name."})
    if len(name) > NAME_LIMIT:
        raise OrganisationInvalid({"name": f"Enter a name of {NAME_LIMIT} characters or fewer."})
    if any(ord(c) < 32 for c in name):
        raise OrganisationInvalid({"name": "Enter the name without control characters."})
    return name


def _clean_email(email: str | None, field: str = "email") -> str:
    email = (email or "").strip().lower()
    if not email or "@" not in email or len(email) > 254 or any(c.isspace() or ord(c) < 32 for c in email) \
            or email.startswith("@") or email.endswith("@"):
        raise OrganisationInvalid({field: "Enter an e-mail address in the correct format, like name@example.co.uk."})
    return email


def _supplier_named(name: str) -> Supplier | None:
    return db.session.scalar(select(Supplier).where(func.lower(Supplier.name) == name.lower()))


@use_case("Someone else invited this supplier at the same time. Reload the page to see the invitation.")
def invite_supplier(user: User, procurement_id: int, name: str, contact_email: str | None = None,
                    ip: str | None = None) -> Invitation:
    """Invite a supplier organisation (found by its name, else recorded) to respond to the procurement."""
    accounts.authorise(user, Permission.INVITE_SUPPLIERS)
    procurement = get_procurement(procurement_id)
    name = _clean_name(name)
    email = _clean_email(contact_email, "contact_email") if (contact_email or "").strip() else None
    supplier = _supplier_named(name)
    if supplier is None:
        supplier = Supplier(name=name, contact_email=email)
        db.session.add(supplier)
        db.session.flush()
    elif is_invited(procurement.id, supplier.id):
        raise InvalidRequest(f"{supplier.name} is already invited to this procurement.")
    invitation = Invitation(procurement_id=procurement.id, supplier_id=supplier.id, invited_at=clock.now(),
                            invited_by_id=user.id, how=BY_OFFICER)
    db.session.add(invitation)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "supplier.invited", "supplier", supplier.id,
                 procurement_ref=procurement.reference, after={"supplier": supplier.name, "how": BY_OFFICER})
    return invitation


@use_case("Someone else invited this person at the same time. Reload the page to see the invitation.")
def invite_supplier_user(user: User, procurement_id: int, supplier_id: int, email: str, name: str,
                         ip: str | None = None) -> User:
    """Invite a person at an invited supplier by e-mail: an account with no password and a link to set one.

    Inviting someone who already has an account at this supplier sends them a
    new link; an address in use by anyone else is refused without saying whose.
    """
    accounts.authorise(user, Permission.INVITE_SUPPLIERS)
    procurement = get_procurement(procurement_id)
    invitation = invitation_of(user, procurement.id, supplier_id)
    email = _clean_email(email)
    person_name = " ".join((name or "").split())
    if not person_name or len(person_name) > 200 or any(ord(c) < 32 for c in person_name):
        raise OrganisationInvalid({"name": "Enter the person's name, in 200 characters or fewer."})
    person = db.session.scalar(select(User).where(User.email == email))
    if person is not None and person.supplier_id != invitation.supplier_id:
        raise OrganisationInvalid({"email": "This e-mail address is already in use. Enter another address."})
    if person is None:
        person = accounts.create_user(email, person_name, Role.SUPPLIER, None, audit.Actor.of(user, ip),
                                      supplier_id=invitation.supplier_id)
    elif not person.active:
        raise OrganisationInvalid({"email": "This person's account is deactivated. Ask an administrator."})
    account_links.send(person, "invite", by=user)
    audit.record(audit.Actor.of(user, ip), "supplier.user_invited", "user", person.id,
                 procurement_ref=procurement.reference,
                 after={"email": email, "supplier": invitation.supplier.name})
    return person


# --------------------------------------------------------------------------- suppliers on their own


@use_case("Someone registered with these details at the same time. Check your e-mail, or try again.")
def register(organisation_name: str, person_name: str, email: str, ip: str | None = None) -> User | None:
    """A supplier registers its organisation and a first user; the e-mailed link sets the password.

    Returns the new user, or None when the address already has an account:
    the page says the same either way (no one learns which addresses are
    registered), and nothing is sent to an existing account.
    """
    name = _clean_name(organisation_name)
    email = _clean_email(email)
    person_name = " ".join((person_name or "").split())
    if not person_name or len(person_name) > 200 or any(ord(c) < 32 for c in person_name):
        raise OrganisationInvalid({"person_name": "Enter your name, in 200 characters or fewer."})
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        return None
    if _supplier_named(name) is not None:
        raise OrganisationInvalid({"organisation_name": ALREADY_REGISTERED})
    supplier = Supplier(name=name, contact_email=email)
    db.session.add(supplier)
    db.session.flush()
    actor = audit.Actor(label=email, role=Role.SUPPLIER.value, ip=ip)
    person = accounts.create_user(email, person_name, Role.SUPPLIER, None, actor, supplier_id=supplier.id)
    account_links.send(person, "invite")
    audit.record(actor, "supplier.registered", "supplier", supplier.id, after={"supplier": name, "email": email})
    return person


@use_case("Your organisation was invited at the same moment. Reload the page.")
def express_interest(user: User, procurement_id: int, ip: str | None = None) -> Invitation:
    """Register interest in an open or competitive flexible procurement while its notice invites responses."""
    supplier = require_supplier(user)
    in_range = isinstance(procurement_id, int) and 0 < procurement_id <= 2**31 - 1
    procurement = db.session.get(Procurement, procurement_id) if in_range else None
    if procurement is None or not open_to_interest(procurement.procedure, procurement.state):
        raise NotFound("There is no procurement open to expressions of interest with that number.")
    if is_invited(procurement.id, supplier.id):
        raise InvalidRequest("Your organisation is already invited to this procurement.")
    invitation = Invitation(procurement_id=procurement.id, supplier_id=supplier.id, invited_at=clock.now(),
                            invited_by_id=user.id, how=BY_INTEREST)
    db.session.add(invitation)
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "supplier.interest_expressed", "supplier", supplier.id,
                 procurement_ref=procurement.reference, after={"supplier": supplier.name, "how": BY_INTEREST})
    return invitation


def _snapshot(row: Organisation | None) -> dict | None:
    return None if row is None else {name: getattr(row, name) for name in ORGANISATION_FIELDS}


@use_case("Someone at your organisation changed these details at the same time. Reload the page to see their "
          "change, then try again.")
def save_organisation(user: User, fields: dict, version: int | None = None, ip: str | None = None) -> Organisation:
    """A supplier user corrects its own organisation's details (audited, before and after)."""
    supplier = require_supplier(user)
    values = {}
    for name in ORGANISATION_FIELDS:
        value = fields.get(name)
        values[name] = (value.strip() or None) if isinstance(value, str) else value
    for name in ("postal_code", "region"):
        if values[name]:
            values[name] = values[name].upper()
    problems = organisation_problems({k: v or "" for k, v in values.items() if k != "vcse"})
    if not problems.get("name") and values["name"] and any(ord(c) < 32 for c in values["name"]):
        problems["name"] = "Enter the name without control characters."
    if not problems.get("name"):
        clash = _supplier_named(values["name"])
        if clash is not None and clash.id != supplier.id:
            problems["name"] = "Another organisation registered with Tender has this name. Enter your legal name."
    if problems:
        raise OrganisationInvalid(problems)
    row = organisation_of(supplier.id)
    if row is not None and version is not None:
        check_version(row, version)
    before = _snapshot(row)
    if row is None:
        row = Organisation(supplier_id=supplier.id)
        db.session.add(row)
    for name in ORGANISATION_FIELDS:
        setattr(row, name, bool(values[name]) if name == "vcse" else values[name])
    row.country_name = "United Kingdom"
    row.illustrative = False
    supplier.name = values["name"]
    if values["scheme"] == "GB-COH":
        supplier.companies_house_number = values["identifier"]
    if values["contact_email"]:
        supplier.contact_email = values["contact_email"]
    db.session.flush()
    audit.record(audit.Actor.of(user, ip), "supplier.organisation_changed", "supplier", supplier.id,
                 before=before, after=_snapshot(row))
    return row
