"""Whether a procurement is above the threshold that brings the full notice regime (``tender.aboveThreshold``).

Thresholds are VAT-inclusive (since 1 January 2022), so the estimated value
with VAT is compared. The figures (``../shared/RULES.md``, "Which regime")
are for services, which is all Tender procures: sub-central and central
government authorities, and the light touch threshold for social and other
specific services, the same under PCR 2015 and the Procurement Act 2023. For
a utility, a public undertaking, an authority of another type or a day before
2022 Tender does not hold the figure, and says nothing (None) rather than guess.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

LIGHT_TOUCH = Decimal("663540")
# In force from -> (sub-central authorities' services, central government's services)
SERVICES = (
    (date(2026, 1, 1), Decimal("207720"), Decimal("135018")),
    (date(2024, 1, 1), Decimal("214904"), Decimal("139688")),
    (date(2022, 1, 1), Decimal("213477"), Decimal("138760")),
)
CENTRAL, SUB_CENTRAL = "publicAuthorityCentralGovernment", "publicAuthoritySubCentralGovernment"


def threshold(regime: str, authority_type: str | None, on: date) -> Decimal | None:
    """The services threshold in force ``on`` for this regime and type of authority (None: not known)."""
    in_force = next((row for row in SERVICES if row[0] <= on), None)
    if in_force is None:
        return None
    if regime.endswith("light_touch"):
        return LIGHT_TOUCH
    return {SUB_CENTRAL: in_force[1], CENTRAL: in_force[2]}.get(authority_type or "")


def above_threshold(regime: str, authority_type: str | None, on: date, gross_value: Decimal | None) -> bool | None:
    """Whether the estimated value with VAT is at or above the threshold (None: the threshold is not known).

    "Above threshold" in the UK extension's sense: the procurement is subject
    to the regime's full notice and procedure rules, which apply from the
    threshold amount itself.
    """
    limit = threshold(regime, authority_type, on)
    if limit is None or gross_value is None:
        return None
    return gross_value >= limit
