"""Who may take part without being invited: the rule for registering and expressing interest (issue 18).

Under an **open procedure** (PCR 2015 reg. 27; Procurement Act 2023
s.20(2)(a)) any interested supplier may tender in response to the notice,
and under the **competitive flexible procedure** (Act s.20(2)(b)) any
supplier may ask to participate in response to the tender notice. Tender
therefore lets a supplier register itself (its organisation and a first
user, whose e-mail address is confirmed by the one-time link that sets the
password) and express interest in such a procurement while it is in the
stage in which the notice invites responses: "Tender published" for the open
procedure, "Participation period" for the competitive flexible procedure.
Expressing interest invites the supplier's organisation, exactly as if the
officer had invited it; it grants nothing else (a competitive flexible
procedure still assesses the conditions of participation before inviting
tenders).

Every other procedure (restricted, competitive procedure with negotiation,
light touch) limits who takes part, so only the officer invites there.
"""
from __future__ import annotations

#: Procedure -> the stage in which any supplier may respond to the published notice.
OPEN_TO_ANY_SUPPLIER: dict[str, str] = {
    "open_procedure": "tender_published",
    "competitive_flexible_procedure": "participation_period",
}


def open_to_interest(procedure: str, state: str) -> bool:
    """True while any registered supplier may express interest (and so be invited) in this procurement."""
    return OPEN_TO_ANY_SUPPLIER.get(procedure) == state


def allows_registration(procedure: str) -> bool:
    """Whether the procedure is one a supplier may join by registering itself (open or competitive flexible)."""
    return procedure in OPEN_TO_ANY_SUPPLIER
