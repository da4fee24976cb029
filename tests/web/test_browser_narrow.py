"""Every page of the demo, as each role, in headless Chromium 375 px wide (a small phone).

Each role, and a person at a supplier, logs in and follows every link from its
dashboard (``tests.page_crawl``), with lot 1 awarded and its letters drafted so
the letter pages are among them; before anyone logs in, the pages for signing
in, a forgotten password, an invitation's link and a supplier registering.
On every page: nothing makes the page scroll sideways
(``document.documentElement.scrollWidth <= 375``; a wide table scrolls in its
own focusable, labelled region instead), "Logged in as" sits below the header's
links rather than over them, there is exactly one ``<h1>``, and axe-core
reports no violation.
"""
from __future__ import annotations


import pytest

from tests.page_crawl import DEMO_ROLES, award_with_letters, crawl, pattern, starts, SUPPLIER_PERSON, supplier_person
from tests.web.browser_support import DEMO_PASSWORD, LiveServer
from tests.web.test_browser_pages import AXE_JS, AXE_RUN

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIDTH = 375

# Whether anything in the header overlaps "Logged in as" (the service name, the navigation links).
HEADER_OVERLAP = """() => {
  const user = document.querySelector('.app-header__user');
  if (!user) return [];
  const a = user.getBoundingClientRect();
  return Array.from(document.querySelectorAll('.govuk-header__link, .govuk-header__service-name'))
    .filter(el => el.offsetParent !== null)
    .map(el => [el.textContent.trim(), el.getBoundingClientRect()])
    .filter(([, b]) => b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
    .map(([text]) => text);
}"""
# Elements that scroll sideways inside the page must be focusable regions with a name (WCAG 2.1.1, 4.1.2).
UNLABELLED_SCROLLERS = """() => Array.from(document.querySelectorAll('main *')).filter(el => {
  const style = getComputedStyle(el);
  return ['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1 &&
    !(el.tabIndex >= 0 && el.getAttribute('role') === 'region' && el.getAttribute('aria-label'));
}).map(el => el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className)"""


def _approved_award(database_url: str) -> tuple[int, str]:
    """The procurement id, and a live invitation link's token (for the page that sets a first password)."""
    from sqlalchemy import select

    from tender import create_app
    from tender.extensions import db
    from tender.models import User
    from tender.services import account_links
    from tests.helpers import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        pid = award_with_letters()
        supplier_person(pid, DEMO_PASSWORD)
        token = account_links.issue(db.session.scalar(select(User).where(User.email == SUPPLIER_PERSON)), "invite")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return pid, token


def _check(page, url: str, problems: list[str]) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        wide = page.evaluate(f"""() => Array.from(document.querySelectorAll('body *'))
            .filter(el => el.getBoundingClientRect().right > {WIDTH} + 1 && getComputedStyle(el).position !== 'fixed')
            .slice(-3).map(el => el.tagName + '.' + el.className)""")
        problems.append(f"{url}: the page is {width} px wide ({', '.join(wide)})")
    overlap = page.evaluate(HEADER_OVERLAP)
    if overlap:
        problems.append(f"{url}: 'Logged in as' overlaps {overlap}")
    scrollers = page.evaluate(UNLABELLED_SCROLLERS)
    if scrollers:
        problems.append(f"{url}: scrolls sideways without a focusable, labelled region: {scrollers}")
    headings = page.locator("h1").count()
    if headings != 1:
        problems.append(f"{url}: {headings} <h1>")
    page.add_script_tag(path=str(AXE_JS))
    problems += [f"{url}: {v}" for v in page.evaluate(AXE_RUN)]


def test_every_page_of_every_role_fits_375_px_with_no_axe_violation(browser, database_url, tmp_path):
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup (npm installs axe-core into assets/node_modules)")
    problems: list[str] = []
    checked: dict[str, set[str]] = {}
    with LiveServer(database_url, tmp_path / "server") as server:
        pid, token = _approved_award(database_url)
        for role, email in {"anonymous": None, **DEMO_ROLES, "supplier": SUPPLIER_PERSON}.items():
            context = browser.new_context(base_url=server.url, locale="en-GB", bypass_csp=True,
                                          viewport={"width": WIDTH, "height": 800})
            context.set_default_timeout(30_000)
            page = context.new_page()

            def fetch(url: str, page=page, role=role):
                try:
                    response = page.goto(url)
                except playwright_sync.Error as exc:  # a file served as an attachment is not a page
                    if "Download is starting" in str(exc):
                        return 200, "attachment", ""
                    raise
                content_type = response.headers.get("content-type", "") if response else ""
                if response is None or response.status != 200 or not content_type.startswith("text/html"):
                    return (response.status if response else 0), content_type, ""
                _check(page, f"{role} {url}", problems)
                return 200, content_type, page.content()

            if email is None:  # signing in, a forgotten password, an invitation's link, a supplier registering
                first = ("/login", "/account/forgot-password", f"/account/set-password/{token}", "/supplier/register")
                checked[role] = {pattern(url) for url in crawl(fetch, first, base=server.url)}
                context.close()
                continue
            page.goto("/login")
            page.get_by_label("E-mail address").fill(email)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            first = ("/supplier/",) if role == "supplier" else starts(pid)
            checked[role] = {pattern(url) for url in crawl(fetch, first, base=server.url)}
            context.close()
    assert not problems, f"{len(problems)} problems at {WIDTH} px:\n" + "\n".join(problems)
    officer = checked["procurement_officer"]
    assert {"/procurements/N/letters/N", "/procurements/N/lots/N/evaluation/initial/ranking"} <= officer, officer
    assert "/audit/" in checked["legal_reviewer"] and len(officer) > 15, checked
    assert {"/supplier/", "/supplier/procurements/N"} <= checked["supplier"], checked["supplier"]
    assert {"/login", "/account/forgot-password", "/supplier/register"} <= checked["anonymous"], checked["anonymous"]
    assert any(url.startswith("/account/set-password/") for url in checked["anonymous"]), checked["anonymous"]
    assert {"/account/password"} <= officer, officer
