"""The audit trail page reads as a record (issue 19, part 5): grouped by procurement and by day, each change
"label: before → after", the action filter a list of the declared actions, a page at a time.

Events are written through the real ``audit.record`` (hash chain and all); only the moment each is stamped
with is set, so that a procurement's events fall on two days.
"""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from tender.domain import audit_actions
from tender.extensions import db
from tender.models import AuditEvent
from tender.services import audit
from tender.services.audit import query as audit_query
from tests.helpers import login, make_procurement, make_user

OFFICER = audit.Actor("luke.edwards@kent.example", "procurement_officer", "127.0.0.1")


def _record(monkeypatch, when: str, action: str, ref: str | None, **fields) -> None:
    monkeypatch.setattr(audit, "utc_now_iso", lambda: when)
    audit.record(OFFICER, action, fields.pop("object_type", "procurement"), fields.pop("object_id", 1),
                 procurement_ref=ref, **fields)
    db.session.commit()
    monkeypatch.undo()


@pytest.fixture
def trail(app, monkeypatch):
    """Two procurements' events over two days, one about no procurement; returns the legal reviewer's e-mail."""
    with app.app_context():
        make_procurement(reference="KCC-A", lots=1)
        make_procurement(reference="KCC-B", lots=1)
        _record(monkeypatch, "2022-05-09T10:00:00.000000Z", "procurement.stage_changed", "KCC-B",
                before={"stage": "draft"}, after={"stage": "sq_published"})
        _record(monkeypatch, "2022-05-09T11:00:00.000000Z", "milestone.replanned", "KCC-A", object_type="milestone",
                object_id=3, before={"planned_date": "2022-05-09"}, after={"planned_date": "2022-05-16"},
                reason="The portal was down.")
        _record(monkeypatch, "2022-05-09T12:00:00.000000Z", "account.password_reset_requested", None,
                object_type="user", object_id=9, after={"has_conflict": False})
        _record(monkeypatch, "2022-05-10T09:00:00.000000Z", "award.letter_emailed", "KCC-A", object_type="letter",
                object_id=7, lot=1, after={"recipient": "bids@porchlight.example"})
        _record(monkeypatch, "2022-05-11T08:00:00.000000Z", "evaluation.no_conflict_declared", "KCC-A",
                object_type="user", object_id=4, after={"has_conflict": False, "role": "approver"})
        legal = make_user("legal_reviewer").email
    return legal


def _reader(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


def _texts(html: str, tag: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", m)).strip()
            for m in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html, flags=re.S)]


def _events(html: str) -> list[str]:
    """Each event's text, in page order, whitespace collapsed."""
    return [re.sub(r" ([:,])", r"\1", " ".join(unescape(re.sub(r"<[^>]+>", " ", m)).split()))
            for m in re.findall(r'<li class="app-audit-event"[^>]*>(.*?)</li>\s*(?=<li class="app-audit-event"|</ol>)',
                                html, flags=re.S)]


def test_events_are_grouped_by_procurement_then_day_with_changes_as_labelled_before_and_after(app, trail):
    html = _reader(app, trail).get("/audit/").get_data(as_text=True)
    assert _texts(html, "h2")[:3] == ["KCC-A: Test services", "KCC-B: Test services",
                                      "Not about a procurement (accounts, sign-in, the system)"]
    assert _texts(html, "h3")[:4] == ["Monday 9 May 2022", "Tuesday 10 May 2022", "Wednesday 11 May 2022",
                                      "Monday 9 May 2022"]
    events = _events(html)
    replanned = next(e for e in events if "milestone.replanned" in e)
    assert "Milestone date changed: Milestone 3 milestone.replanned" in replanned
    assert "Planned date: 2022-05-09 → 2022-05-16" in replanned and "Reason: The portal was down." in replanned
    assert "11:00:00 · No." in replanned and "(Procurement officer)" in replanned
    declared = next(e for e in events if "evaluation.no_conflict_declared" in e)
    assert "Conflict of interest: no" in declared and "Role: Approver (delegated authority)" in declared
    assert "planned_date" not in html and "has_conflict" not in html  # labels, not keys
    # Within a procurement the days run oldest first, whatever order the procurements' events interleave in.
    assert [e.split(" · ")[0] for e in events[:3]] == ["11:00:00", "09:00:00", "08:00:00"]


def test_the_action_filter_lists_every_declared_action_with_its_description(app, trail):
    html = _reader(app, trail).get("/audit/").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="action"[^>]*>(.*?)</select>', html, flags=re.S).group(1)
    options = [(value, unescape(text)) for value, text in
               re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select_html)]
    assert options == [("", "Any action"), *audit_actions.ACTIONS.items()]
    assert '<label class="govuk-label" for="action">Action</label>' in html


def test_filtering_by_a_chosen_action_shows_exactly_that_action(app, trail):
    client = _reader(app, trail)
    html = client.get("/audit/", query_string={"action": "milestone.replanned"}).get_data(as_text=True)
    assert [e for e in _events(html)] and all("milestone.replanned" in e for e in _events(html))
    assert len(_events(html)) == 1 and '<option selected value="milestone.replanned">' in html
    # "account.password_reset" is a declared action of its own, not a prefix of "…_requested".
    html = client.get("/audit/", query_string={"action": "account.password_reset"}).get_data(as_text=True)
    assert _events(html) == [] and "0 events" in html
    html = client.get("/audit/", query_string={"action": "account.password_reset_requested"}).get_data(as_text=True)
    assert len(_events(html)) == 1


@pytest.mark.parametrize("value", ["letter", "<script>alert(1)</script>", "milestone.replanned ", "x" * 5000,
                                   "award.%"])
def test_an_action_not_on_the_list_is_a_plain_400_naming_the_field(app, trail, value):
    response = _reader(app, trail).get("/audit/", query_string={"action": value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose an action from the list" in html and 'href="#action"' in html
    assert "<script>alert" not in html


def test_the_trail_is_paged_and_a_page_past_the_end_shows_the_last(app, trail, monkeypatch):
    with app.app_context():
        for n in range(30):
            _record(monkeypatch, f"2022-06-01T10:{n:02d}:00.000000Z", "milestone.met", "KCC-B",
                    object_type="milestone", object_id=n, after={"actual_date": "2022-06-01"})
        total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    client = _reader(app, trail)
    pages = -(-(total + 1) // audit_query.PAGE_SIZE)  # the reviewer's own sign-in is one more
    first = client.get("/audit/").get_data(as_text=True)
    assert len(_events(first)) == audit_query.PAGE_SIZE and f"page 1 of {pages}" in first and 'rel="next"' in first
    last = client.get("/audit/", query_string={"page": 999}).get_data(as_text=True)
    assert f"page {pages} of {pages}" in last and 'rel="next"' not in last and 'rel="prev"' in last
    seen = set()
    for number in range(1, pages + 1):
        html = client.get("/audit/", query_string={"page": number}).get_data(as_text=True)
        seen |= set(re.findall(r'id="event-(\d+)"', html))
    assert len(seen) == total + 1  # every event once, none lost between pages
    filtered = client.get("/audit/", query_string={"action": "milestone.met", "page": 2}).get_data(as_text=True)
    assert len(_events(filtered)) == 30 - audit_query.PAGE_SIZE and "action=milestone.met" in filtered
