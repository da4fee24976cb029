"""Every page a person can reach by following links, for the sweeps over all pages (one <h1>, 375 px).

``crawl(fetch, start)`` walks same-site links breadth first from ``start``.
``fetch(url)`` returns ``(status, content_type, html)``: the Flask test
client (``client_fetch``) or a browser. Links that act or leave are not
followed (logging out, downloads, calendar feeds); a page template is visited
at most ``per_pattern`` times (ids replaced by ``N``), so a list of 50 letters
costs a few visits, not 50. The demo's users, one per role, are ``DEMO_ROLES``.
"""
from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

DEMO_ROLES = {
    "administrator": "admin@kent.example",
    "procurement_officer": "luke.edwards@kent.example",
    "evaluator": "sam.evans@kent.example",
    "moderator": "chris.taylor@kent.example",
    "approver": "richard.smith@kent.example",
    "legal_reviewer": "morgan.lee@kent.example",
}
# Not pages: ending the session, files to download, feeds, static files.
NOT_PAGES = re.compile(r"^/(logout|static/)|\.(pdf|xlsx|csv|zip|json|ics|svg|mmd|dot|png)$|/(export|download|feed|"
                       r"calendar|diagram|documents?|preview\.pdf|ocds)(/|$|\?)")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            attributes = dict(attrs)
            if attributes.get("href") and "download" not in attributes:
                self.links.append(attributes["href"])


def links_of(html: str, base: str) -> list[str]:
    """The same-site links of a page, as paths with their query strings (fragments dropped)."""
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.links:
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "") or (parts.netloc and parts.netloc != urlsplit(base).netloc):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def pattern(url: str) -> str:
    """The page a URL shows, without its ids and query values: "/procurements/N/letters/N"."""
    path, _, query = url.partition("?")
    keys = "&".join(sorted(part.split("=")[0] for part in query.split("&") if part))
    return re.sub(r"/\d+(?=/|$)", "/N", path) + (f"?{keys}" if keys else "")


def crawl(fetch, start: str | tuple[str, ...] = "/", *, per_pattern: int = 1, limit: int = 300,
          base: str = "http://localhost") -> dict[str, tuple[int, str, str]]:
    """Every page reachable from ``start`` (a path or several) by links: url -> (status, content type, html)."""
    seen: dict[str, tuple[int, str, str]] = {}
    counts: dict[str, int] = {}
    queue = deque([start] if isinstance(start, str) else start)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen or NOT_PAGES.search(url.split("?")[0]):
            continue
        key = pattern(url)
        if counts.get(key, 0) >= per_pattern:
            continue
        counts[key] = counts.get(key, 0) + 1
        status, content_type, html = fetch(url)
        seen[url] = (status, content_type, html)
        if status == 200 and content_type.startswith("text/html"):
            queue.extend(link for link in links_of(html, base + url) if link not in seen)
    return seen


def client_fetch(client):
    """``fetch`` for ``crawl`` through a Flask test client (redirects not followed: a redirect is not a page)."""
    def fetch(url: str) -> tuple[int, str, str]:
        response = client.get(url)
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        return response.status_code, response.content_type or "", html
    return fetch


def h1_count(html: str) -> int:
    """How many <h1> elements a page has."""
    return len(re.findall(r"<h1[\s>]", html, flags=re.IGNORECASE))


def award_with_letters() -> int:
    """(In an app context.) The demo with lot 1 awarded and approved, its letters drafted, and a notice
    drafted to a candidate not selected, so the letter pages are among the pages; returns the procurement id."""
    from datetime import datetime, timezone

    from tender.extensions import db
    from tender.models import SQResponse, Supplier
    from tender.services.award import letters
    from tender.services.procurement import selection_letters
    from tests.evaluation_support import user
    from tests.letters_support import OFFICER, award_demo

    pid = award_demo(lots=(1,))
    letters.draft(pid, user(OFFICER))
    supplier = Supplier(name="Thanet Talking Therapies CIC", contact_email="bids@thanet.example")
    db.session.add(supplier)
    db.session.flush()
    db.session.add(SQResponse(procurement_id=pid, supplier_id=supplier.id, decision="rejected",
                              decision_reason="Below the minimum turnover.",
                              received_at=datetime(2022, 5, 2, 10, tzinfo=timezone.utc)))
    db.session.commit()
    selection_letters.draft(pid, user(OFFICER))
    return pid


#: A person at the demo's winning supplier (made by ``supplier_person``): the supplier's pages are swept too.
SUPPLIER_PERSON = "page.sweep@porchlight.example"


def supplier_person(pid: int, password: str) -> str:
    """(In an app context.) A login at Porchlight, invited to the procurement, with ``password``; its e-mail."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from tender.extensions import db
    from tender.models import Invitation, Supplier, User
    from tender.services import accounts

    supplier = db.session.scalar(select(Supplier).where(Supplier.name == "Porchlight"))
    officer = db.session.scalar(select(User).where(User.email == DEMO_ROLES["procurement_officer"]))
    if not db.session.scalar(select(Invitation.id).where(Invitation.procurement_id == pid,
                                                         Invitation.supplier_id == supplier.id)):
        db.session.add(Invitation(procurement_id=pid, supplier_id=supplier.id, invited_by_id=officer.id,
                                  invited_at=datetime(2022, 5, 1, 9, tzinfo=timezone.utc)))
    db.session.add(User(email=SUPPLIER_PERSON, name="Pat Sweep", role="supplier", supplier_id=supplier.id,
                        password_hash=accounts._hasher().hash(password), active=True,
                        created_at=datetime(2022, 5, 1, 9, tzinfo=timezone.utc)))
    db.session.commit()
    return SUPPLIER_PERSON


def starts(pid: int) -> tuple[str, ...]:
    """The dashboard, and pages reached by forms rather than links once the award is made."""
    lot = f"/procurements/{pid}/lots/1"
    return ("/", f"/procurements/{pid}/selection-letters", f"{lot}/abnormally-low", f"{lot}/evaluation/initial",
            f"/procurements/{pid}/standstill-and-notices", f"/procurements/{pid}/clarifications")
