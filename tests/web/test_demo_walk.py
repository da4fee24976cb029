"""The demo walked through the web with the real clock (issue 19, part 6; Done when: "the demo is walked from
Draft to Live through the web with the real clock").

Every step is a request to the app's own routes as the person whose job it is; the app runs with no
``TENDER_TODAY`` and no clock override, and the database is only read (ids, versions, what was stored).

- The demo as in 2022 (``tender demo --as-in-2022``): its deadlines have passed, the candidates' responses
  and tenders are in, so it goes from Draft to Live today: the selection questionnaire published, closed and
  shortlisted; the invitation to tender issued and closed; every lot scored by an evaluator who reads the
  tenders' answers beside the questions, moderated, its prices opened; the award on the initial tenders
  (reserved in the notice) recommended and approved; the award decision letters recorded as sent on their
  2022 day, so standstill has long ended; the contract, mobilisation and go-live.
- The shifted demo (``tender demo``): its timetable starts today, so the law allows only the start today: the
  officer publishes the selection questionnaire, a supplier logs in and responds, and "Close SQ responses" is
  shown disabled with its reason (the deadline), never pressed into a 400.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import Bid, Lot, Procurement, SQResponse, User
from tests.helpers import PASSWORD, csrf_post, login

pytestmark = pytest.mark.slow

OFFICER = "luke.edwards@kent.example"
EVALUATOR = "sam.evans@kent.example"
MODERATOR = "chris.taylor@kent.example"
APPROVER = "richard.smith@kent.example"


def text_of(response) -> str:
    body = re.sub(r"<svg.*?</svg>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").replace("&amp;", "&").split())


class Person:
    """A logged-in client of one demo account, acting on one procurement."""

    def __init__(self, app, email: str, pid: int):
        self.app, self.client, self.pid = app, app.test_client(), pid
        assert login(self.client, email).status_code == 302

    def read(self, query):
        with self.app.app_context():
            return query()

    def state(self) -> str:
        return self.read(lambda: db.session.get(Procurement, self.pid).state)

    def post(self, path: str, data: dict, expect: int = 302):
        response = csrf_post(self.client, path, data, f"/procurements/{self.pid}")
        assert response.status_code == expect, f"{path}: {text_of(response)[:3000]}"
        return response

    def advance(self, trigger: str, to_stage: str) -> None:
        version = self.read(lambda: db.session.get(Procurement, self.pid).version)
        self.post(f"/procurements/{self.pid}/advance", {"trigger": trigger, "version": str(version)})
        assert self.state() == to_stage, text_of(self.client.get(f"/procurements/{self.pid}"))[:3000]


def _load(app, **options) -> int:
    from tender.demo import REFERENCE, load_demo

    assert not app.config.get("TENDER_TODAY")  # the real clock
    with app.app_context():
        load_demo(PASSWORD, **options)
        return db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))


def _score_sheet(score: int) -> dict[str, str]:
    from tests.evaluation_support import sheet

    data = {}
    for qid, (value, rationale) in sheet(score, "The response gives evidence for each point.").items():
        data[f"score-{qid}"], data[f"rationale-{qid}"] = value, rationale
    return data


def test_the_demo_as_in_2022_goes_from_draft_to_live_through_the_web_with_the_real_clock(app):
    from tender.demo import BIDDERS, LOTS, SUPPLIERS

    pid = _load(app)
    officer = Person(app, OFFICER, pid)
    assert officer.state() == "draft"

    # The selection questionnaire: published, closed (its 2022 deadline has passed), the candidates shortlisted.
    officer.advance("publish_sq", "sq_published")
    officer.advance("close_sq", "sq_closed")
    officer.advance("start_sq_evaluation", "sq_evaluation")
    responses = officer.read(lambda: [(r.id, r.version, r.supplier.name) for r in db.session.scalars(
        select(SQResponse).where(SQResponse.procurement_id == pid).order_by(SQResponse.id))])
    assert sorted(name for _, _, name in responses) == sorted(SUPPLIERS)
    for response_id, version, name in responses:
        shortlisted = name in BIDDERS
        officer.post(f"/procurements/{pid}/shortlist/{response_id}", {
            "decision": "shortlisted" if shortlisted else "rejected", "version": str(version),
            "reason": "Meets the selection criteria." if shortlisted else "Does not meet the minimum standard "
                                                                         "for technical and professional ability."})

    # The invitation to tender; the tenders the suppliers submitted in 2022 are in the opened tender box.
    officer.advance("issue_itt", "itt_issued")
    officer.advance("close_initial_tenders", "initial_tender_evaluation")

    # Each lot: the panel declares, the evaluator scores reading each tender's answers, the moderator agrees,
    # the officer opens the prices.
    evaluator, moderator = Person(app, EVALUATOR, pid), Person(app, MODERATOR, pid)
    panel_ids = officer.read(lambda: [db.session.scalar(select(User.id).where(User.email == e))
                                      for e in (EVALUATOR, MODERATOR)])
    for number, _title, _budget in LOTS:
        lot = f"/procurements/{pid}/lots/{number}/evaluation/initial"
        for member_id in panel_ids:
            officer.post(f"{lot}/panel", {"user_id": str(member_id)})
        bids = officer.read(lambda: [(b.id, b.supplier.name) for b in db.session.scalars(
            select(Bid).join(Lot).where(Lot.procurement_id == pid, Lot.number == number, Bid.round == "initial")
            .order_by(Bid.id))])
        assert len(bids) == len(BIDDERS)
        evaluator.post(f"{lot}/declaration", {"has_conflict": "no"})
        for (bid_id, _name), score in zip(bids, (4, 3, 2)):
            page = text_of(evaluator.client.get(f"{lot}/bids/{bid_id}/score"))
            assert "Referrals come in one form" in page  # the tender's own answer to Q1.2, beside the question
            assert f"method-statement-lot-{number}.pdf" in page
            evaluator.post(f"{lot}/bids/{bid_id}/score", {"action": "submit", "confirmed": "yes",
                                                          **_score_sheet(score)})
        moderator.post(f"{lot}/declaration", {"has_conflict": "no"})
        for (bid_id, _name), score in zip(bids, (4, 3, 2)):
            moderator.post(f"{lot}/bids/{bid_id}/moderate", _score_sheet(score))
        officer.post(f"{lot}/prices/open", {"confirmed": "yes"})

    # The award on the initial tenders (reserved in the notice): recommended, then approved.
    officer.advance("award_on_initial_tenders", "award_decision")
    for number, _title, _budget in LOTS:
        officer.post(f"/procurements/{pid}/award/lots/{number}/recommend", {"no_award_reason": ""})
    approver = Person(app, APPROVER, pid)
    approver.post(f"/procurements/{pid}/award/declarations",
                  {**{f"conflict-{n}": "no" for n, _t, _b in LOTS}, **{f"details-{n}": "" for n, _t, _b in LOTS}})
    award = approver.client.get(f"/procurements/{pid}/award").get_data(as_text=True)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', award).group(1)
    approver.post(f"/procurements/{pid}/award/approve",
                  {"authority": "Decision 22/00033", "note": "", "digest": digest, "confirm": "y"})

    # The letters went out on 26 September 2022 (outside Tender): recorded on that day, so standstill has ended.
    officer.post(f"/procurements/{pid}/award/notices-sent",
                 {"sent_on": "2022-09-26", "sent_time": "09:00", "electronic": "yes"})
    officer.advance("send_award_letters", "standstill")
    officer.advance("award_contract", "contract_awarded")
    officer.advance("start_mobilisation", "mobilisation")
    officer.advance("go_live", "live")


def test_the_shifted_demo_is_walked_as_far_as_the_law_allows_today(app):
    from tender import demo_suppliers
    from tender.models import Submission, SubmissionReceipt

    pid = _load(app, as_in_2022=False, open_for_tenders=True)
    officer = Person(app, OFFICER, pid)
    page = text_of(officer.client.get("/"))
    assert re.search(r"KCC-22/00033 Community Mental Health .*? Draft Selection questionnaire published: "
                     r"\d+ \w+ 20\d\d None", page), page  # the dashboard's "Overdue" column: none
    officer.advance("publish_sq", "sq_published")

    # A supplier logs in with its printed login and responds to the selection questionnaire at once.
    supplier = Person(app, demo_suppliers.supplier_email("Porchlight"), pid)
    assert "KCC-22/00033" in text_of(supplier.client.get("/supplier/"))
    started = supplier.post(f"/supplier/procurements/{pid}/responses/sq/0/start", {"version": "0"})
    submission_id = int(started.headers["Location"].split("/submissions/")[1].split("#")[0])
    version = lambda: supplier.read(lambda: db.session.get(Submission, submission_id).version)  # noqa: E731
    answers = {f"answer-{q}": f"{q}: Porchlight meets this requirement; the evidence is in our policies."
               for q in ("EX1", "EX2", "EF1", "EF2", "TP1", "TP2", "TP3")}
    supplier.post(f"/supplier/submissions/{submission_id}/answers", {**answers, "version": str(version())})
    supplier.post(f"/supplier/submissions/{submission_id}/submit", {"version": str(version())})
    assert supplier.read(lambda: db.session.scalar(select(SubmissionReceipt.id)
                                                   .where(SubmissionReceipt.submission_id == submission_id)))

    # "Close SQ responses" waits for the deadline: shown disabled with that reason, not offered to be pressed.
    body = officer.client.get(f"/procurements/{pid}").get_data(as_text=True)
    blocked = re.search(r'aria-label="Why “Close SQ responses” is blocked">(.*?)</ul>', body, re.S)
    assert blocked and "deadline" in blocked.group(1).lower(), text_of(officer.client.get(f"/procurements/{pid}"))
    assert f"/procurements/{pid}/advance/close_sq" not in body and "trigger=close_sq" not in body
    assert officer.state() == "sq_published"
