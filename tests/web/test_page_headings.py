"""Every page has exactly one <h1> and no "-0.0": a sweep over every page each demo role reaches by links.

The demo is taken to an approved award of lot 1 with its letters drafted (so
the letter pages, which show a letter inside the page, are among them) and a
notice to a candidate not selected. Each role, and a person at a supplier,
logs in and follows every link from its dashboard (``tests.page_crawl``).
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.helpers import PASSWORD, login
from tests.page_crawl import (DEMO_ROLES, award_with_letters, client_fetch, crawl, h1_count, pattern, starts,
                              supplier_person)

NEGATIVE_ZERO = re.compile(r"(?<![\w.])[-\u2212]0(?:\.0+)?(?![\d.])")


@pytest.fixture
def award(app):
    """The demo with lot 1 awarded, its letters and a selection notice drafted; returns the procurement id."""
    with app.app_context():
        return award_with_letters()


def test_pages_format_numbers_with_the_one_helper_that_writes_no_negative_zero(app):
    template = app.jinja_env.from_string("{{ a|number(1) }} {{ b|number(1, sign=True) }} {{ c|number(2) }}")
    assert template.render(a=-0.04, b=0.0, c=Decimal("-0.001")) == "0.0 0.0 0.00"
    assert NEGATIVE_ZERO.search("weight 40.0 (-0.0)") and not NEGATIVE_ZERO.search("2022-05-01 -0.5 10-0.0")


@pytest.mark.slow
def test_every_page_of_every_role_has_exactly_one_h1_and_no_negative_zero(app, award):
    with app.app_context():
        supplier = supplier_person(award, PASSWORD)
    wrong, visited = [], {}
    for role, email in {**DEMO_ROLES, "supplier": supplier}.items():
        client = app.test_client()
        login(client, email)
        pages = crawl(client_fetch(client), ("/supplier/",) if role == "supplier" else starts(award))
        visited[role] = {pattern(url) for url in pages}
        for url, (status, content_type, html) in pages.items():
            if status == 200 and content_type.startswith("text/html") and h1_count(html) != 1:
                wrong.append(f"{role} {url}: {h1_count(html)} <h1>")
            if NEGATIVE_ZERO.search(html):
                wrong.append(f"{role} {url}: {NEGATIVE_ZERO.search(html).group()}")
    assert not wrong, "\n".join(wrong)
    officer = visited["procurement_officer"]
    assert {"/procurements/N/letters/N", "/procurements/N/selection-letters/N"} <= officer  # a letter in a page
    assert len(officer) > 20 and all(len(v) >= 2 for v in visited.values()), visited
    assert "/supplier/procurements/N" in visited["supplier"], visited["supplier"]
