"""Shortlisting after the selection questionnaire: a decision per candidate, with reasons."""
from __future__ import annotations


from tender.domain import setup_rules
from tender.domain.roles import Permission
from tender.extensions import db
from tender.models import SQResponse
from tender.models.supplier import REJECTED, SHORTLISTED
from tender.services import audit
from tender.services.accounts import authorise
from tender.services.errors import InvalidRequest, NotFound
from tender.services.procurement.definitions import definition_of
from tender.services import clock
from tender.services.use_case import check_version, get_procurement, use_case



def shortlist_stages(procurement) -> frozenset[str]:
    """The stages in which this procurement's procedure takes shortlisting decisions (see setup_rules)."""
    return setup_rules.shortlist_stages(definition_of(procurement))


DECIDED_MEANWHILE = ("Someone else recorded a decision on this candidate while you were looking at it. "
                     "The page now shows it: check it before you try again.")


@use_case(DECIDED_MEANWHILE)
def record_decision(procurement_id: int, response_id: int, decision: str, reason: str, user, ip=None, *,
                    expected_version: int | None = None) -> SQResponse:
    """Shortlist or reject one candidate; the reason is kept for the procurement report (reg. 84)."""
    authorise(user, Permission.RECORD_SHORTLIST)
    procurement = get_procurement(procurement_id)
    response = db.session.get(SQResponse, response_id)
    if response is None or response.procurement_id != procurement.id:
        raise NotFound("That candidate did not respond to this procurement.")
    check_version(response, expected_version, DECIDED_MEANWHILE)
    if decision not in (SHORTLISTED, REJECTED):
        raise InvalidRequest("Choose whether to shortlist or reject the candidate.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Enter the reasons for the decision. Unsuccessful candidates are told them.")
    if procurement.state not in shortlist_stages(procurement):
        raise InvalidRequest("Shortlisting decisions can only be recorded after selection questionnaire "
                             "responses close and before the invitation to tender is issued.")
    before = {"decision": response.decision, "reason": response.decision_reason}
    response.decision, response.decision_reason = decision, reason
    response.decided_by_id, response.decided_at = user.id, clock.now()
    audit.record(audit.Actor.of(user, ip), "shortlist.decided", "sq_response", response.id,
                 procurement_ref=procurement.reference, before=before,
                 after={"supplier": response.supplier.name, "decision": decision, "reason": reason})
    return response


@use_case
def record_justification(procurement_id: int, text: str, user, ip=None) -> None:
    """Record why fewer candidates than the minimum were shortlisted (reg. 65(2))."""
    authorise(user, Permission.RECORD_SHORTLIST)
    procurement = get_procurement(procurement_id)
    if procurement.state not in shortlist_stages(procurement):
        raise InvalidRequest("The shortlist justification can only be recorded after selection questionnaire "
                             "responses close and before the invitation to tender is issued.")
    text = (text or "").strip()
    if not text:
        raise InvalidRequest("Enter why fewer candidates than the minimum are shortlisted.")
    before = procurement.shortlist_justification
    procurement.shortlist_justification = text
    audit.record(audit.Actor.of(user, ip), "shortlist.justified", "procurement", procurement.id,
                 procurement_ref=procurement.reference, before={"justification": before},
                 after={"justification": text})
