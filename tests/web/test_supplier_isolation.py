"""No page, download, export or JSON shows a supplier another supplier's anything (issue 18, Done when).

The sweep walks ``app.url_map``, so a route added later is swept without
anyone remembering to list it. Logged in as supplier A:

* every GET route, with supplier B's objects' ids in its path (B's
  submission, document, receipt, bid, clarification question, organisation,
  the procurement only B is invited to, and small ids generally), either
  refuses (403/404, or 400/405) or answers a page, download or JSON that
  contains none of B's name, identifiers, address, e-mail, answers, prices,
  document names or questions, B's files' SHA-256, price commitment or salt,
  nor the reference of the procurement A is not invited to. Redirects may not
  point at B's things either. The sweep runs three times: before the deadline
  (B's manifest hash is B's alone), once the tender box register is published
  (every invited supplier reads every manifest hash, but only its own is marked
  as its receipt) and once the box is opened;
* every route that is not supplier-facing (``tender.web.supplier_access``)
  refuses A with 403, whatever its method, before its view runs, and
  changes nothing;
* every supplier-facing POST route given one of B's ids refuses and changes
  nothing.

Runs on SQLite and, with ``TENDER_TEST_DATABASE_URL``, on PostgreSQL.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from tender.extensions import db
from tender.models import Bid, Lot, Organisation, Supplier
from tender.web import supplier_access
from tests.helpers import CPN_TIMETABLE, PASSWORD, csrf_token, make_procurement, seal
from tests.web.test_hostile_input import PARAM, _diff, _snapshot

#: Values tried for text segments of a path.
TEXT_VALUES = {"round_name": ("final", "initial", "sq"), "round_": ("initial", "final"),
               "owner": ("supplier", "funder", "authority"), "fmt": ("mmd", "svg"), "kind": ("contract_notice",),
               "trigger": ("publish_sq",), "action": ("deactivate",), "filename": ("css/app.css",)}
#: Small ids tried for every id the sweep has no object of B's for (most rows of a fresh database).
SMALL_IDS = ("1", "2", "3")
B_NAME = "Beta Support Unique CIC"
B_PRICE = "987654.32"
B_OLD_PRICE = "555444.33"
B_DOCUMENT = "beta-secret-method-statement.pdf"
B_ANSWER = "Beta's confidential staffing approach"
B_QUESTION = "Beta-only question about TUPE liabilities"
B_ORGANISATION = {"name": B_NAME, "scheme": "GB-COH", "identifier": "BETA0001", "ppon": "PBET-0001-BETA",
                  "street_address": "99 Betawick Road", "locality": "Betaford", "postal_code": "ME99 9BB",
                  "contact_name": "Bea Betaperson", "contact_email": "bids@beta-unique.example"}


@dataclass
class World:
    a_email: str
    ids: dict[str, list[str]]  # path parameter name -> B's object ids (as text)
    forbidden: list[str] = field(default_factory=list)  # B's words: none may appear in an answer to A
    a_words: list[str] = field(default_factory=list)  # A's own: some page must show them (the sweep is not blind)
    procurement_id: int = 0  # P, where A and B respond
    officer_email: str = ""
    b_manifest_hash: str = ""  # B's until the register is published, then everyone's


def _build(app) -> World:
    """Procurement P (open) invites A and B, each with a draft or a receipt; Q invites only B; R holds B's bid."""
    from tender.services import clarifications, suppliers
    from tender.services.submissions import drafting, submitting
    from tests.submissions_support import answers, complete_draft, open_tender, upload, user, PDF

    with app.app_context():
        t = open_tender(suppliers=2, app=app)
        a_id, b_id = t.supplier_ids
        a_email, b_email = t.suppliers
        b = db.session.get(Supplier, b_id)
        b.name, b.companies_house_number, b.contact_email = B_NAME, "BETA0001", "bids@beta-unique.example"
        db.session.commit()
        b_user = user(b_email)
        b_user_words = [b_user.email]
        suppliers.save_organisation(b_user, B_ORGANISATION)
        # B: a submitted response with its own document, answer and price.
        b_submission = drafting.open_draft(b_user, t.procurement_id, "final", 1)
        drafting.save_answers(b_user, b_submission.id, {**answers(), "Q3": f"Q3: {B_ANSWER}"})
        b_attachment = drafting.attach(b_user, b_submission.id, upload(PDF + b"% beta\n", B_DOCUMENT))
        drafting.save_price(b_user, b_submission.id, B_PRICE)
        receipt = submitting.submit(b_user, b_submission.id)
        question = clarifications.ask(t.procurement_id, b_user, B_QUESTION)
        # A: a draft of its own, so A's own pages have something to show.
        a_submission = complete_draft(a_email, t.procurement_id, price="111222.33")
        # Q: only B is invited.
        officer = user(t.officer)
        q = make_procurement("open_procedure", reference="QONLYB-77", lots=1)
        suppliers.invite_supplier(officer, q.id, B_NAME)
        # R: B's tender recorded by the officer with a price, in another procurement.
        r = make_procurement(reference="RBETA-88", timetable=CPN_TIMETABLE, lots=1)
        lot = db.session.scalar(select(Lot).where(Lot.procurement_id == r.id))
        bid = seal(Bid(lot_id=lot.id, supplier_id=b_id, round="initial",
                       received_at=datetime(2022, 7, 1, 10, tzinfo=timezone.utc)), Decimal(B_OLD_PRICE))
        db.session.add(bid)
        db.session.commit()
        organisation = db.session.scalar(select(Organisation.id).where(Organisation.supplier_id == b_id))
        ids = {
            "procurement_id": [str(t.procurement_id), str(q.id), str(r.id)],
            "submission_id": [str(b_submission.id)],
            "attachment_id": [str(b_attachment.id)],
            "receipt_id": [str(receipt.id)],
            "question_id": [str(question.id)],
            "bid_id": [str(bid.id)],
            "supplier_id": [str(b_id)], "owner_id": [str(b_id)],
            "user_id": [str(b_user.id)],
            "organisation_id": [str(organisation)],
            "lot_number": ["1"],
        }
        forbidden = [B_NAME, "BETA0001", "PBET-0001-BETA", "99 Betawick Road", "Betaford", "ME99 9BB",
                     "Bea Betaperson", "beta-unique.example", B_PRICE, "987,654.32", "987654", B_OLD_PRICE,
                     "555,444.33", "555444", B_DOCUMENT, "beta-secret", B_ANSWER, B_QUESTION, "QONLYB-77",
                     "RBETA-88", *b_user_words, hashlib.sha256(PDF + b"% beta\n").hexdigest(),
                     receipt.price_commitment, receipt.price_salt]
        a_name = db.session.get(Supplier, a_id).name
        return World(a_email=a_email, ids=ids, forbidden=[w for w in forbidden if w],
                     a_words=[a_name, str(a_submission)], procurement_id=t.procurement_id,
                     officer_email=t.officer, b_manifest_hash=receipt.manifest_hash)


