"""Forms and pages in daily use, in headless Chromium against gunicorn, with axe-core on every page visited.

Error summary links move focus to the field at fault, a failed form keeps the
choice made, stage moves are confirmed on their own page (no JavaScript
needed: the action is the confirming POST), and abandoning the procurement
makes its open milestones "not applicable" everywhere: the timetable, the
dashboard, the header count and the notifications.

axe-core comes from npm (assets/package.json, installed by scripts/setup) and
is injected with ``page.add_script_tag``; such an inline script is what the
app's strict Content-Security-Policy forbids, so these contexts bypass CSP
(tests/web/test_browser.py checks the CSP itself).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.browser_support import DEMO_PASSWORD

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect.set_options(timeout=10_000)

AXE_JS = Path(__file__).resolve().parents[2] / "assets" / "node_modules" / "axe-core" / "axe.min.js"
REFERENCE = "KCC-22/00033"
LUKE = "luke.edwards@kent.example"
MORGAN = "morgan.lee@kent.example"

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} at ` +
    v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


@pytest.fixture
def new_page(browser, server):
    """Factory for pages in fresh contexts (separate cookies), 1280 px wide."""
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup (npm installs axe-core into assets/node_modules)")
    contexts = []

    def make():
        context = browser.new_context(base_url=server.url, locale="en-GB", viewport={"width": 1280, "height": 900},
                                      bypass_csp=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


class Axe:
    """Runs axe-core on each page it is shown and keeps every violation, with the page's address."""

    def __init__(self):
        self.violations: list[str] = []
        self.pages: list[str] = []

    def check(self, page) -> None:
        page.wait_for_load_state("load")
        page.add_script_tag(path=str(AXE_JS))
        self.pages.append(page.url)
        self.violations += [f"{page.url}: {v}" for v in page.evaluate(AXE_RUN)]


def log_in(page, email: str, axe: Axe | None = None) -> None:
    page.goto("/login")
    if axe:
        axe.check(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(re.compile(r"^Logged in as "))).to_be_visible()


def confirm_stage_move(page, label: str, to_stage: str, axe: Axe) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Are you sure you want to move the procurement to “{to_stage}”?")
    axe.check(page)
    page.get_by_role("button", name=f"Yes, {label[0].lower()}{label[1:]}", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text=f"The procurement moved to '{to_stage}'.")).to_be_visible()
    expect(page.locator("#current-stage")).to_have_text(to_stage)


