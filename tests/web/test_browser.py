"""End-to-end tests in headless Chromium against the real app under gunicorn.

Each test gets its own migrated database with the demo procurement
(KCC-22/00033, light touch regime, 2022 timetable) loaded by ``tender demo``,
its own gunicorn server (``tests.web.browser_support.LiveServer``) and new
browser contexts; the browser itself is shared by the module.

Chromium is Debian's (/usr/bin/chromium): Playwright never downloads one here.
"""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from tests.web.browser_support import DEMO_PASSWORD, log_in

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Assertions retry for up to 10 s (Playwright's default is 5 s): a busy machine
# hashing passwords with argon2 can take longer than that to answer.
expect.set_options(timeout=10_000)

APP_CSS = Path(__file__).resolve().parents[2] / "tender" / "static" / "css" / "app.css"

REFERENCE = "KCC-22/00033"
TITLE = "Community Mental Health and Wellbeing Service (Live Well Kent and Medway)"
LUKE = "luke.edwards@kent.example"
PRIYA = "priya.shah@kent.example"
MORGAN = "morgan.lee@kent.example"
CANDIDATES = ["Porchlight", "Shaw Trust", "Kent Wellbeing Alliance CIC", "Medway Community Minds Partnership"]
CONCURRENT = "Someone else moved this procurement while you were looking at it."


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def new_context(browser, server):
    """Factory for fresh browser contexts (separate cookies) pointed at the server; all closed afterwards."""
    contexts = []

    def make():
        context = browser.new_context(base_url=server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in the test's own browser context."""
    return new_context().new_page()


# --------------------------------------------------------------------------- helpers

def open_procurement(page) -> None:
    """From the dashboard, open the demo procurement."""
    page.goto("/")
    page.get_by_role("link", name=REFERENCE, exact=True).click()  # the task list names it too, with more words
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def current_stage(page):
    return page.locator("#current-stage")


def transition(page, label: str):
    """The 'What can happen next' block for one transition."""
    heading = page.get_by_role("heading", level=3, name=re.compile("^" + re.escape(label) + r" \(moves to"))
    return page.locator(".app-transition").filter(has=heading)


def advance(page, label: str, to_stage: str) -> None:
    """Press a transition's button, confirm on the "Are you sure?" page and check the page moved on."""
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Are you sure you want to move the procurement to “{to_stage}”?")
    page.get_by_role("button", name=f"Yes, {label[0].lower()}{label[1:]}", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text=f"The procurement moved to '{to_stage}'.")).to_be_visible()
    expect(current_stage(page)).to_have_text(to_stage)


def expect_blocked(page, label: str, *reasons: str) -> None:
    """A transition is shown as blocked, with a disabled button and each reason listed."""
    block = transition(page, label)
    expect(block).to_have_count(1)
    expect(block).to_have_class(re.compile(r"\bapp-transition--blocked\b"))
    expect(block.get_by_role("button", name=label, exact=True)).to_be_disabled()
    why = page.get_by_role("list", name=f"Why “{label}” is blocked")
    for reason in reasons:
        expect(why).to_contain_text(reason)


def audit_events(page, action: str, procurement: str = REFERENCE):
    """Filter the audit trail (as a legal reviewer) and return the events listed."""
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    page.get_by_label("Procurement reference").fill(procurement)
    page.get_by_label("Action").select_option(action)  # a list of the declared actions
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]action=" + re.escape(action) + "(&|$)"))
    return page.locator(".app-audit-event")


PAGE_BASICS_JS = """() => {
  const unlabelled = [...document.querySelectorAll('input, textarea, select')]
    .filter(el => el.type !== 'hidden' && !el.hidden)
    .filter(el => !(el.labels && el.labels.length > 0))
    .map(el => el.outerHTML.slice(0, 120));
  return {
    lang: document.documentElement.getAttribute('lang'),
    h1: [...document.querySelectorAll('h1')].map(h => h.textContent.trim()),
    unlabelled,
    fields: document.querySelectorAll('input:not([type=hidden]), textarea, select').length,
  };
}"""


def check_page_basics(page, problems: list[str]) -> dict:
    """One h1, lang="en-GB" and a label for every form field; adds what is wrong to ``problems``."""
    facts = page.evaluate(PAGE_BASICS_JS)
    where = page.url
    if facts["lang"] != "en-GB":
        problems.append(f"{where}: <html lang> is {facts['lang']!r}, not 'en-GB'")
    if len(facts["h1"]) != 1:
        problems.append(f"{where}: {len(facts['h1'])} h1 elements: {facts['h1']}")
    for field in facts["unlabelled"]:
        problems.append(f"{where}: field without a label: {field}")
    return facts


# --------------------------------------------------------------------------- tests

