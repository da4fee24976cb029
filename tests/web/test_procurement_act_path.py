"""A Procurement Act 2023 procurement runs from draft to live through the web, as officers would drive it.

Every step is an HTTP request to the app's own routes (set-up, the conflicts
assessment, the notices' details, stage changes, shortlist, panel, scoring,
moderation, price opening, the revisit of the conflicts assessment at award,
approval, recording the assessment summaries, a legal challenge and its
lifting, the contract); no guard is patched out and no state is set by hand.
The notices drive the stages they evidence: publishing the tender notice
(UK4), the contract award notice (UK6) and the contract details notice (UK7)
moves the procurement, and those stages' buttons are refused without them.
The database is only read, to find ids and check what was stored.

Timetable (competitive flexible procedure, pa2023, tenders electronic):
the tender notice on Mon 2 June 2025 and requests by Fri 27 June (25 days,
s.54(3)); the invitation on Mon 7 July and tenders by Wed 6 August (30 days,
s.54(4)); assessment summaries on Mon 1 September; the contract award notice
on Tue 2 September. Standstill (s.51) is 8 working days *beginning with* that
day: 2, 3, 4, 5, 8, 9, 10, 11 September, so it ends at 23:59:59 on Thursday
11 September and the contract may be entered into from Friday 12 September.
"""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import (AbnormallyLowReview, AuditEvent, Bid, ConflictsAssessment, LegalChallenge, Milestone, Procurement, SQResponse,
                           User)
from tests.act_support import pcr_citations
from tests.evaluation_support import sheet
from tests.helpers import csrf_post, login, make_user

pytestmark = pytest.mark.slow

TIMETABLE = {
    "tender_notice_published": "2025-06-02", "participation_deadline": "2025-06-27", "itt_issued": "2025-07-07",
    "tender_deadline": "2025-08-06", "assessment_started": "2025-08-07", "assessment_summaries_sent": "2025-09-01",
    "contract_award_notice_published": "2025-09-02", "contract_entered": "2025-09-12",
    "contract_details_published": "2025-10-01", "mobilisation_started": "2025-10-02", "service_live": "2026-01-05",
}
MODEL = "community_services_quality_price_social_value"


def text_of(response) -> str:
    body = re.sub(r"<svg.*?</svg>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").replace("&amp;", "&").split())


class Officer:
    """A logged-in client and the procurement it drives."""

    def __init__(self, app, email: str):
        self.app, self.client = app, app.test_client()
        assert login(self.client, email).status_code == 302
        self.pid: int | None = None

    def on(self, day: str) -> None:
        self.app.config["TENDER_TODAY"] = day

    def read(self, query):
        with self.app.app_context():
            return query()

    def version(self) -> int:
        return self.read(lambda: db.session.get(Procurement, self.pid).version)

    def state(self) -> str:
        return self.read(lambda: db.session.get(Procurement, self.pid).state)

    def post(self, path: str, data: dict, expect: int = 302):
        response = csrf_post(self.client, path, data, f"/procurements/{self.pid}" if self.pid else "/")
        assert response.status_code == expect, text_of(response)[:3000]
        return response

    def advance(self, trigger: str, expect: int = 302):
        return self.post(f"/procurements/{self.pid}/advance", {"trigger": trigger, "version": str(self.version())},
                         expect)

    def blocked(self, trigger: str) -> str:
        """Post a transition its guards block: the officer is sent back (Post/Redirect/Get) and told why."""
        before = self.state()
        response = self.advance(trigger)
        assert response.headers["Location"].endswith("#next-steps") and self.state() == before
        return text_of(self.client.get(f"/procurements/{self.pid}"))


COUNCIL = {"name": "Kent County Council", "scheme": "GB-PPON", "identifier": "PDMO-KENT-0001",
           "street_address": "Sessions House, County Road", "locality": "Maidstone", "postal_code": "ME14 1XQ",
           "region": "TLJ4", "contact_email": "commissioning@kent.example",
           "authority_type": "publicAuthoritySubCentralGovernment"}


