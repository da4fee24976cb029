"""An officer previews and publishes the demo's contract notice in headless Chromium, then downloads it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect
sync_playwright = playwright_sync.sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]



def test_an_officer_previews_publishes_and_downloads_the_contract_notice(database_url, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with LiveServer(database_url, tmp_path / "server") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=server.url, accept_downloads=True).new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto("/login")
        page.get_by_label("E-mail address").fill("luke.edwards@kent.example")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="KCC-22/00033").first.click()
        page.get_by_role("link", name="Notices (Find a Tender)").click()

        expect(page.get_by_role("heading", name="Notices", level=1)).to_be_visible()
        page.get_by_role("link", name="Preview Contract notice (social and other specific services)").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Preview: Contract notice")
        expect(page.get_by_text("Once published, this notice is stored as it is")).to_be_visible()
        page.get_by_role("button", name="Publish this notice").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Contract notice (social and other specific services) (F21): Community Mental Health and Wellbeing "
            "Service (Live Well Kent and Medway)")
        expect(page.get_by_text("F21 published:")).to_be_visible()
        criteria = page.get_by_role("table", name="Award criteria, lot 1")
        expect(criteria.get_by_role("row")).to_have_count(4)
        with page.expect_download() as info:
            page.get_by_role("link", name="Download the release (JSON)").click()
        release = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
        assert release["tender"]["documents"][0]["noticeType"] == "F21"
        assert release["parties"][0]["name"] == "Kent County Council"
        assert errors == []
        browser.close()