def test_an_officer_takes_the_demo_procurement_from_draft_to_initial_tender_evaluation(page, new_context):
    log_in(page, LUKE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Procurements")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=REFERENCE, exact=True))
    expect(row).to_contain_text("Draft")
    open_procurement(page)
    expect(current_stage(page)).to_have_text("Draft")

    # Light touch regime; today is long after every 2022 deadline.
    advance(page, "Publish selection questionnaire", "Selection questionnaire published")
    advance(page, "Close SQ responses", "SQ responses closed")
    advance(page, "Start SQ evaluation", "SQ evaluation")

    expect_blocked(page, "Issue invitation to tender",
                   "Record a shortlisting decision for: " + ", ".join(CANDIDATES) + ".",
                   "Only 0 candidates shortlisted; the minimum is 3")

    page.get_by_role("link", name="Selection questionnaire responses and shortlist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Selection questionnaire responses")
    decisions = {name: ("Shortlist", "Shortlisted", f"{name} meets every selection criterion.")
                 for name in CANDIDATES[:3]}
    decisions[CANDIDATES[3]] = ("Reject", "Rejected", "Insufficient relevant experience (criterion 4.2 scored 1).")
    for name, (choice, tag, reason) in decisions.items():
        page.get_by_role("group", name=f"Decision on {name}").get_by_label(choice, exact=True).check()
        page.get_by_label(f"Reasons for the decision on {name}").fill(reason)
        page.get_by_role("button", name=f"Save decision on {name}").click()
        card = page.locator(".govuk-summary-card").filter(has=page.get_by_role("heading", name=name, exact=True))
        expect(card.locator(".govuk-tag")).to_have_text(tag)
        expect(card).to_contain_text(f"Reasons: {reason}")
    expect(page.get_by_text("4 candidates responded; 3 shortlisted.")).to_be_visible()

    page.get_by_role("link", name=f"Back to {REFERENCE}").click()
    expect(transition(page, "Issue invitation to tender")).to_have_class(re.compile(r"\bapp-transition--available\b"))
    advance(page, "Issue invitation to tender", "Invitation to tender issued")
    advance(page, "Close initial tenders", "Initial tender evaluation")

    expect(current_stage(page)).to_have_text("Initial tender evaluation")
    expect(page.get_by_text("Initial tender evaluation (current stage)", exact=True)).to_be_visible()
    expect_blocked(page, "Start negotiation", "The initial tender evaluation is not complete.")

    # The legal reviewer sees the five stage changes in the audit trail.
    reviewer = new_context().new_page()
    log_in(reviewer, MORGAN)
    rows = audit_events(reviewer, "procurement.stage_changed")
    expect(reviewer.get_by_text(re.compile(r"^5 events\. Grouped"))).to_be_visible()
    expect(rows).to_have_count(5)
    for i, stage in enumerate(["sq_published", "sq_closed", "sq_evaluation", "itt_issued",
                               "initial_tender_evaluation"]):
        expect(rows.nth(i)).to_contain_text("procurement.stage_changed")
        expect(rows.nth(i)).to_contain_text(LUKE)
        expect(rows.nth(i)).to_contain_text(stage)


def keyboard_log_in(page, email: str, password: str, *, via_skip_link: bool) -> None:
    """Fill in and send the login form with the keyboard alone, from a fresh login page."""
    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    if via_skip_link:
        page.keyboard.press("Enter")
        expect(page.locator("main#main-content")).to_be_focused()  # GOV.UK Frontend's skip link
    else:
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Tender", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def expect_wrong_password_summary(page) -> None:
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem")
    expect(alert).to_contain_text("The e-mail address or password is not right. Check them and try again.")


def test_keyboard_and_screen_reader_basics(page, new_context):
    problems: list[str] = []
    page.goto("/login")
    check_page_basics(page, problems)

    # A wrong password, by keyboard alone: the error summary is announced (role=alert) and focused.
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as posted:
        keyboard_log_in(page, LUKE, "not-the-password", via_skip_link=False)
    assert posted.value.status == 400
    expect_wrong_password_summary(page)
    expect(page.get_by_role("alert")).not_to_contain_text(re.compile(r"CSRF|Traceback|Bad Request|None"))
    expect(page.locator(".govuk-error-summary")).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(page.get_by_label("Password")).to_have_attribute("aria-describedby", "password-error")
    expect(page.locator("#password-error")).to_contain_text("Error:")
    check_page_basics(page, problems)

    # The right password, by keyboard alone, after following the skip link.
    keyboard_log_in(page, LUKE, DEMO_PASSWORD, via_skip_link=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Procurements")
    expect(page.get_by_text("Logged in as Luke Edwards (")).to_be_visible()
    check_page_basics(page, problems)

    open_procurement(page)
    facts = check_page_basics(page, problems)
    assert facts["fields"] > 0, "the overview should have milestone forms (date and reason fields)"
    diagram = page.locator(".app-diagram > svg")
    expect(diagram).to_have_count(1)
    expect(diagram).to_have_attribute("role", "img")
    expect(diagram.locator(":scope > title")).to_have_text(re.compile(r"Competitive procedure with negotiation"))
    for svg in page.locator("svg[role=img]").all():
        for ref in (svg.get_attribute("aria-labelledby") or "").split():
            assert page.locator(f"[id='{ref}']").count() == 1, f"aria-labelledby points at missing id {ref!r}"

    page.get_by_role("link", name="Selection questionnaire responses and shortlist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Selection questionnaire responses")
    check_page_basics(page, problems)

    page.goto("/procurements/999999")
    expect(page.get_by_role("heading", level=1)).to_have_text("That could not be done")
    check_page_basics(page, problems)

    # The audit trail, as the legal reviewer.
    reviewer = new_context().new_page()
    log_in(reviewer, MORGAN)
    check_page_basics(reviewer, problems)
    audit_events(reviewer, "procurement.stage_changed")
    expect(reviewer.get_by_text(re.compile(r"^0 events\."))).to_be_visible()
    check_page_basics(reviewer, problems)

    assert not problems, "\n".join(problems)


def test_after_the_skip_link_a_wrong_password_still_moves_focus_to_the_error_summary(page):
    keyboard_log_in(page, LUKE, "not-the-password", via_skip_link=True)
    expect_wrong_password_summary(page)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # let the page settle: GOV.UK Frontend focuses first, the fragment target after
    focused = page.evaluate("document.activeElement.className || document.activeElement.tagName")
    assert focused == "govuk-error-summary", f"focus is on {focused!r}, not on the error summary"


def test_two_officers_at_once_only_the_first_stage_change_counts(new_context):
    luke, priya = new_context().new_page(), new_context().new_page()
    log_in(luke, LUKE)
    log_in(priya, PRIYA)
    open_procurement(luke)
    open_procurement(priya)
    expect(current_stage(priya)).to_have_text("Draft")
    # Priya is on the "Are you sure?" page when Luke publishes: her confirming POST carries the old version.
    priya.get_by_role("button", name="Publish selection questionnaire", exact=True).click()

    advance(luke, "Publish selection questionnaire", "Selection questionnaire published")

    with priya.expect_response(lambda r: r.url.endswith("/advance")) as posted:
        priya.get_by_role("button", name="Yes, publish selection questionnaire", exact=True).click()
    assert posted.value.status == 302  # Post/Redirect/Get: refreshing her page sends nothing again
    expect(priya).to_have_url(re.compile(r"/procurements/\d+#next-steps$"))
    expect(priya.locator(".govuk-notification-banner")).to_contain_text(CONCURRENT)
    expect(current_stage(priya)).to_have_text("Selection questionnaire published")
    expect(priya.get_by_role("button", name="Close SQ responses", exact=True)).to_be_enabled()
    expect(priya.get_by_role("button", name="Publish selection questionnaire", exact=True)).to_have_count(0)

    reviewer = new_context().new_page()
    log_in(reviewer, MORGAN)
    rows = audit_events(reviewer, "procurement.stage_changed")
    expect(reviewer.get_by_text(re.compile(r"^1 event\. Grouped"))).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(LUKE)
    expect(rows.first).not_to_contain_text(PRIYA)


CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
"""

TEXT_FONTS_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || el.closest('svg, code, script, style')) continue;
    if (!el.getClientRects().length) continue;
    const family = getComputedStyle(el).fontFamily;
    if (!/arial/i.test(family)) out.push(`${el.tagName}.${el.className}: "${node.textContent.trim().slice(0, 40)}" in ${family}`);
  }
  return out;
}"""


def test_the_procurement_page_works_under_the_strict_content_security_policy(page, server):
    if not APP_CSS.is_file():
        pytest.fail(f"{APP_CSS} is missing: the front-end assets are not built. "
                    "Run `npm --prefix assets ci && npm --prefix assets run build`.")
    messages, page_errors, failed = [], [], []
    page.on("console", lambda m: messages.append((m.type, m.text, m.location.get("url", ""))))
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.add_init_script(CSP_LISTENER)

    log_in(page, LUKE)
    with page.expect_response(re.compile(r"/static/css/app\.css$")) as css:
        open_procurement(page)
    assert css.value.status in (200, 304)
    response = page.request.get("/procurements/1")
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    advance(page, "Publish selection questionnaire", "Selection questionnaire published")

    # GOV.UK Frontend's JavaScript ran (a module script, allowed by script-src 'self').
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b.*\bgovuk-frontend-supported\b"))
    violations = page.evaluate("window.__cspViolations")
    assert violations == [], f"CSP violations: {violations}"
    assert page_errors == [], f"JavaScript errors: {page_errors}"
    noisy = [(t, text, url) for t, text, url in messages
             if (t in ("error", "warning") or "Content Security Policy" in text) and not url.endswith("/favicon.ico")]
    assert noisy == [], f"console errors or warnings: {noisy}"
    assert [f for f in failed if not f.endswith("/favicon.ico")] == []

    # The GOV.UK Frontend stylesheet applies: Arial (not the browser's default serif) everywhere text is shown.
    sheets = page.evaluate("[...document.styleSheets].map(s => [s.href, s.cssRules.length])")
    assert any(href and href.endswith("/static/css/app.css") and rules > 100 for href, rules in sheets), sheets
    assert "arial" in page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily").lower()
    assert page.evaluate(TEXT_FONTS_JS) == []


def test_a_screenshot_of_the_procurement_page(page, tmp_path):
    log_in(page, LUKE)
    open_procurement(page)
    path = tmp_path / "procurement.png"
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert len(data) > 10_000
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height > 900, (width, height)  # the whole page, not just the viewport