def expect_focus_after_summary_link(page, message: str, field_id: str) -> None:
    """The summary lists ``message`` as a link to ``#field_id``; following it focuses that field."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=message, exact=True)
    expect(link).to_have_attribute("href", f"#{field_id}")
    link.click()
    expect(page.locator(f"[id='{field_id}']")).to_be_focused()


def test_error_links_kept_choices_confirmations_and_not_applicable_milestones_with_no_axe_violations(new_page):
    axe = Axe()
    page = new_page()
    log_in(page, LUKE, axe)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=REFERENCE, exact=True))
    # Every 2022 date has passed: the next milestone is shown (and said to be overdue), not "None planned".
    expect(row).not_to_contain_text("None planned")
    expect(row).to_contain_text("Selection questionnaire published: 4 April 2022 Overdue")
    axe.check(page)

    page.get_by_role("link", name=REFERENCE, exact=True).click()
    axe.check(page)

    # "No, go back" changes nothing.
    page.get_by_role("button", name="Publish selection questionnaire", exact=True).click()
    expect(page.get_by_role("button", name="Yes, publish selection questionnaire")).to_be_visible()
    page.get_by_role("link", name="No, go back").click()
    expect(page.locator("#current-stage")).to_have_text("Draft")

    confirm_stage_move(page, "Publish selection questionnaire", "Selection questionnaire published", axe)
    confirm_stage_move(page, "Close SQ responses", "SQ responses closed", axe)
    confirm_stage_move(page, "Start SQ evaluation", "SQ evaluation", axe)

    # The shortlist: an error names the candidate, links to its radios and keeps what was typed or chosen.
    page.get_by_role("link", name="Selection questionnaire responses and shortlist").click()
    page.get_by_label("Reasons for the decision on Porchlight").fill("Meets every criterion.")
    page.get_by_role("button", name="Save decision on Porchlight").click()
    decision = page.get_by_role("group", name="Decision on Porchlight")
    radio_id = decision.get_by_label("Shortlist", exact=True).get_attribute("id")
    expect_focus_after_summary_link(page, "Choose whether to shortlist or reject Porchlight", radio_id)
    expect(decision.locator(".govuk-error-message")).to_have_text(
        "Error: Choose whether to shortlist or reject Porchlight")
    expect(page.get_by_label("Reasons for the decision on Porchlight")).to_have_value("Meets every criterion.")
    axe.check(page)

    decision.get_by_label("Reject", exact=True).check()
    page.get_by_label("Reasons for the decision on Porchlight").fill("")
    page.get_by_role("button", name="Save decision on Porchlight").click()
    reasons = page.get_by_label("Reasons for the decision on Porchlight")
    expect_focus_after_summary_link(page, "Enter the reasons for the decision on Porchlight",
                                    reasons.get_attribute("id"))
    expect(page.get_by_role("group", name="Decision on Porchlight").get_by_label("Reject", exact=True)).to_be_checked()
    axe.check(page)

    # Abandoning: the reason is asked for on the confirmation page; a missing one is linked to its box.
    page.get_by_role("link", name=f"Back to {REFERENCE}").click()
    page.get_by_role("button", name="Abandon the procurement", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to move the procurement to “Abandoned”?")
    axe.check(page)
    page.get_by_role("button", name="Yes, abandon the procurement").click()
    expect_focus_after_summary_link(page, "Enter a reason for 'Abandon the procurement'. It is kept in the audit "
                                          "trail.", "confirm-reason")
    axe.check(page)
    page.get_by_label("Reason (required; kept in the audit trail)").fill("The funding was withdrawn.")
    page.get_by_role("button", name="Yes, abandon the procurement").click()
    expect(page.locator("#current-stage")).to_have_text("Abandoned")

    # Its open milestones are not applicable, with the reason: none is overdue any more.
    timetable = page.get_by_role("table", name="Milestones: planned against actual")
    expect(timetable.locator(".app-not-applicable")).to_have_count(10)
    expect(timetable.get_by_text("Overdue", exact=True)).to_have_count(0)
    expect(timetable).to_contain_text("Reason given: The funding was withdrawn.")
    expect(page.locator("svg circle[stroke-dasharray]")).to_have_count(10)
    axe.check(page)

    page.get_by_role("link", name="Dashboard").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=REFERENCE, exact=True))
    expect(row).to_contain_text("Abandoned")
    expect(row.locator(".govuk-tag--red")).to_have_count(0)
    expect(page.locator("#nav-notifications")).to_have_text("Notifications")
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator("#no-notifications")).to_be_visible()
    axe.check(page)

    # The audit trail fits a 1280 px window and shows each change as field: before → after.
    reviewer = new_page()
    log_in(reviewer, MORGAN)
    reviewer.get_by_role("link", name="Audit trail").click()
    reviewer.get_by_label("Procurement reference").fill(REFERENCE)  # not the demo's procurement open for tenders
    reviewer.get_by_label("Action").select_option(label="Stage changed")
    reviewer.get_by_role("button", name="Filter").click()
    events = reviewer.locator(".app-audit-event")
    expect(events).to_have_count(4)
    expect(events.first).to_contain_text("Stage: draft → sq_published")
    expect(events.last).to_contain_text("Stage: sq_evaluation → abandoned")
    expect(events.last).to_contain_text("Milestones not applicable: itt_issued, initial_tender_deadline")
    assert reviewer.evaluate("document.documentElement.scrollWidth") <= 1280
    reviewer.get_by_label("Action").select_option("")
    reviewer.get_by_role("button", name="Filter").click()
    assert reviewer.evaluate("document.documentElement.scrollWidth") <= 1280
    axe.check(reviewer)

    assert len(axe.pages) >= 12
    assert axe.violations == [], "\n".join(axe.violations)

    # The check can fail: axe finds the missing landmark and the image without a text alternative here.
    broken = Axe()
    reviewer.set_content('<html lang="en-GB"><head><title>x</title></head><body><img src="data:,"></body></html>')
    broken.check(reviewer)
    assert any(v.split(": ", 1)[1].startswith("image-alt") for v in broken.violations), broken.violations
    assert any(v.split(": ", 1)[1].startswith("region") for v in broken.violations), broken.violations
