"""The contract stage records the contract: per lot awarded, the day signed, reference, value, term, extensions.

Recorded once the contract may lawfully be entered into (standstill over, no
suspending challenge, under the Act the UK6 on record) and from the contract
stage on; corrected in place while the procurement runs, each change audited
with before and after, two officers at once refused by the row's version.
The contract details notice (UK7), the OCDS ``contracts`` and the procurement
report read these rows (:func:`contracts_of`), not the day a button was pressed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tender.domain import contract as rules
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import AwardRecommendation, Contract, Lot, Procurement
from tender.services import audit, clock
from tender.services.accounts import authorise
from tender.services.errors import ConcurrentChange, InvalidRequest, NotFound
from tender.services.procurement.definitions import definition_of
from tender.services.use_case import check_version, get_procurement, use_case

CHANGED_MEANWHILE = ("Someone else changed this contract while you were looking at it. The page now shows it as it "
                     "is: check it before you try again.")
#: Milestones met by entering into the contract.
CONTRACT_MILESTONES = ("contract_entered", "contract_awarded")


class ContractRefused(InvalidRequest):
    """A contract that cannot be recorded as typed: ``field`` names the field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _entry_transition(definition):
    """The transition that enters the contract (its destination meets the contract milestone), or None."""
    keys = set(CONTRACT_MILESTONES) | {definition.milestone_with_role("contract_entered")} - {None}
    return next((t for t in definition.transitions if definition.stage(t.dest).milestone in keys), None)


def contract_stages(procurement: Procurement) -> frozenset[str]:
    """The stage the contract is entered into and every stage after it (not an abandonment)."""
    definition = definition_of(procurement)
    entry = _entry_transition(definition)
    if entry is None:
        return frozenset()
    seen, todo = set(), [entry.dest]
    while todo:
        stage = todo.pop()
        if stage in seen:
            continue
        seen.add(stage)
        todo.extend(t.dest for t in definition.transitions if stage in t.sources and not t.requires_reason)
    return frozenset(seen)


def _entry_stages(procurement: Procurement) -> frozenset[str]:
    entry = _entry_transition(definition_of(procurement))
    return frozenset(entry.sources) if entry is not None else frozenset()


def awarded(procurement_id: int) -> list[tuple[Lot, AwardRecommendation]]:
    """The lots with a current recommendation to award, with it, by lot number (one query)."""
    return [(lot, rec) for lot, rec in db.session.execute(
        select(Lot, AwardRecommendation).join(AwardRecommendation, AwardRecommendation.lot_id == Lot.id)
        .where(Lot.procurement_id == procurement_id, AwardRecommendation.voided_at.is_(None),
               AwardRecommendation.supplier_id.is_not(None)).order_by(Lot.number))]


def contracts_of(procurement_id: int) -> dict[int, Contract]:
    """Lot id -> its recorded contract."""
    return {c.lot_id: c for c in db.session.scalars(select(Contract).where(Contract.procurement_id == procurement_id))}


def refusal(procurement: Procurement, today: date) -> str | None:
    """Why no contract can be recorded now (None: it can): asked by the page and by :func:`record`."""
    from tender.services.procurement import workflow

    if procurement.state in contract_stages(procurement):
        return None
    if procurement.state in _entry_stages(procurement):
        blockers = workflow.contract_entry_blockers(procurement, today)
        if blockers:
            return "The contract cannot be entered into yet: " + " ".join(blockers)
        return None
    return "The contract is recorded once it may be entered into: after the award decision and its standstill."


def contract_from(procurement: Procurement):
    """The first day the contract may be signed (the day after standstill ends), if a standstill applies."""
    from tender.services.award.standstill import standstill_of

    current = standstill_of(procurement)
    return current.contract_from if current is not None else None


