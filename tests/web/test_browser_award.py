"""The approver's page in headless Chromium: the winner, the value and the ranking, then declare and approve."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import PASSWORD, TEST_CONFIG, make_user
from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
sync_playwright = playwright_sync.sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]



def recommended_procurement(database_url: str) -> tuple[int, str, list[str]]:
    """A one-lot procurement evaluated, prices opened and its recommendation recorded; (id, approver, bidders)."""
    from tender import create_app
    from tender.extensions import db
    from tender.services.award import recommendation
    from tests.evaluation_support import user
    from tests.integration.test_award_record import evaluated_panel

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        panel = evaluated_panel()
        recommendation.record(panel.procurement_id, 1, user(panel.officer))
        approver = make_user("approver").email
        db.session.remove()
        db.engine.dispose()
    return panel.procurement_id, approver, panel.bidders


def test_the_approver_sees_what_they_approve_declares_and_approves_the_digest(database_url, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    procurement_id, approver, bidders = recommended_procurement(database_url)
    with LiveServer(database_url, tmp_path / "server") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=server.url).new_page()
        page.goto("/login")
        page.get_by_label("E-mail address").fill(approver)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/procurements/{procurement_id}")
        page.get_by_role("link", name="Review and approve the award decision").click()

        expect(page.get_by_role("heading", name="Award decision", level=1)).to_be_visible()
        # The approver declares first: until then the lot shows no recommendation, ranking or price.
        expect(page.locator("#hidden-lots")).to_contain_text("Lot 1 is not shown until you have declared")
        expect(page.locator(".app-recommended")).to_have_count(0)
        expect(page.get_by_text("£80,000.00")).to_have_count(0)
        expect(page.get_by_role("button", name="Approve the award decision")).to_have_count(0)

        page.get_by_role("button", name="Record my declarations").click()  # nothing chosen: an error, linked
        expect(page.locator(".govuk-error-summary")).to_contain_text("Choose whether you have a conflict")
        page.get_by_role("group", name=re.compile("Lot 1: do you have a conflict")).get_by_label("No").check()
        page.get_by_role("button", name="Record my declarations").click()
        expect(page.locator(".app-declaration")).to_have_text("Your declaration: no conflict of interest.")
        expect(page.locator(".app-recommended")).to_have_text(f"Award to {bidders[0]}")
        expect(page.locator(".app-contract-value")).to_contain_text("£500,000.00")
        table = page.get_by_role("table", name=re.compile("Recorded ranking of lot 1"))
        expect(table.get_by_role("row")).to_have_count(3)
        expect(table.get_by_role("row").nth(1)).to_contain_text(bidders[0])
        expect(table.get_by_role("row").nth(2)).to_contain_text("£80,000.00")

        page.get_by_label("Delegated authority you are acting under").fill("Decision 22/00033")
        page.get_by_role("button", name="Approve the award decision").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that you have read")
        page.get_by_label("Delegated authority you are acting under").fill("Decision 22/00033")
        page.get_by_label(re.compile("I have read the recommendation")).check()
        page.get_by_role("button", name="Approve the award decision").click()
        expect(page.locator("#approved")).to_contain_text("Approved")
        digest = page.locator(".app-digest").first.inner_text()
        browser.close()

    from tender import create_app
    from tender.extensions import db
    from tender.models import AwardApproval

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        approval = db.session.scalar(select(AwardApproval).where(AwardApproval.procurement_id == procurement_id))
        assert approval is not None and approval.digest == digest and approval.authority == "Decision 22/00033"
        db.session.remove()
        db.engine.dispose()
