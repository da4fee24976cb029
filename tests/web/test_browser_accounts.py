"""An account's whole life in headless Chromium (issue 19, part 1), with a real SMTP server on loopback.

Tender as a council installs it: an empty database, the first administrator
made with ``tender users create`` (no demo). The administrator invites a person; ``tender worker`` e-mails the
one-time link through the loopback SMTP server; the person opens it, is
refused a common password (the message shown at the field and in the error
summary), chooses a good one, logs in, changes it, logs out, asks for a reset
from "Forgotten your password?", uses the e-mailed link once (the second use
is refused in plain English), and the administrator changes their role, which
their next page shows. axe-core checks every account page visited.
"""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.web.browser_support import (BIN_DIR, CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, LiveServer, LiveServerError,
                                       free_port, log_in)
from tests.web.test_browser_pages import AXE_JS, Axe

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
sync_playwright = playwright_sync.sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN, ADMIN_PASSWORD = "ade.administrator@kent.example", "granite lighthouse cedar"
PERSON, NAME = "nia.evans@kent.example", "Nia Evans"
FIRST, SECOND, THIRD = "copper kettle harbour", "violet tram orchard 7", "silent maple ferry"


class FreshInstall(LiveServer):
    """gunicorn and the worker on an empty database whose only account is the first administrator."""

    def load_demo(self, env: dict[str, str]) -> str:
        result = subprocess.run([str(BIN_DIR / "tender"), "users", "create", "--email", ADMIN, "--name",
                                 "Ade Administrator", "--password", ADMIN_PASSWORD], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise LiveServerError(f"`tender users create` failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout


def _link(smtp, to: str, path: str, seen: int = 0, timeout: float = 30.0) -> str:
    """The link in the first e-mail to ``to`` after the ``seen`` already read, waiting for the worker."""
    pattern = re.compile(rf"https?://\S+{re.escape(path)}[A-Za-z0-9_\-]+")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = [m for m in smtp.handler.messages() if to in str(m["To"])]
        if len(mine) > seen:
            found = pattern.search(mine[seen].get_content())
            assert found, mine[seen].get_content()
            return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no e-mail number {seen + 1} reached {to} within {timeout:.0f} s")


def _choose(page, password: str, button: str) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Confirm the new password").fill(password)
    page.get_by_role("button", name=button).click()


def test_invitation_password_change_reset_and_role_change_in_the_browser(database_url, tmp_path, smtp, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup")
    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    port = free_port()
    axe = Axe()
    with FreshInstall(database_url, tmp_path / "server", workers=1, background_worker=True, port=port,
                    extra_env={"TENDER_BASE_URL": f"http://127.0.0.1:{port}"}) as server, sync_playwright() as p:
        started = time.monotonic()  # the walk itself; the server's start is the fixture's
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        admin = browser.new_context(base_url=server.url, locale="en-GB", bypass_csp=True).new_page()
        admin.set_default_timeout(20_000)
        log_in(admin, ADMIN, ADMIN_PASSWORD)
        admin.get_by_role("link", name="Users").click()
        expect(admin.get_by_role("heading", name="Users", level=1)).to_be_visible()
        expect(admin.locator("input[type=password]")).to_have_count(0)  # an administrator never sets one
        axe.check(admin)
        admin.get_by_label("E-mail address").fill(PERSON)
        admin.get_by_label("Full name").fill(NAME)
        admin.get_by_label("Evaluator", exact=True).check()
        admin.get_by_role("button", name="Send invitation").click()
        expect(admin.locator("body")).to_contain_text(f"Invitation sent to {PERSON}")
        expect(admin.get_by_role("row", name=re.compile(re.escape(PERSON)))).to_contain_text("Invited")

        # The person, in a browser of their own, from the e-mail.
        invitation = _link(smtp, PERSON, "/account/set-password/")
        assert invitation.startswith(server.url)
        person = browser.new_context(base_url=server.url, locale="en-GB", bypass_csp=True).new_page()
        person.set_default_timeout(20_000)
        person.goto(invitation)
        expect(person.get_by_role("heading", name="Choose your password", level=1)).to_be_visible()
        expect(person.locator("body")).to_contain_text(PERSON)
        axe.check(person)
        _choose(person, "password123456", "Save password")
        common = "Choose a password that is harder to guess: this one is too common. Try three random words."
        expect(person.locator(".govuk-error-summary")).to_contain_text(common)
        expect(person.locator("#password-error")).to_contain_text(common)
        axe.check(person)
        _choose(person, FIRST, "Save password")
        expect(person.locator("body")).to_contain_text("Your password is saved. Log in with it now.")
        log_in(person, PERSON, FIRST)
        expect(person.get_by_text(f"Logged in as {NAME} (Evaluator)")).to_be_visible()

        # Their own password, changed.
        person.get_by_role("link", name="Password").click()
        expect(person.get_by_role("heading", name="Change your password", level=1)).to_be_visible()
        axe.check(person)
        person.get_by_label("Current password").fill(FIRST)
        _choose(person, SECOND, "Change password")
        expect(person.locator("body")).to_contain_text("Your password is changed.")
        person.get_by_role("button", name="Log out").click()
        expect(person.locator("body")).to_contain_text("You have logged out.")

        # Forgotten: the reset link from the e-mail works once.
        person.get_by_role("link", name="Forgotten your password?").click()
        expect(person.get_by_role("heading", name="Reset your password", level=1)).to_be_visible()
        axe.check(person)
        person.get_by_label("E-mail address").fill(PERSON)
        person.get_by_role("button", name="Send the link").click()
        expect(person.get_by_role("heading", name="Check your e-mail", level=1)).to_be_visible()
        axe.check(person)
        reset = _link(smtp, PERSON, "/account/reset-password/", seen=1)
        person.goto(reset)
        expect(person.get_by_role("heading", name="Choose a new password", level=1)).to_be_visible()
        _choose(person, THIRD, "Save new password")
        expect(person.locator("body")).to_contain_text("Your password is saved. Log in with it now.")
        again = person.goto(reset)
        assert again.status == 400
        expect(person.get_by_role("heading", name="This link cannot be used", level=1)).to_be_visible()
        expect(person.locator("body")).to_contain_text(
            "This link has already been used. Each link works once: ask for a new one.")
        axe.check(person)
        log_in(person, PERSON, THIRD)
        expect(person.get_by_text(f"Logged in as {NAME} (Evaluator)")).to_be_visible()

        # The administrator makes them a moderator; their next page says so.
        admin.reload()
        admin.get_by_label(f"Role of {PERSON}").select_option(label="Moderator")
        admin.get_by_role("button", name=f"Change role of {PERSON}").click()
        expect(admin.locator("body")).to_contain_text(f"{PERSON} is now Moderator.")
        axe.check(admin)
        person.reload()
        expect(person.get_by_text(f"Logged in as {NAME} (Moderator)")).to_be_visible()
        browser.close()
        walked = time.monotonic() - started
    assert not axe.violations, "\n".join(axe.violations)
    print(f"walked in {walked:.1f} s")
    assert walked < 45, f"the walk took {walked:.0f} s"
