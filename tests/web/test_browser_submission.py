"""A supplier's submission in headless Chromium (issue 18): log in, draft, attach, price, submit, receipt, register.

gunicorn serves the demo; beside it the test opens a procurement for tenders
(deadline 30 days ahead by the server's clock) and invites a supplier user.
The supplier drafts an answer to every question, attaches a document through
the file input, enters a price, submits and reads its receipt; when the
deadline has passed (the test moves it to yesterday, as time would) the
register is published and shows the supplier its own receipt. axe-core
checks every page of the journey.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import TEST_CONFIG
from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.web.test_browser_pages import AXE_JS, Axe

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
sync_playwright = playwright_sync.sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open_tender(database_url: str) -> tuple[str, int, str]:
    """A procurement open for tenders with a supplier invited: (supplier e-mail, procurement id, reference)."""
    from tender import create_app
    from tender.extensions import db
    from tests.submissions_support import open_tender

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        from tender.models import Milestone
        from tender.services import clock

        t = open_tender(suppliers=2)
        deadline = db.session.scalar(select(Milestone).where(Milestone.procurement_id == t.procurement_id,
                                                             Milestone.key == "tender_deadline"))
        deadline.planned_date = clock.today() + timedelta(days=30)
        db.session.commit()
        result = (t.suppliers[0], t.procurement_id, t.reference)
        db.session.remove()
        db.engine.dispose()
    return result


def _deadline_passes(database_url: str, procurement_id: int) -> None:
    """Move the deadline to yesterday (what waiting 30 days would do)."""
    from tender import create_app
    from tender.extensions import db

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        from tender.models import Milestone
        from tender.services import clock

        deadline = db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement_id,
                                                             Milestone.key == "tender_deadline"))
        deadline.planned_date = clock.today() - timedelta(days=1)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_a_supplier_drafts_attaches_submits_sees_its_receipt_and_finds_it_in_the_register(database_url, tmp_path):
    from tests.helpers import PASSWORD
    from tests.submissions_support import PDF, QUESTIONS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup")
    document = tmp_path / "method-statement.pdf"
    document.write_bytes(PDF)
    axe = Axe()
    with LiveServer(database_url, tmp_path / "server") as server, sync_playwright() as p:
        email, procurement_id, reference = _open_tender(database_url)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=server.url, locale="en-GB", bypass_csp=True).new_page()
        page.set_default_timeout(30_000)
        page.goto("/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.goto(f"/supplier/procurements/{procurement_id}/responses")
        axe.check(page)
        page.get_by_role("button", name=re.compile("Start your response")).first.click()
        expect(page.get_by_role("heading", name="Your response", level=1)).to_be_visible()
        axe.check(page)
        for question in QUESTIONS:
            page.get_by_label(re.compile(rf"^{re.escape(question)} ")).fill(f"Our answer to {question}.")
        page.get_by_role("button", name="Save your answers as a draft").click()
        expect(page.locator("body")).to_contain_text("Your answers are saved as a draft")
        page.get_by_label("Attach a document").set_input_files(str(document))
        page.get_by_role("button", name="Upload the document").click()
        expect(page.locator("#document-list")).to_contain_text("method-statement.pdf")
        page.get_by_label("Your price (£)").fill("125000.00")
        page.get_by_role("button", name="Save your price").click()
        expect(page.locator("body")).to_contain_text("Your price is saved in its sealed envelope")
        axe.check(page)
        page.get_by_role("button", name="Submit your response").click()
        expect(page.get_by_role("heading", name="Response submitted", level=1)).to_be_visible()
        manifest_hash = page.locator("#manifest-hash").inner_text()
        assert re.fullmatch(r"[0-9a-f]{64}", manifest_hash)
        axe.check(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download your receipt").click()
        assert manifest_hash in Path(download.value.path()).read_text()

        _deadline_passes(database_url, procurement_id)
        page.goto(f"/supplier/procurements/{procurement_id}/responses/final/register")
        expect(page.get_by_role("heading", name="Tender box register", level=1)).to_be_visible()
        row = page.locator("#register tr", has_text=manifest_hash)
        expect(row).to_contain_text("Your receipt")
        axe.check(page)
        browser.close()
    assert reference
    assert not axe.violations, "\n".join(axe.violations)
