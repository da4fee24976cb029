"""Evaluation end to end in headless Chromium, against the real app under gunicorn on the demo.

The demo procurement is moved to initial tender evaluation through the
workflow service, then everything happens in the browser: the officer builds
lot 1's panel; two evaluators declare no conflict and score the three bids;
the third declares a conflict and loses access; the moderator agrees scores;
the officer opens prices and sees the ranking; the "Start negotiation" guard
no longer lists lot 1.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.helpers import TEST_CONFIG
from tests.web.browser_support import DEMO_PASSWORD, LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REFERENCE = "KCC-22/00033"
OFFICER, MODERATOR = "luke.edwards@kent.example", "chris.taylor@kent.example"
EVALUATORS = {"sam.evans@kent.example": "3", "jo.patel@kent.example": "4"}
CONFLICTED = "alex.morgan@kent.example"
BIDDERS = ["Kent Wellbeing Alliance CIC", "Porchlight", "Shaw Trust"]
QUESTIONS = ["C1", "C2", "Q1.1", "Q1.2", "Q2.1", "Q2.2", "Q3", "Q4", "SV1", "SV2"]


def to_initial_tender_evaluation(database_url: str) -> int:
    """Move the demo procurement through the workflow service to initial tender evaluation; its id."""
    from tender import create_app
    from tender.extensions import db
    from tender.models import Procurement, SQResponse, User
    from tender.services.procurement import shortlist
    from tender.services.procurement import workflow

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        procurement = db.session.scalar(select(Procurement).where(Procurement.reference == REFERENCE))
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        steps = [("publish_sq", date(2022, 4, 4)), ("close_sq", date(2022, 5, 10)),
                 ("start_sq_evaluation", date(2022, 5, 10))]
        for trigger, day in steps:
            workflow.advance(procurement.id, trigger, officer, expected_version=None, today=day)
        for response in db.session.scalars(select(SQResponse).where(SQResponse.procurement_id == procurement.id)):
            shortlist.record_decision(procurement.id, response.id, "shortlisted", "Meets every selection criterion",
                                      officer)
        for trigger, day in [("issue_itt", date(2022, 6, 6)), ("close_initial_tenders", date(2022, 7, 12))]:
            workflow.advance(procurement.id, trigger, officer, expected_version=None, today=day)
        procurement_id = procurement.id
        db.session.remove()
        db.engine.dispose()
    return procurement_id


def log_in(context, email: str):
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(re.compile(r"^Logged in as "))).to_be_visible()
    return page


def fill_sheet(page, prefix: str, score: str, rationale: str) -> None:
    for qid in QUESTIONS:
        fid = qid.replace(".", "-")
        page.check(f"#{prefix}-{fid}-{'pass' if qid.startswith('C') else score}")
        page.fill(f"#rationale-{fid}", rationale)


def test_a_panel_scores_moderates_and_ranks_lot_1_and_its_guard_passes(browser, database_url, tmp_path):
    with LiveServer(database_url, tmp_path / "server") as server:
        procurement_id = to_initial_tender_evaluation(database_url)
        lot_url = f"/procurements/{procurement_id}/lots/1/evaluation"

        def context():
            ctx = browser.new_context(base_url=server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
            ctx.set_default_timeout(15_000)
            return ctx

        officer_ctx = context()
        officer = log_in(officer_ctx, OFFICER)
        officer.goto(f"/procurements/{procurement_id}")
        officer.get_by_role("link", name="Panel and progress for lot 1").click()
        expect(officer.get_by_role("heading", level=1)).to_have_text("Evaluation of lot 1")
        for name, role in (("Sam Evans", "Evaluator"), ("Jo Patel", "Evaluator"), ("Alex Morgan", "Evaluator"),
                           ("Chris Taylor", "Moderator")):
            officer.get_by_label("Person to add").select_option(label=f"{name} ({role})")
            officer.get_by_role("button", name="Add to the panel").click()
            expect(officer.get_by_text(f"{name} is now on the panel")).to_be_visible()

        for email, score in EVALUATORS.items():
            ctx = context()
            page = log_in(ctx, email)
            page.get_by_role("link", name=re.compile(r"^KCC-22.00033 lot 1:")).click()  # not the task naming it
            page.get_by_label("No, I have no conflict of interest").check()
            page.get_by_role("button", name="Make declaration").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Bids to score")
            for bidder in BIDDERS:
                page.get_by_role("link", name=f"Score the bid from {bidder}").click()
                expect(page.locator("body")).not_to_contain_text("1,395,000")
                fill_sheet(page, "score", score, f"{email} on {bidder}: evidence as written.")
                page.get_by_role("button", name="Submit scores").click()
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    f"Are you sure you want to submit your scores for {bidder}?")
                page.get_by_role("button", name="Yes, submit and lock my scores").click()
                expect(page.locator("#scores-locked")).to_be_visible()
                page.get_by_role("link", name="Back to the bids for lot 1").click()
            expect(page.locator("strong.govuk-tag", has_text="Submitted")).to_have_count(3)
            ctx.close()

        ctx = context()
        alex = log_in(ctx, CONFLICTED)
        alex.goto(lot_url)
        alex.get_by_label("Yes, I have a conflict of interest").check()
        alex.get_by_label(re.compile("^If yes, describe the conflict")).fill("I am a trustee of Porchlight.")
        alex.get_by_role("button", name="Make declaration").click()
        expect(alex.get_by_text("You have been withdrawn from this lot")).to_be_visible()
        response = alex.goto(lot_url + "/initial")
        assert response.status == 403
        expect(alex.locator("body")).to_contain_text("conflict of interest")
        ctx.close()

        ctx = context()
        chris = log_in(ctx, MODERATOR)
        chris.goto(lot_url)
        chris.get_by_label("No, I have no conflict of interest").check()
        chris.get_by_role("button", name="Make declaration").click()
        for bidder in BIDDERS:
            chris.get_by_role("link", name=f"Moderate the bid from {bidder}").click()
            expect(chris.locator("#side-by-side")).to_be_visible()
            fill_sheet(chris, "consensus", "3", "The panel agreed after discussion.")
            chris.get_by_role("button", name="Record consensus scores").click()
            expect(chris.get_by_text(f"10 consensus scores recorded for {bidder}")).to_be_visible()
        expect(chris.locator("#evaluation-status")).to_have_text("Final")
        ctx.close()

        officer.goto(lot_url)
        expect(officer.get_by_text("Alex Morgan declared a conflict of interest")).to_be_visible()
        officer.get_by_role("button", name="Open prices for lot 1").click()
        expect(officer.get_by_role("heading", level=1)).to_have_text(
            "Are you sure you want to open the prices for lot 1?")
        officer.get_by_role("button", name="Yes, open prices for lot 1").click()
        expect(officer.get_by_role("heading", level=1)).to_have_text("Ranking of lot 1")
        table = officer.locator("#ranking")
        expect(table).to_contain_text("£1,361,250.00")
        expect(table.locator("tbody tr").first).to_contain_text("Kent Wellbeing Alliance CIC")
        expect(officer.locator("svg[role=img]")).to_have_count(1)

        officer.goto(f"/procurements/{procurement_id}")
        blockers = officer.get_by_role("list", name="Why “Start negotiation” is blocked")
        expect(blockers).to_contain_text("lot 2:")
        expect(blockers).not_to_contain_text("lot 1:")
        officer_ctx.close()