def _params(rule) -> list[tuple[str, bool]]:
    return [(m.group(2), isinstance(rule._converters[m.group(2)], IntegerConverter)) for m in PARAM.finditer(rule.rule)]


def _urls(rule, world: World, limit: int = 40) -> list[str]:
    """The rule's path with B's ids (and small ids, and each text value) in every combination, up to ``limit``."""
    choices = []
    for name, is_int in _params(rule):
        if is_int:
            choices.append([(name, v) for v in dict.fromkeys(world.ids.get(name, []) + list(SMALL_IDS))])
        else:
            choices.append([(name, v) for v in TEXT_VALUES.get(name, ("x",))])
    urls = []
    for combo in itertools.islice(itertools.product(*choices), limit):
        values = dict(combo)
        urls.append(PARAM.sub(lambda m: values[m.group(2)], rule.rule))
    return urls


def _leaks(body: bytes, forbidden: list[str]) -> list[str]:
    text = body.decode("utf-8", errors="ignore")
    try:  # JSON may escape what it carries
        text += json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    return [word for word in forbidden if word.lower() in text.lower()]


def _logged_in(app, email: str):
    client = app.test_client()
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


#: How a register marks a supplier's own receipt: A has none, so A may never see it.
OWN_RECEIPT_MARK = 'govuk-tag--green">Your receipt'


def _sweep_gets(app, client, world: World, forbidden: list[str], must_see: list[str]) -> tuple[list[str], int]:
    """GET every route with B's ids as A: (failures, pages answered 200); ``must_see`` all appear somewhere."""
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    assert len(rules) > 60  # the sweep found the product's routes
    failures, answered, seen = [], 0, set()
    for rule in rules:
        for url in _urls(rule, world):
            response = client.get(url)
            status = response.status_code
            if status >= 500:
                failures.append(f"{status} from GET {url}")
                continue
            if status in (400, 403, 404, 405):
                continue
            leaks = _leaks(response.get_data(), forbidden) + _leaks(response.headers.get("Location", "").encode(),
                                                                    forbidden)
            leaks += _leaks(response.headers.get("Content-Disposition", "").encode(), forbidden)
            if leaks:
                failures.append(f"GET {url} ({rule.endpoint}) answered {status} showing B's {leaks}")
            if status == 200:
                answered += 1
                seen.update(w for w in must_see if w in response.get_data(as_text=True))
    missing = set(must_see) - seen
    if answered < 3 or missing:
        failures.append(f"the sweep never reached A's own pages or the register: {sorted(missing)} not seen")
    return failures, answered


