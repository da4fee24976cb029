"""Every page has exactly one <h1>: a sweep over every page each demo role reaches by following links.

The demo is taken to an approved award of lot 1 with its letters drafted (so
the letter pages, which show a letter inside the page, are among them) and a
notice to a candidate not selected. Each role logs in and follows every link
from its dashboard (``tests.page_crawl``).
"""
from __future__ import annotations

import pytest

from tests.helpers import login
from tests.page_crawl import DEMO_ROLES, client_fetch, crawl, h1_count, pattern

pytestmark = pytest.mark.slow


@pytest.fixture
def award_with_letters(app):
    """The demo with lot 1 awarded and approved, its letters drafted; returns the procurement id."""
    from tender.services.award import letters
    from tests.evaluation_support import user
    from tests.letters_support import OFFICER, award_demo

    from tender.services.procurement import selection_letters

    with app.app_context():
        pid = award_demo(lots=(1,))
        letters.draft(pid, user(OFFICER))
        _reject_a_candidate(pid)
        selection_letters.draft(pid, user(OFFICER))
    return pid


def _reject_a_candidate(pid: int) -> None:
    """A candidate not selected at the selection stage (a new one, so the demo's tenders stay as they are)."""
    from datetime import datetime, timezone

    from tender.extensions import db
    from tender.models import SQResponse, Supplier

    supplier = Supplier(name="Thanet Talking Therapies CIC", contact_email="bids@thanet.example")
    db.session.add(supplier)
    db.session.flush()
    db.session.add(SQResponse(procurement_id=pid, supplier_id=supplier.id, decision="rejected",
                              decision_reason="Below the minimum turnover.",
                              received_at=datetime(2022, 5, 2, 10, tzinfo=timezone.utc)))
    db.session.commit()


def starts(pid: int) -> tuple[str, ...]:
    """The dashboard, and pages reached by forms rather than links in this state."""
    lot = f"/procurements/{pid}/lots/1"
    return ("/", f"/procurements/{pid}/selection-letters", f"{lot}/abnormally-low", f"{lot}/evaluation/initial",
            f"/procurements/{pid}/standstill-and-notices", f"/procurements/{pid}/clarifications")


def test_every_page_of_every_role_has_exactly_one_h1(app, award_with_letters):
    wrong, visited = [], {}
    for role, email in DEMO_ROLES.items():
        client = app.test_client()
        login(client, email)
        pages = crawl(client_fetch(client), starts(award_with_letters))
        visited[role] = {pattern(url) for url in pages}
        for url, (status, content_type, html) in pages.items():
            if status == 200 and content_type.startswith("text/html") and h1_count(html) != 1:
                wrong.append(f"{role} {url}: {h1_count(html)} <h1>")
    assert not wrong, "\n".join(wrong)
    officer = visited["procurement_officer"]
    assert {"/procurements/N/letters/N", "/procurements/N/selection-letters/N"} <= officer  # a letter in a page
    assert len(officer) > 20 and all(len(v) >= 2 for v in visited.values()), visited
