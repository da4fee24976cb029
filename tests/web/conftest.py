"""Fixtures the headless Chromium tests share: one browser per module, and a live server per test."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.browser_support import CHROMIUM, CHROMIUM_ARGS, LiveServer


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module: Debian's (/usr/bin/chromium), never a Playwright download."""
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); Playwright must not download one")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(database_url, tmp_path):
    """The real app under gunicorn on this test's database, demo loaded."""
    with LiveServer(database_url, tmp_path / "server") as live:
        yield live
