"""A supplier's submission in headless Chromium (issue 18): log in, draft, attach, price, submit, receipt, register.

gunicorn serves the demo; beside it the test opens a procurement for tenders
(deadline 30 days ahead by the server's clock) and invites a supplier user.
The supplier drafts an answer to every question (one over its word limit is
refused, naming the limit), attaches a document through the file input,
enters a price, submits and reads its receipt (the file's SHA-256 on it);
then withdraws, changes the price and submits again. A second server on the
same database, its clock set to the day after the deadline, publishes the
register: the supplier finds its latest receipt in it and not the withdrawn
one, and can no longer start a response. axe-core checks the pages.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import TEST_CONFIG
from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer, log_in
from tests.web.test_browser_pages import AXE_JS, Axe

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
sync_playwright = playwright_sync.sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open_tender(database_url: str) -> tuple[str, int, str, date]:
    """A procurement open for tenders with a supplier invited: (supplier e-mail, procurement id, reference, deadline)."""
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
        result = (t.suppliers[0], t.procurement_id, t.reference, deadline.planned_date)
        db.session.remove()
        db.engine.dispose()
    return result


class _ServerAfterTheDeadline(LiveServer):
    """The same database served again with the server's clock the day after the deadline (no demo to load)."""

    def __init__(self, database_url: str, workdir: Path, day: date):
        super().__init__(database_url, workdir, extra_env={"TENDER_TODAY": day.isoformat()})

    def load_demo(self, env: dict[str, str]) -> str:
        return ""


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
        email, procurement_id, reference, deadline = _open_tender(database_url)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=server.url, locale="en-GB", bypass_csp=True).new_page()
        page.set_default_timeout(30_000)
        log_in(page, email, PASSWORD)
        page.goto(f"/supplier/procurements/{procurement_id}/responses")
        axe.check(page)
        page.get_by_role("button", name=re.compile("Start your response")).first.click()
        expect(page.get_by_role("heading", name="Your response", level=1)).to_be_visible()
        axe.check(page)
        for question in QUESTIONS:
            page.get_by_label(re.compile(rf"^{re.escape(question)} ")).fill(f"Our answer to {question}.")
        page.get_by_label(re.compile(r"^SV2 ")).fill(" ".join(["word"] * 501))  # SV2 takes up to 500 words
        page.get_by_role("button", name="Save your answers as a draft").click()
        expect(page.locator("body")).to_contain_text("Shorten the answer to 500 words or fewer (it has 501)")
        expect(page.get_by_label(re.compile(r"^C1 "))).to_have_value("Our answer to C1.")  # nothing typed is lost
        axe.check(page)
        page.get_by_label(re.compile(r"^SV2 ")).fill(" ".join(["word"] * 500))
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
        first_hash = page.locator("#manifest-hash").inner_text()
        assert re.fullmatch(r"[0-9a-f]{64}", first_hash)
        expect(page.locator("body")).to_contain_text(hashlib.sha256(PDF).hexdigest())  # the file's own SHA-256
        axe.check(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download your receipt").click()
        assert first_hash in Path(download.value.path()).read_text()

        # Withdraw, change the price, submit again: a new receipt, and only it will count.
        page.get_by_role("link", name="Back to your response").click()
        page.get_by_role("button", name="Withdraw your response").click()
        expect(page.locator("body")).to_contain_text("Your response is withdrawn and is a draft again")
        page.get_by_label("Your price (£)").fill("119500.00")
        page.get_by_role("button", name="Save your price").click()
        expect(page.locator("body")).to_contain_text("Your price is saved in its sealed envelope")
        page.get_by_role("button", name="Submit your response").click()
        expect(page.get_by_role("heading", name="Response submitted", level=1)).to_be_visible()
        manifest_hash = page.locator("#manifest-hash").inner_text()
        assert re.fullmatch(r"[0-9a-f]{64}", manifest_hash) and manifest_hash != first_hash
        browser.close()

    # The same database a day after the deadline, by the server's clock: the register is published.
    with _ServerAfterTheDeadline(database_url, tmp_path / "later", deadline + timedelta(days=1)) as later, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=later.url, locale="en-GB", bypass_csp=True).new_page()
        page.set_default_timeout(30_000)
        log_in(page, email, PASSWORD)
        page.goto(f"/supplier/procurements/{procurement_id}/responses/final/register")
        expect(page.get_by_role("heading", name="Tender box register", level=1)).to_be_visible()
        expect(page.locator("#register")).to_contain_text("1 responses received")
        row = page.locator("#register tr", has_text=manifest_hash)
        expect(row).to_contain_text("Your receipt")
        expect(page.locator("#register")).not_to_contain_text(first_hash)  # withdrawn: not in the box
        axe.check(page)
        page.goto(f"/supplier/procurements/{procurement_id}/responses")
        page.get_by_role("link", name=re.compile("View your response")).first.click()
        expect(page.get_by_role("heading", name="Your response", level=1)).to_be_visible()
        expect(page.get_by_role("button", name="Withdraw your response")).to_have_count(0)
        expect(page.get_by_role("button", name="Submit your response")).to_have_count(0)
        browser.close()
    assert reference
    assert not axe.violations, "\n".join(axe.violations)