def publish_notice(officer: Officer, kind: str) -> None:
    """Preview a notice and publish exactly what the preview showed, as the officer does on the notices page."""
    text = officer.client.get(f"/procurements/{officer.pid}/notices/{kind}/preview").get_data(as_text=True)
    match = re.search(r'name="generated_at"[^>]*value="([^"]+)"', text)
    assert match, text_of_html(text)[:3000]
    sha = re.search(r'name="sha256"[^>]*value="([0-9a-f]{64})"', text).group(1)
    officer.post(f"/procurements/{officer.pid}/notices/{kind}/publish",
                 {"generated_at": html.unescape(match.group(1)), "sha256": sha})


def text_of_html(body: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def panel_member(app, role: str) -> str:
    with app.app_context():
        return make_user(role).email


def test_a_procurement_act_procurement_goes_from_draft_to_live_through_the_web(app):
    officer = walk_to_live(app)
    actions = officer.read(lambda: list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.procurement_ref == "KCC-25/00101").order_by(AuditEvent.seq))))
    for action in ("award.approved", "award.notices_sent", "challenge.recorded", "challenge.suspension_lifted",
                   "conflicts.assessment_reviewed", "conflicts.assessment_revisited", "award.standstill_started"):
        assert actions.count(action) == 1, action
    assert actions.count("procurement.stage_changed") == 11  # draft to live, every stage on the main path
    stored = officer.read(lambda: db.session.get(Procurement, officer.pid))
    assert stored.award_notices_sent_at is not None and stored.award_notice_published_at is not None
    met = officer.read(lambda: {m.key: m.actual_date for m in db.session.scalars(
        select(Milestone).where(Milestone.procurement_id == officer.pid))})
    assert met["contract_award_notice_published"] == date(2025, 9, 2)
    assert met["contract_entered"] == date(2025, 9, 12)
    assert met["service_live"] == date(2026, 1, 5)