@use_case(CHANGED_MEANWHILE)
def record(procurement_id: int, lot_number: int, user, *, reference: str | None, signed_on: date | None, value,
           starts_on: date | None, ends_on: date | None, extension_years, expected_version: int | None = None,
           ip: str | None = None, today: date | None = None) -> Contract:
    """Record (or correct) the contract of lot ``lot_number``, as signed with the supplier awarded it; audited."""
    authorise(user, Permission.ADVANCE_STAGE)
    procurement = get_procurement(procurement_id)
    today = today or clock.today()
    why_not = refusal(procurement, today)
    if why_not:
        raise ContractRefused(why_not)
    row = next(((lot, rec) for lot, rec in awarded(procurement.id) if lot.number == lot_number), None)
    if row is None:
        raise NotFound(f"Lot {lot_number} has no award to a supplier, so it has no contract to record.")
    lot, rec = row
    try:
        terms = rules.check(reference, signed_on, value, starts_on, ends_on, extension_years, today=today,
                            contract_from=contract_from(procurement))
    except rules.ContractError as exc:
        raise ContractRefused(str(exc), exc.field) from None
    existing = db.session.scalar(select(Contract).where(Contract.lot_id == lot.id))
    actor = audit.Actor.of(user, ip)
    if existing is None:
        if expected_version:
            raise InvalidRequest(CHANGED_MEANWHILE)
        contract = Contract(procurement_id=procurement.id, lot_id=lot.id, supplier_id=rec.supplier_id,
                            recorded_by_id=user.id, recorded_at=clock.now(), **_columns(terms))
        db.session.add(contract)
        db.session.flush()
        audit.record(actor, "contract.recorded", "contract", contract.id, procurement_ref=procurement.reference,
                     lot=lot.number, after={**terms.as_audit(), "supplier": rec.supplier.name})
        return contract
    if expected_version is None:  # recorded as new, but someone else recorded it meanwhile
        raise ConcurrentChange(f"Someone else recorded the contract of lot {lot_number} at the same time. The page "
                               "now shows it: check it, and correct it if it needs to be.")
    check_version(existing, expected_version, CHANGED_MEANWHILE)
    before = _terms_of(existing).as_audit()
    if before == terms.as_audit():
        raise ContractRefused("Nothing has changed: the contract is recorded with these details already.")
    for name, value_ in _columns(terms).items():
        setattr(existing, name, value_)
    existing.recorded_by_id, existing.recorded_at = user.id, clock.now()
    db.session.flush()
    changed = {k: v for k, v in terms.as_audit().items() if before[k] != v}
    audit.record(actor, "contract.corrected", "contract", existing.id, procurement_ref=procurement.reference,
                 lot=lot.number, before={k: before[k] for k in changed}, after=changed)
    return existing


def _columns(terms: rules.ContractTerms) -> dict:
    return {"reference": terms.reference, "signed_on": terms.signed_on, "value": terms.value,
            "starts_on": terms.starts_on, "ends_on": terms.ends_on, "extension_years": terms.extension_years}


def _terms_of(contract: Contract) -> rules.ContractTerms:
    return rules.ContractTerms(contract.reference, contract.signed_on, contract.value.quantize(rules.bounds.PENNY),
                               contract.starts_on, contract.ends_on, contract.extension_years)


def terms_by_lot_number(procurement_id: int) -> dict[int, rules.ContractTerms]:
    """Lot number -> the recorded contract's terms (what notices and the report read)."""
    rows = db.session.execute(select(Lot.number, Contract).join(Contract, Contract.lot_id == Lot.id)
                              .where(Contract.procurement_id == procurement_id))
    return {number: _terms_of(contract) for number, contract in rows}


def signed_on(procurement_id: int) -> date | None:
    """The day the contract was entered into: the first lot's signing, if any contract is recorded."""
    days = [c.signed_on for c in contracts_of(procurement_id).values()]
    return min(days) if days else None


@dataclass(frozen=True)
class ContractRow:
    """One awarded lot on the procurement page: its supplier, the recommended value, and the contract if recorded."""

    lot: Lot
    supplier: str
    recommended_value: object
    contract: Contract | None


@dataclass(frozen=True)
class PageFacts:
    """The procurement page's contract section."""

    rows: tuple[ContractRow, ...]
    refusal: str | None
    show: bool
    contract_from: date | None


def page_facts(procurement: Procurement, today: date) -> PageFacts:
    """What the contract section shows: shown from the stage the contract may be entered into."""
    relevant = procurement.state in contract_stages(procurement) | _entry_stages(procurement)
    if not relevant:
        return PageFacts((), None, False, None)
    recorded = contracts_of(procurement.id)
    rows = tuple(ContractRow(lot, rec.supplier.name, rec.contract_value, recorded.get(lot.id))
                 for lot, rec in awarded(procurement.id))
    return PageFacts(rows, refusal(procurement, today), bool(rows), contract_from(procurement))
