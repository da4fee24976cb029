"""Award letters in headless Chromium: draft, check and edit a letter, send them all, see them e-mailed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import TEST_CONFIG
from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
sync_playwright = playwright_sync.sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]



def approved_award(database_url: str) -> int:
    """Lot 1 of the (already loaded) demo evaluated, recommended and approved; returns the procurement id."""
    from tender import create_app
    from tender.extensions import db
    from tests.letters_support import award_demo

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        pid = award_demo(lots=(1,))
        db.session.remove()
        db.engine.dispose()
    return pid


def test_an_officer_checks_edits_and_sends_the_letters_in_a_browser(database_url, tmp_path, smtp, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)  # the server's SMTP settings: the loopback server
    with LiveServer(database_url, tmp_path / "server", background_worker=True) as server, sync_playwright() as p:
        pid = approved_award(database_url)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=server.url).new_page()
        page.set_default_timeout(90_000)  # sending renders every PDF on a shared 2-core machine
        page.goto("/login")
        page.get_by_label("E-mail address").fill("luke.edwards@kent.example")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/procurements/{pid}")
        page.get_by_role("link", name="Award letters and assessment summaries").click()
        expect(page.get_by_role("heading", name="Award decision letters", level=1)).to_be_visible()
        page.get_by_role("button", name="Draft the missing letters").click()
        table = page.get_by_role("table", name="3 letters")
        expect(table.get_by_role("row")).to_have_count(4)

        table.get_by_role("link", name="Shaw Trust", exact=True).click()
        expect(page.locator("#letter-preview")).to_contain_text("We intend to award the contract for lot 1 to")
        page.get_by_label(re.compile("characteristics and relative advantages")).fill(
            "Porchlight offered same-week access in every district.\n- A named safeguarding lead for each team")
        page.get_by_role("button", name="Save the letter").click()
        expect(page.locator("#letter-preview")).to_contain_text("A named safeguarding lead for each team")
        page.screenshot(path=str(tmp_path / "letter-page.png"), full_page=True)

        page.get_by_role("link", name="Back to the letters").click()
        page.get_by_role("button", name="Send the letters").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that you have checked every letter")
        page.get_by_label("I have checked every letter and want to send them").check()
        page.get_by_role("button", name="Send the letters").click()
        expect(page.locator(".govuk-notification-banner, .govuk-panel, body").first).to_contain_text(
            "3 letters queued for sending")
        # The page refreshes itself (no JavaScript needed) until the worker has e-mailed every letter.
        expect(page.locator(".govuk-tag", has_text="E-mailed")).to_have_count(3, timeout=30000)
        expect(page.locator("#standstill-started")).to_contain_text("standstill started")
        browser.close()

    arrived = {str(m["To"]): m for m in smtp.handler.messages()}
    assert len(arrived) == 3
    shaw = next(m for to, m in arrived.items() if "shawtrust" in to)
    (pdf,) = list(shaw.iter_attachments())
    assert pdf.get_content().startswith(b"%PDF")