def walk_to_live(app, visit=None) -> Officer:
    """Drive the Act procurement from draft to live through the web, checking each step; the officer's client.

    ``visit(officer, moment)`` is called at a few points on the way (the tender notice published, the award
    approved, standstill, live), for a test that reads every page as the procurement stands.
    """
    visit = visit or (lambda officer, moment: None)
    with app.app_context():
        officer_user = make_user("procurement_officer")
        officer_id, officer_email = officer_user.id, officer_user.email
        approver_user = make_user("approver", name="Richard Smith")
        approver_id, approver_email = approver_user.id, approver_user.email
    evaluators = [panel_member(app, "evaluator") for _ in range(2)]
    moderator = panel_member(app, "moderator")
    officer = Officer(app, officer_email)
    officer.on("2025-05-01")

    # Start the procurement, add a lot and plan the whole timetable.
    response = officer.post("/procurements/new", {
        "reference": "KCC-25/00101", "title": "Young carers' support", "description": "Support for young carers.",
        "procedure": "competitive_flexible_procedure", "regime": "pa2023", "estimated_value": "900000.00",
        "initial_term_years": "3", "extension_years": "1", "electronic_submission": "y",
        "lead_officer": str(officer_id)})
    officer.pid = int(response.headers["Location"].rsplit("/", 1)[1])
    setup = f"/procurements/{officer.pid}/set-up"
    officer.post(f"{setup}/lots", {"number": "1", "title": "Kent-wide", "annual_budget": "300000.00",
                                   "evaluation_model": MODEL})
    milestone_ids = officer.read(lambda: {m.key: m.id for m in db.session.scalars(
        select(Milestone).where(Milestone.procurement_id == officer.pid))})
    for key, planned in TIMETABLE.items():
        officer.post(f"{setup}/milestones/{milestone_ids[key]}", {"planned_date": planned, "owner": str(officer_id)})

    # The details the notices draw on.
    officer.post(f"/procurements/{officer.pid}/notices/parties/authority/0", COUNCIL)
    officer.post(f"/procurements/{officer.pid}/notices/classification", {
        "cpv_code": "85312000-9", "submission_method": "electronicSubmission",
        "submission_url": "https://www.kentbusinessportal.org.uk", "enquiry_deadline": "2025-07-30",
        "vat_percent": "20", "lot_1": ""})

    # The conflicts assessment (s.83): recorded, declared on by everyone acting, reviewed and dated by another.
    officer.on("2025-06-02")
    blocked = officer.blocked("publish_tender_notice")
    assert "Record the conflicts assessment before the tender notice is published" in blocked
    assert "Publish the tender notice (UK4) on the Notices page first" in blocked
    assessment = f"/procurements/{officer.pid}/conflicts-assessment"
    officer.post(assessment, {"assessment": "Risks: officers' and the approver's links with local providers. "
                                            "Mitigation: declarations now and at award; a conflicted person "
                                            "takes no part."})
    officer.post(f"{assessment}/people", {"person": str(approver_id)})
    officer.post(f"{assessment}/declaration", {"has_conflict": "no", "details": ""})
    approver = Officer(app, approver_email)
    approver.pid = officer.pid
    approver.post(f"{assessment}/declaration", {"has_conflict": "no", "details": ""})
    version = officer.read(lambda: db.session.scalar(select(ConflictsAssessment.version)))
    approver.post(f"{assessment}/review", {"note": "Checked against the register of interests.",
                                           "version": str(version)})
    assert "Reviewed and dated" in text_of(officer.client.get(assessment))

    # Tender notice (UK4): publishing it opens the participation period; conditions of participation assessed.
    publish_notice(officer, "tender")
    assert officer.state() == "participation_period"
    visit(officer, "tender notice published")
    officer.on("2025-06-27")
    for name, received in (("Porchlight", "2025-06-20T10:00"), ("Shaw Trust", "2025-06-26T16:30")):
        officer.post(f"{setup}/sq-responses", {"supplier_name": name, "received_at": received})
    officer.on("2025-06-28")
    officer.advance("close_participation")
    responses = officer.read(lambda: [(r.id, r.version, r.supplier_id) for r in db.session.scalars(
        select(SQResponse).where(SQResponse.procurement_id == officer.pid).order_by(SQResponse.id))])
    for response_id, version, _ in responses:
        officer.post(f"/procurements/{officer.pid}/shortlist/{response_id}", {
            "decision": "shortlisted", "reason": "Meets every condition of participation.", "version": str(version)})

    # Invitation to tender, tenders in, assessment.
    officer.on("2025-07-07")
    officer.advance("issue_itt")
    officer.on("2025-08-06")
    # Porchlight's price is more than 20% below Shaw Trust's: the model flags it as possibly abnormally low.
    for (_, _, supplier_id), price in zip(responses, ("230000.00", "300000.00")):
        officer.post(f"{setup}/bids", {"lot_number": "1", "supplier": str(supplier_id), "round": "final",
                                       "received_at": "2025-08-05T11:00", "price": price})
    officer.on("2025-08-07")
    officer.advance("close_tenders")
    officer.advance("start_assessment")

    lot = f"/procurements/{officer.pid}/lots/1/evaluation/final"
    member_ids = officer.read(lambda: [db.session.scalar(select(User.id).where(User.email == e))
                                       for e in evaluators + [moderator]])
    for member_id in member_ids:
        officer.post(f"{lot}/panel", {"user_id": str(member_id)})
    bid_ids = officer.read(lambda: list(db.session.scalars(
        select(Bid.id).join(Bid.lot).where(Bid.round == "final").order_by(Bid.id))))
    for email in evaluators:
        evaluator = Officer(app, email)
        evaluator.pid = officer.pid
        declaration = text_of(evaluator.client.get(lot))  # the Act's declaration page speaks the Act
        assert "Procurement Act 2023, sections 81 and 82" in declaration and not pcr_citations(declaration)
        evaluator.post(f"{lot}/declaration", {"has_conflict": "no"})
        for bid_id, score in zip(bid_ids, (4, 3)):
            data = {"action": "submit", "confirmed": "yes"}
            for qid, (value, rationale) in sheet(score).items():
                data[f"score-{qid}"], data[f"rationale-{qid}"] = value, rationale
            evaluator.post(f"{lot}/bids/{bid_id}/score", data)
    chair = Officer(app, moderator)
    chair.pid = officer.pid
    chair.post(f"{lot}/declaration", {"has_conflict": "no"})
    for bid_id, score in zip(bid_ids, (4, 3)):
        data = {}
        for qid, (value, rationale) in sheet(score, "Agreed at moderation.").items():
            data[f"score-{qid}"], data[f"rationale-{qid}"] = value, rationale
        chair.post(f"{lot}/bids/{bid_id}/moderate", data)
    officer.post(f"{lot}/prices/open", {"confirmed": "yes"})

    # The flagged price is explained and decided on (s.19) before the recommendation can be recorded.
    officer.on("2025-08-20")
    ranking = officer.client.get(f"{lot}/ranking").get_data(as_text=True)
    assert f"/procurements/{officer.pid}/lots/1/abnormally-low" in ranking and "Abnormally low?" in ranking
    low = f"/procurements/{officer.pid}/lots/1/abnormally-low"
    flagged_bid = bid_ids[0]
    officer.post(f"{low}/{flagged_bid}/request", {"requested_on": "2025-08-14",
                                                  "request": "Explain how the price covers the staffing model."})
    review_version = lambda: officer.read(lambda: db.session.scalar(select(AbnormallyLowReview.version)))  # noqa: E731
    officer.post(f"{low}/{flagged_bid}/reply", {"received_on": "2025-08-19", "version": str(review_version()),
                                                "explanation": "Volunteers deliver the peer support sessions."})
    officer.post(f"{low}/{flagged_bid}/decision", {"decision": "accepted", "version": str(review_version()),
                                                   "reasons": "The volunteer model is costed and evidenced."})
    assert "Explanation accepted" in text_of(officer.client.get(low))

    # The summaries cannot go before the award is approved and their sending recorded.
    officer.on("2025-09-01")
    blocked = officer.blocked("send_assessment_summaries")
    assert "No approval of the award decision is recorded" in blocked
    # The conflicts assessment is revisited at award, then the officer records the lot's recommendation;
    # the approver reads it, declares, and approves its digest.
    refused = officer.post(f"/procurements/{officer.pid}/award/lots/1/recommend", {"no_award_reason": ""},
                           expect=400)
    assert "Revisit the conflicts assessment at award first" in text_of(refused)
    version = officer.read(lambda: db.session.scalar(select(ConflictsAssessment.version)))
    officer.post(f"{assessment}/award-revisit", {"note": "The panel declared on the lot; nobody else joined.",
                                                "version": str(version)})
    officer.post(f"/procurements/{officer.pid}/award/lots/1/recommend", {"no_award_reason": ""})
    approver.post(f"/procurements/{officer.pid}/award/declarations", {"conflict-1": "no", "details-1": ""})
    award_page = text_of(approver.client.get(f"/procurements/{officer.pid}/award"))
    assert "Award to" in award_page
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"',
                       approver.client.get(f"/procurements/{officer.pid}/award").get_data(as_text=True)).group(1)
    approver.post(f"/procurements/{officer.pid}/award/approve",
                  {"authority": "Decision 25/00101", "note": "", "digest": digest, "confirm": "y"})
    visit(officer, "award approved")
    blocked = officer.blocked("send_assessment_summaries")
    assert "Record when the assessment summaries were sent" in blocked
    page = text_of(officer.client.get(f"/procurements/{officer.pid}"))
    assert "Record that the assessment summaries were sent" in page
    refused = officer.post(f"/procurements/{officer.pid}/award/notices-sent",
                           {"sent_on": "2025-09-02", "sent_time": "09:00", "electronic": "yes"}, expect=400)
    assert "The time the assessment summaries were sent cannot be in the future." in text_of(refused)
    # 00:05 BST on 1 September is 23:05 UTC on 31 August: the UK day is what is shown and counted.
    officer.post(f"/procurements/{officer.pid}/award/notices-sent",
                 {"sent_on": "2025-09-01", "sent_time": "00:05", "electronic": "yes"})
    assert "The assessment summaries were sent on 1 September 2025 at 00:05 (UK time)" in text_of(
        officer.client.get(f"/procurements/{officer.pid}"))
    officer.advance("send_assessment_summaries")
    visit(officer, "summaries sent")

    # The stage button alone does not start standstill: publishing the contract award notice (UK6) does,
    # and its end shows on the page and the dashboard.
    officer.on("2025-09-02")
    assert "Publish the contract award notice (UK6) on the Notices page first" in \
        officer.blocked("publish_contract_award_notice")
    for _, _, supplier_id in responses:
        officer.post(f"/procurements/{officer.pid}/notices/parties/supplier/{supplier_id}", {
            "name": f"Supplier {supplier_id}", "scheme": "GB-COH", "identifier": f"0{supplier_id:07d}",
            "street_address": f"{supplier_id} High Street", "locality": "Ashford", "postal_code": "TN23 1AA",
            "vcse": "y"})
    publish_notice(officer, "award")
    assert officer.state() == "standstill"
    visit(officer, "standstill")
    page = text_of(officer.client.get(f"/procurements/{officer.pid}"))
    assert "Standstill ends at 23:59:59 on 11 September 2025" in page
    assert "The contract can be entered into from 12 September 2025" in page
    assert "Standstill ends 23:59:59 on 11 September 2025; contract from 12 September 2025" in text_of(
        officer.client.get("/"))

    # On the last day of standstill the contract is refused.
    officer.on("2025-09-11")
    blocked = officer.blocked("enter_contract")
    assert "Standstill ends at midnight at the end of 11 September 2025 (Procurement Act 2023 s.51)" in \
        blocked

    # A claim issued in standstill suspends it (s.101) until the suspension is lifted.
    officer.post(f"/procurements/{officer.pid}/challenges", {
        "reference": "HT-2025-000321", "issued_on": "2025-09-10", "aware_on": "2025-09-11",
        "note": "Shaw Trust challenges the quality scores."})
    officer.on("2025-09-12")
    blocked = officer.blocked("enter_contract")
    assert "A legal challenge (HT-2025-000321) suspends entering into the contract" in blocked
    assert officer.state() == "standstill"
    challenge_id, challenge_version = officer.read(lambda: db.session.execute(
        select(LegalChallenge.id, LegalChallenge.version)).one())
    officer.post(f"/procurements/{officer.pid}/challenges/{challenge_id}/lift", {
        "lifted_on": "2025-09-12", "reason": "Claim discontinued (notice of discontinuance).",
        "version": str(challenge_version)})
    officer.advance("enter_contract")

    # The contract details notice (UK7, due by 11 October: 30 days beginning with 12 September), mobilisation, live.
    officer.on("2025-10-01")
    assert "Publish the contract details notice (UK7) on the Notices page first" in \
        officer.blocked("publish_contract_details_notice")
    assert "Contract details notice (UK7) due by 11 October 2025" in text_of(
        officer.client.get(f"/procurements/{officer.pid}/standstill-and-notices"))
    publish_notice(officer, "contract")
    assert officer.state() == "contract_details_published"
    officer.advance("start_mobilisation")
    officer.on("2026-01-05")
    officer.advance("go_live")
    assert officer.state() == "live"
    visit(officer, "live")
    return officer

