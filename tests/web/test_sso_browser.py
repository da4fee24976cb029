"""Single sign-on in headless Chromium against a real OpenID Connect provider on loopback.

The provider is the npm ``oidc-provider`` (``tests/oidc_provider/``), started
with a confidential client for Tender that must use PKCE, and its own login
pages: the login name picks the account, whose claims are below. Tender runs
for real under gunicorn with the demo loaded and ``TENDER_OIDC_*`` pointing
at the provider. Each test signs in through the provider's pages as a person
would, then checks where Tender left them and what it audited.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.helpers import TEST_CONFIG
from tests.oidc_provider import OIDCProvider
from tests.web.browser_support import LiveServer, free_port
from tests.web.test_browser_pages import AXE_JS, AXE_RUN

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect.set_options(timeout=10_000)

LABEL = "Sign in with Microsoft"
# Login name at the provider -> the claims it vouches for.
ACCOUNTS = {
    # Luke's address as the directory spells it: Tender matches it whatever the case.
    "luke": {"email": "Luke.Edwards@kent.example", "email_verified": True},
    # Priya's address, but the provider has not verified it: anyone could have typed it.
    "priya-unverified": {"email": "priya.shah@kent.example", "email_verified": False},
    # A verified address with no Tender account.
    "stranger": {"email": "stranger@kent.example", "email_verified": True},
    # Morgan's verified address, but Morgan's Tender account is deactivated (below).
    "morgan": {"email": "morgan.lee@kent.example", "email_verified": True},
}


@pytest.fixture(scope="module")
def stack(databases, tmp_path_factory):
    """The provider and Tender, each knowing the other's address; the demo loaded, Morgan deactivated."""
    workdir = tmp_path_factory.mktemp("sso")
    database_url = databases.create()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with OIDCProvider(f"{base_url}/login/sso/callback", ACCOUNTS, workdir) as provider:
        settings = {**provider.app_settings(), "TENDER_BASE_URL": base_url, "TENDER_OIDC_LABEL": LABEL}
        with LiveServer(database_url, workdir / "server", port=port, extra_env=settings) as server:
            _deactivate(database_url, "morgan.lee@kent.example")
            yield server, database_url
    databases.drop(database_url)


def _app(database_url):
    from tender import create_app

    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})


def _deactivate(database_url: str, email: str) -> None:
    """An administrator deactivates the account, as the Users page does."""
    from tender.extensions import db
    from tender.models import User
    from tender.services import users

    app = _app(database_url)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@kent.example"))
        target = db.session.scalar(select(User).where(User.email == email))
        users.set_active(admin, target.id, False)
        db.session.remove()
        db.engine.dispose()


def _events(database_url: str, action: str) -> list[tuple]:
    """(actor, reason, after) of every audit event with this action, oldest first."""
    from tender.extensions import db
    from tender.models import AuditEvent

    app = _app(database_url)
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.actor, AuditEvent.reason, AuditEvent.after)
                                  .where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()
        db.session.remove()
        db.engine.dispose()
    return [(actor, reason, json.loads(after) if after else {}) for actor, reason, after in rows]


@pytest.fixture
def page(browser, stack):
    """A page in a fresh browser context (no cookies at Tender or at the provider)."""
    server, _ = stack
    context = browser.new_context(base_url=server.url, locale="en-GB", viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _axe(page) -> list[str]:
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(AXE_RUN)


def sign_in_at_provider(page, login_name: str) -> None:
    """From Tender's login page, through the provider's login and consent pages, back to Tender."""
    page.goto("/login")
    page.get_by_role("button", name=LABEL).click()
    page.locator("input[name=login]").fill(login_name)
    page.locator("input[name=password]").fill("any password: the provider's development login ignores it")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent to share the e-mail address
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/(login/sso/callback\b.*)?$"))


def test_the_login_page_offers_the_configured_button_beside_the_password_form(page):
    page.goto("/login")
    expect(page.get_by_role("button", name=LABEL)).to_have_attribute("href", "/login/sso")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert _axe(page) == []


def test_a_verified_address_of_an_active_account_signs_in_with_tenders_role(page, stack):
    _, database_url = stack
    sign_in_at_provider(page, "luke")
    expect(page.get_by_text("Logged in as Luke Edwards (Procurement officer)")).to_be_visible()
    # A real server-side session: it outlives the page, and logging out ends it.
    page.goto("/")
    expect(page.get_by_text("Logged in as Luke Edwards (Procurement officer)")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Tender")
    actors_and_methods = [(actor, after.get("method")) for actor, _, after in _events(database_url, "login.succeeded")]
    assert ("luke.edwards@kent.example", "sso") in actors_and_methods


@pytest.mark.parametrize("login_name, reason, message", [
    ("priya-unverified", "email_not_verified", "has not confirmed your e-mail address"),
    ("stranger", "no_account", "There is no Tender account for this e-mail address"),
    ("morgan", "deactivated", "Your Tender account has been deactivated"),
])
def test_an_unverified_unknown_or_deactivated_address_is_refused_in_plain_english_and_audited(
        page, stack, login_name, reason, message):
    _, database_url = stack
    sign_in_at_provider(page, login_name)
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot sign in to Tender with this account")
    expect(page.locator("[data-sso-message]")).to_contain_text(message)
    assert _axe(page) == []
    page.goto("/")  # not signed in
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Tender")
    email = ACCOUNTS[login_name]["email"].lower()
    assert (email, reason) in [(actor, why) for actor, why, _ in _events(database_url, "login.sso_refused")]
