"""The README's supplier walkthrough, in headless Chromium, on the demo as `tender demo` loads it (issue 18).

Nothing is prepared beside the demo: the test reads a supplier login from
the lines ``tender demo`` prints (the word "supplier" and an e-mail), logs in
with the demo password, finds the procurement open for tenders among its
organisation's invitations and follows the links the README names: "Your
responses, receipts and the tender box register", "Start your response",
answers, a document, the price, "Submit your response", the receipt; and
"Clarification questions and answers" to ask a question. A second server on
the same database, its clock on the day after the deadline the page showed,
publishes the register with the supplier's receipt marked, and the officer
opens the tender box from the procurement's page, finding the tender there.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tender import demo_open
from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer, log_in
from tests.web.test_browser_pages import AXE_JS, Axe

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
sync_playwright = playwright_sync.sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OFFICER = "luke.edwards@kent.example"
#: A supplier login as ``tender demo`` prints it: a line with the word "supplier" and the e-mail.
SUPPLIER_LINE = re.compile(r"^.*supplier.*?([\w.+-]+@[\w.-]+\.\w+)\s*$", re.I | re.M)
DEADLINE = re.compile(r"11:59pm on (\d{1,2} \w+ \d{4})")


class _DemoServer(LiveServer):
    """The live server, keeping what ``tender demo`` printed."""

    demo_output = ""

    def load_demo(self, env: dict[str, str]) -> str:
        self.demo_output = super().load_demo(env)
        return self.demo_output


class _ServerOn(LiveServer):
    """The same database served again with the server's clock on ``day`` (the demo is already loaded)."""

    def __init__(self, database_url: str, workdir: Path, day):
        super().__init__(database_url, workdir, extra_env={"TENDER_TODAY": day.isoformat()})

    def load_demo(self, env: dict[str, str]) -> str:
        return ""


def _page(browser, base_url: str):
    page = browser.new_context(base_url=base_url, locale="en-GB", bypass_csp=True).new_page()
    page.set_default_timeout(30_000)
    return page


def test_a_demo_supplier_tenders_for_the_open_procurement_as_the_readme_walks_it(database_url, tmp_path):
    from tests.submissions_support import PDF, QUESTIONS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup")
    document = tmp_path / "peer-support-method.pdf"
    document.write_bytes(PDF)
    axe = Axe()
    with _DemoServer(database_url, tmp_path / "server") as server, sync_playwright() as p:
        logins = SUPPLIER_LINE.findall(server.demo_output)
        assert logins, f"tender demo printed no supplier login:\n{server.demo_output}"
        email = logins[0]
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = _page(browser, server.url)
        log_in(page, email)
        expect(page.get_by_role("heading", name="Your organisation's procurements", level=1)).to_be_visible()
        page.locator("#invitations").get_by_role("link", name=demo_open.REFERENCE).first.click()
        axe.check(page)

        page.get_by_role("link", name="Clarification questions and answers").click()
        page.get_by_label("Your question").fill("Can lot 1 be delivered with a partner organisation?")
        page.get_by_role("button", name="Send the question").click()
        expect(page.locator("body")).to_contain_text("Your question is sent")
        page.go_back()
        page.go_back()

        page.get_by_role("link", name="Your responses, receipts and the tender box register").click()
        axe.check(page)
        page.get_by_role("button", name=re.compile("Start your response")).first.click()
        expect(page.get_by_role("heading", name="Your response", level=1)).to_be_visible()
        deadline = datetime.strptime(DEADLINE.search(page.locator("main").inner_text()).group(1), "%d %B %Y").date()
        for question in QUESTIONS:
            page.get_by_label(re.compile(rf"^{re.escape(question)} ")).fill(f"Our approach to {question}.")
        page.get_by_role("button", name="Save your answers as a draft").click()
        expect(page.locator("body")).to_contain_text("Your answers are saved as a draft")
        page.get_by_label("Attach a document").set_input_files(str(document))
        page.get_by_role("button", name="Upload the document").click()
        expect(page.locator("#document-list")).to_contain_text("peer-support-method.pdf")
        page.get_by_label("Your price (£)").fill("135000.00")
        page.get_by_role("button", name="Save your price").click()
        expect(page.locator("body")).to_contain_text("Your price is saved in its sealed envelope")
        page.get_by_role("button", name="Submit your response").click()
        expect(page.get_by_role("heading", name="Response submitted", level=1)).to_be_visible()
        manifest_hash = page.locator("#manifest-hash").inner_text()
        assert re.fullmatch(r"[0-9a-f]{64}", manifest_hash)
        axe.check(page)
        browser.close()

    with _ServerOn(database_url, tmp_path / "later", deadline + timedelta(days=1)) as later, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = _page(browser, later.url)
        log_in(page, email)
        page.locator("#invitations").get_by_role("link", name=demo_open.REFERENCE).first.click()
        page.get_by_role("link", name="Your responses, receipts and the tender box register").click()
        page.get_by_role("link", name=re.compile("tender box register for")).first.click()
        expect(page.get_by_role("heading", name="Tender box register", level=1)).to_be_visible()
        expect(page.locator("#register tr", has_text=manifest_hash)).to_contain_text("Your receipt")
        axe.check(page)

        officer = _page(browser, later.url)
        log_in(officer, OFFICER)
        officer.get_by_role("link", name=demo_open.REFERENCE).first.click()
        officer.locator("#tender-box-links").get_by_role("link").first.click()
        expect(officer.locator("#received")).to_have_text("1")
        officer.get_by_role("button", name="Open the tender box (quality envelopes)").click()
        expect(officer.get_by_role("heading", name="Tenders opened")).to_be_visible()
        expect(officer.locator("main")).to_contain_text(manifest_hash[:16])
        axe.check(officer)
        browser.close()
    assert not axe.violations, "\n".join(axe.violations)
