"""A supplier's first visit in headless Chromium (issue 18): invited by the officer, the e-mail, a password, home.

The officer invites a demo supplier organisation and a person at it; the
worker e-mails the one-time link through a real SMTP server on loopback; the
supplier follows the link from the e-mail, chooses a password, logs in at the
same ``/login`` as staff and lands on their own home page, which lists the
invitation and nothing of anyone else's. A staff page answers "You do not have
access". axe-core checks every supplier page visited.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, LiveServer, free_port
from tests.web.test_browser_pages import AXE_JS, Axe

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
sync_playwright = playwright_sync.sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OFFICER = "luke.edwards@kent.example"
REFERENCE = "KCC-22/00033"
PERSON = "pam.porter@porchlight.example"
NEW_PASSWORD = "cobalt lantern meadow 42"
LINK = re.compile(r"(https?://\S+/account/set-password/[A-Za-z0-9_\-]+)")


def _wait_for_mail(smtp, to: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp.handler.messages():
            if to in str(message["To"]):
                return message
        time.sleep(0.2)
    raise AssertionError(f"no e-mail reached {to} within {timeout:.0f} s")


def test_a_supplier_accepts_the_invitation_from_the_e_mail_and_logs_in_to_their_own_page(database_url, tmp_path,
                                                                                           smtp, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup")
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    port = free_port()
    axe = Axe()
    with LiveServer(database_url, tmp_path / "server", background_worker=True, port=port,
                    extra_env={"TENDER_BASE_URL": f"http://127.0.0.1:{port}"}) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        officer = browser.new_context(base_url=server.url, locale="en-GB", bypass_csp=True).new_page()
        officer.set_default_timeout(30_000)
        officer.goto("/login")
        officer.get_by_label("E-mail address").fill(OFFICER)
        officer.get_by_label("Password").fill(DEMO_PASSWORD)
        officer.get_by_role("button", name="Log in").click()
        officer.get_by_role("link", name=REFERENCE).first.click()
        officer.get_by_role("link", name="Invite suppliers to respond").click()
        expect(officer.get_by_role("heading", name="Invited suppliers", level=1)).to_be_visible()
        officer.get_by_label("Supplier organisation's legal name").fill("Porchlight")
        officer.get_by_role("button", name="Invite the organisation").click()
        expect(officer.get_by_role("heading", name="Porchlight", level=2)).to_be_visible()
        card = officer.locator(".govuk-summary-card", has_text="Porchlight")
        card.get_by_label("Full name").fill("Pam Porter")
        card.get_by_label("E-mail address").fill(PERSON)
        card.get_by_role("button", name="Send an invitation e-mail").click()
        expect(officer.locator("body")).to_contain_text(f"An invitation is on its way to {PERSON}")

        message = _wait_for_mail(smtp, PERSON)
        link = LINK.search(message.get_content()).group(1)
        assert link.startswith(server.url)

        supplier = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
        supplier.set_default_timeout(30_000)
        supplier.goto(link)
        expect(supplier.get_by_role("heading", level=1)).to_be_visible()
        axe.check(supplier)
        supplier.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        supplier.get_by_label("Confirm the new password").fill(NEW_PASSWORD)
        supplier.get_by_role("button").filter(has_text=re.compile("password", re.I)).first.click()
        expect(supplier.locator("body")).to_contain_text("Log in")
        supplier.goto(f"{server.url}/login")
        supplier.get_by_label("E-mail address").fill(PERSON)
        supplier.get_by_label("Password").fill(NEW_PASSWORD)
        supplier.get_by_role("button", name="Log in").click()

        expect(supplier.get_by_role("heading", name="Your organisation's procurements", level=1)).to_be_visible()
        assert supplier.url.endswith("/supplier/")
        invitations = supplier.locator("#invitations")
        expect(invitations).to_contain_text(REFERENCE)
        expect(supplier.locator("body")).not_to_contain_text("Shaw Trust")  # another demo tenderer
        expect(supplier.get_by_text(re.compile(r"^Logged in as Pam Porter \(Supplier\)"))).to_be_visible()
        axe.check(supplier)
        invitations.get_by_role("link", name=REFERENCE).first.click()
        expect(supplier.get_by_role("heading", level=1)).to_be_visible()
        axe.check(supplier)
        supplier.goto(f"{server.url}/supplier/organisation")
        axe.check(supplier)

        response = supplier.goto(f"{server.url}/audit/")
        assert response.status == 403
        expect(supplier.get_by_role("heading", name="You do not have access", level=1)).to_be_visible()
        browser.close()
    assert not axe.violations, "\n".join(axe.violations)