@pytest.mark.slow
def test_no_get_route_shows_supplier_a_anything_of_supplier_b(app):
    from tender.services.submissions import tender_box
    from tests.submissions_support import AFTER, user

    world = _build(app)
    client = _logged_in(app, world.a_email)
    phases = {}
    phases["before the deadline"] = _sweep_gets(app, client, world, world.forbidden + [world.b_manifest_hash],
                                                world.a_words)
    app.config["TENDER_TODAY"] = AFTER  # the register is published to every invited supplier by the first look
    after = world.forbidden + [OWN_RECEIPT_MARK]
    phases["register published"] = _sweep_gets(app, client, world, after, world.a_words + [world.b_manifest_hash])
    with app.app_context():
        tender_box.open_box(user(world.officer_email), world.procurement_id, "final")
        db.session.remove()
    phases["box opened"] = _sweep_gets(app, client, world, after, world.a_words + [world.b_manifest_hash])
    report = [f"{phase}: {line}" for phase, (failures, _) in phases.items() for line in failures]
    assert not report, f"{len(report)} answers showed supplier A something of B's:\n" + "\n".join(report[:40])


def _staff_rules(app):
    return [r for r in app.url_map.iter_rules()
            if r.endpoint != "static" and not supplier_access.supplier_may_reach(r.endpoint)]


@pytest.mark.slow
def test_every_staff_route_refuses_a_supplier_with_403_and_changes_nothing(app):
    world = _build(app)
    client = _logged_in(app, world.a_email)
    token = csrf_token(client, "/supplier/")
    rules = _staff_rules(app)
    assert len(rules) > 60
    assert {"procurements.overview", "admin.user_list", "audit.index", "invitations.index"} <= {r.endpoint for r in rules}
    failures = []
    with app.app_context():
        before = _snapshot()
        for rule in rules:
            url = _urls(rule, world, limit=1)[0]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)
                db.session.remove()
                if response.status_code != 403:
                    failures.append(f"{method} {url} ({rule.endpoint}): {response.status_code}")
        changed = _diff(before, _snapshot())
    assert not failures, f"{len(failures)} staff routes did not refuse a supplier:\n" + "\n".join(failures[:40])
    assert [t for t in changed if t not in ("user_session", "login_attempt")] == []


B_ONLY = {"submission_id", "attachment_id", "receipt_id", "question_id", "bid_id", "supplier_id", "owner_id",
          "user_id", "organisation_id"}


@pytest.mark.slow
def test_no_supplier_facing_post_acts_on_supplier_b_s_things(app):
    world = _build(app)
    client = _logged_in(app, world.a_email)
    token = csrf_token(client, "/supplier/")
    q_id = world.ids["procurement_id"][1]  # the procurement only B is invited to
    rules = [r for r in app.url_map.iter_rules()
             if "POST" in r.methods and supplier_access.supplier_may_reach(r.endpoint)
             and r.endpoint not in ("auth.login", "auth.logout", "supplier.register")]
    failures, tried = [], 0
    with app.app_context():
        for rule in rules:
            names = [name for name, _ in _params(rule)]
            if not (set(names) & B_ONLY or "procurement_id" in names):
                continue
            values = {name: (world.ids[name][0] if name in B_ONLY and name in world.ids else
                             q_id if name == "procurement_id" else
                             world.ids.get(name, ["1"])[0] if name in world.ids else TEXT_VALUES.get(name, ("x",))[0])
                      for name in names}
            url = PARAM.sub(lambda m: values[m.group(2)], rule.rule)
            before = _snapshot()
            response = client.post(url, data={"csrf_token": token, "text": "A question", "name": "X",
                                              "price": "1", "version": "1"})
            db.session.remove()
            tried += 1
            changed = [t for t in _diff(before, _snapshot()) if t not in ("user_session",)]
            if response.status_code not in (400, 403, 404, 409) or changed:
                failures.append(f"POST {url} ({rule.endpoint}): {response.status_code}, changed {changed}")
    assert tried >= 1
    assert not failures, "supplier-facing routes acted on B's things for A:\n" + "\n".join(failures)


def test_the_gate_knows_the_supplier_s_own_pages_and_nothing_of_the_staff_s(app):
    assert supplier_access.supplier_may_reach("supplier.home")
    assert supplier_access.supplier_may_reach("auth.logout")
    for endpoint in ("procurements.overview", "evaluation.score_bid", "audit.export", "admin.user_list",
                     "ocds.download", "invitations.index", "notifications.index"):
        assert not supplier_access.supplier_may_reach(endpoint), endpoint
