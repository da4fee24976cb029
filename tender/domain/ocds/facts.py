"""What a notice is built from: plain, frozen facts the service reads from the record at one moment."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from tender.domain.contract import ContractTerms


@dataclass(frozen=True)
class Address:
    street_address: str
    locality: str
    postal_code: str
    region: str = ""  # ITL (formerly NUTS) code, e.g. TLJ4 for Kent
    country_name: str = "United Kingdom"
    country: str = "GB"  # ISO 3166-1 alpha-2, as Find a Tender writes it beside the name


@dataclass(frozen=True)
class Organisation:
    """A party as a notice names it: its legal name, identifiers, address and contact point."""

    name: str
    scheme: str  # org-id scheme, e.g. GB-PPON, GB-COH, GB-CHC, GB-NHS
    identifier: str
    address: Address | None = None
    ppon: str | None = None  # the Central Digital Platform's number, when the main identifier is another scheme
    contact_name: str | None = None
    contact_email: str | None = None
    contact_telephone: str | None = None
    url: str | None = None
    authority_type: str | None = None  # UK_CA_TYPE code, for contracting authorities
    vcse: bool | None = None  # voluntary, community or social enterprise, for suppliers

    @property
    def party_id(self) -> str:
        """As Find a Tender writes it: scheme, hyphen, identifier."""
        return f"{self.scheme}-{self.identifier}"


@dataclass(frozen=True)
class Funder:
    name: str
    annual_amount: Decimal
    organisation: Organisation | None


@dataclass(frozen=True)
class Criterion:
    """An award criterion as published: quality, price or cost, with its weight in percent."""

    type: str
    name: str
    weight: Decimal


@dataclass(frozen=True)
class Lot:
    number: int
    title: str
    annual_budget: Decimal | None
    cpv: str | None = None
    criteria: tuple[Criterion, ...] = ()


@dataclass(frozen=True)
class Milestone:
    key: str
    title: str
    ocds_type: str | None
    planned_date: date | None
    actual_date: date | None
    status: str


@dataclass(frozen=True)
class Award:
    """A lot's recorded award decision (the recommendation on record, never a fresh ranking)."""

    lot_number: int
    supplier_id: int | None
    annual_price: Decimal | None
    contract_value: Decimal | None
    decided_at: datetime
    no_award_reason: str | None = None
    contract: ContractTerms | None = None  # the contract as signed, once the contract stage records it


@dataclass(frozen=True)
class Standstill:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class LotBids:
    """How many tenders a lot received, and how many were assessed in its last round (the award's)."""

    lot_number: int
    bids: int
    final_stage_bids: int
    vcse_final_stage_bids: int | None = None  # None: some final-stage tenderer's VCSE status is not recorded


@dataclass(frozen=True)
class PublishedNotice:
    """A notice already out, as a later release must repeat it: its release (if Tender stored one) and ids.

    ``release`` is None for a notice recorded as published elsewhere (on Find
    a Tender): Tender holds only its notice number and publication moment.
    """

    kind: str
    code: str
    title: str
    document_type: str
    published_at: datetime
    release: dict | None = None
    fts_notice_number: str | None = None
    fts_ocid: str | None = None


@dataclass(frozen=True)
class Procurement:
    """Everything a notice says about one procurement, as the record stood when it was generated."""

    reference: str
    title: str
    description: str
    procedure: str
    procedure_title: str
    regime: str
    stage: str
    estimated_value: Decimal
    initial_term_years: int
    extension_years: tuple[int, ...]
    authority: Organisation | None = None
    funders: tuple[Funder, ...] = ()
    cpv: str | None = None
    lots: tuple[Lot, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    submission_method: str | None = None
    submission_url: str | None = None
    enquiry_deadline: date | None = None
    suppliers: dict[int, Organisation] = field(default_factory=dict)  # tenderers with details entered
    supplier_names: dict[int, str] = field(default_factory=dict)  # every tenderer's name
    tenderers: tuple[int, ...] = ()  # every supplier that tendered for a lot, winners or not
    tenderer_count: int = 0
    requests: int | None = None  # requests to participate (selection questionnaires) received
    lot_bids: tuple[LotBids, ...] = ()
    awards: tuple[Award, ...] = ()
    standstill: Standstill | None = None
    assessment_summaries_sent: datetime | None = None  # the moment the last one went (PA s.50)
    contract_signed: date | None = None
    vat_percent: Decimal | None = None  # the VAT rate on the (net) values: gives amountGross
    valued_on: date | None = None  # the day the tender notice went out: the threshold then in force
    earlier: tuple[PublishedNotice, ...] = ()  # the notices already out, oldest first

    @property
    def total_years(self) -> int:
        return self.initial_term_years + sum(self.extension_years)
