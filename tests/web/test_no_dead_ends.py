"""No page offers an action that answers 400 when pressed (issue 19, part 3).

The demo procurement is taken stage by stage (draft; evaluation with the
panel to declare; evaluation with the prices opened and the scores frozen;
the award decision before any recommendation; the award approved; the
letters sent through Tender; the contract stage; live), and an open
procedure taking tenders through Tender (before its deadline, with one
supplier's draft and another's submitted tender; after it, with the tender
box to open), and a competitive procedure's selection questionnaire open to
candidates. At each, every demo role in turn, and a supplier where
suppliers take part, follows every link from the dashboard (the supplier's
home) and the procurement's pages (and the GET forms that lead to a
confirmation page), and presses every POST button it is offered, with the
values the page gives it (``tests.offered_actions``). A 400 is allowed only
where the page was asking for something still to be typed; a 500 never.
"""
from __future__ import annotations

from collections import deque

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import Procurement
from tests.offered_actions import forms_of, only_asks_for_input, press, what_it_said
from tests.page_crawl import DEMO_ROLES, NOT_PAGES, links_of, pattern
from tests.helpers import PASSWORD, login

#: The roles in the order they act at each stage: the officer last, as its buttons move the procurement on.
ROLES = ("supplier", "evaluator", "moderator", "approver", "legal_reviewer", "administrator", "procurement_officer")


def _demo() -> int:
    from tender.demo import REFERENCE, load_demo

    load_demo(PASSWORD)
    return db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))


def _state(pid: int, state: str) -> int:
    db.session.get(Procurement, pid).state = state
    db.session.commit()
    return pid


def _panel_to_declare() -> int:
    from tender.services.evaluation import panel
    from tests.evaluation_support import user
    from tests.letters_support import EVALUATOR, MODERATOR, OFFICER

    pid = _demo()
    for email in (EVALUATOR, MODERATOR):
        panel.assign(pid, 1, user(email).id, None, user(OFFICER))
    return _state(pid, "initial_tender_evaluation")


def _scores_frozen(state: str) -> int:
    """The demo's lots 1 and 2 scored, moderated and their prices opened (frozen), at ``state``; nothing recorded."""
    from tender.models import AwardRecommendation
    from tests.letters_support import award_demo

    pid = award_demo(lots=(1, 2), approve=False)
    for rec in db.session.scalars(select(AwardRecommendation).where(AwardRecommendation.procurement_id == pid)):
        db.session.delete(rec)  # back to before the recommendations, with the scores still frozen
    return _state(pid, state)


def _approved() -> int:
    from tests.letters_support import award_demo

    return award_demo(lots=(1, 2))


def _letters_sent(smtp) -> int:
    from tender.services.award import letters
    from tests.evaluation_support import user
    from tests.letters_support import OFFICER, award_demo, send_now

    pid = award_demo(lots=(1,))
    letters.draft(pid, user(OFFICER))
    sent = send_now(pid, user(OFFICER), smtp.settings())
    assert sent.standstill_started is not None and not sent.failed
    return pid


def _taking_tenders(app, deadline_passed: bool) -> tuple[int, str]:
    """An open procedure taking tenders through Tender, two lots, two suppliers invited: one with a complete
    draft of lot 1, the other with lot 1 submitted; before the deadline or after it (the box still sealed).
    Returns the procurement id and the first supplier's e-mail."""
    from tender.models import User
    from tender.services.submissions import submitting
    from tests.submissions_support import AFTER, complete_draft, open_tender, user

    _demo()  # the demo's people, one per role
    tender = open_tender(suppliers=2, lots=2, app=app)
    complete_draft(tender.suppliers[0], tender.procurement_id)
    submitting.submit(user(tender.suppliers[1]), complete_draft(tender.suppliers[1], tender.procurement_id))
    officer = db.session.scalar(select(User).where(User.email == DEMO_ROLES["procurement_officer"]))
    db.session.get(Procurement, tender.procurement_id).lead_officer_id = officer.id
    db.session.commit()
    if deadline_passed:
        app.config["TENDER_TODAY"] = AFTER
    return tender.procurement_id, tender.suppliers[0]


SQ_QUESTIONS = ("EX1", "EX2", "EF1", "EF2", "TP1", "TP2", "TP3")  # the selection questionnaire's


def _selection_open(app) -> tuple[int, str]:
    """A competitive procedure with negotiation whose selection questionnaire is open, two suppliers invited,
    one with its questionnaire submitted; returns the procurement id and the other supplier's e-mail."""
    from datetime import date, datetime, timezone

    from tender.models import Invitation, Supplier, User
    from tender.services.submissions import drafting, submitting
    from tests.helpers import CPN_TIMETABLE, make_procurement
    from tests.submissions_support import make_supplier_user, user

    _demo()
    officer = db.session.scalar(select(User).where(User.email == DEMO_ROLES["procurement_officer"]))
    procurement = make_procurement(timetable=CPN_TIMETABLE)
    procurement.state, procurement.lead_officer_id = "sq_published", officer.id
    emails = []
    for name in ("Candidate One Ltd", "Candidate Two Ltd"):
        supplier = Supplier(name=name)
        db.session.add(supplier)
        db.session.flush()
        db.session.add(Invitation(procurement_id=procurement.id, supplier_id=supplier.id,
                                  invited_at=datetime.now(timezone.utc), invited_by_id=officer.id))
        db.session.commit()
        emails.append(make_supplier_user(supplier).email)
    app.config["TENDER_TODAY"] = date(2022, 5, 1)
    draft = drafting.open_draft(user(emails[1]), procurement.id, "sq", 0)
    drafting.save_answers(user(emails[1]), draft.id, {q: f"{q}: evidence." for q in SQ_QUESTIONS})
    submitting.submit(user(emails[1]), draft.id)
    return procurement.id, emails[0]


STAGES = {
    "draft": lambda app, smtp: _demo(),
    "selection questionnaire open": lambda app, smtp: _selection_open(app),
    "taking tenders": lambda app, smtp: _taking_tenders(app, deadline_passed=False),
    "tender deadline passed": lambda app, smtp: _taking_tenders(app, deadline_passed=True),
    "evaluation, panel to declare": lambda app, smtp: _panel_to_declare(),
    "evaluation, scores frozen": lambda app, smtp: _scores_frozen("initial_tender_evaluation"),
    "award decision, nothing recorded": lambda app, smtp: _scores_frozen("award_decision"),
    "award approved": lambda app, smtp: _approved(),
    "letters sent through Tender": lambda app, smtp: _letters_sent(smtp),
    "contract awarded": lambda app, smtp: _state(_approved(), "contract_awarded"),
    "live": lambda app, smtp: _state(_approved(), "live"),
}


def _moves_stage(form) -> bool:
    """Whether pressing the form moves the procurement to another stage (abandoning it, say)."""
    return form.action.split("?")[0].endswith("/advance")


def _walk(client, pid: int, supplier: bool = False, per_pattern: int = 2) -> tuple[list[str], int]:
    """Follow every link and GET form from the dashboard and the procurement page; press every POST button once.

    Returns the dead ends found and how many buttons were pressed.
    """
    if supplier:  # the supplier's home, its pages, and the procurement's pages open to suppliers
        start = ("/supplier/", f"/supplier/procurements/{pid}", f"/supplier/procurements/{pid}/responses",
                 f"/procurements/{pid}/clarifications")
        ours = ("/supplier/", f"/procurements/{pid}/")
    else:
        start = ("/", f"/procurements/{pid}", f"/procurements/{pid}/letters", f"/procurements/{pid}/award",
                 f"/procurements/{pid}/lots/1/evaluation/initial",
                 f"/procurements/{pid}/lots/1/evaluation/initial/ranking")
        ours = (f"/procurements/{pid}",)
    return _walk_pages(client, start, ours, per_pattern)


def _walk_pages(client, start: tuple[str, ...], ours: tuple[str, ...], per_pattern: int = 2) -> tuple[list[str], int]:
    """The walk from ``start``, following and pressing only what leads under ``ours`` (or to "/")."""
    queue, seen, counts, pressed, problems = deque(start), set(), {}, set(), []
    moves_waiting: list[str] = []  # pages offering a stage move, pressed last: abandoning first would hide the rest

    def visit(url: str, moves: bool) -> None:
        while True:  # the page again after each press: its other forms as they now stand
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                return
            html = response.get_data(as_text=True)
            queue.extend(link for link in links_of(html, "http://localhost" + url) if link not in seen)
            forms = forms_of(html, url)
            queue.extend(f.url() for f in forms if f.method == "get" and f.action.startswith(ours))
            waiting = [f for f in forms if f.method == "post" and f.pressable and f.action.startswith(ours)
                       and (pattern(f.action), f.label) not in pressed]
            if not moves and any(_moves_stage(f) for f in waiting):
                moves_waiting.append(url)
                waiting = [f for f in waiting if not _moves_stage(f)]
            if not waiting:
                return
            form = waiting[0]
            pressed.add((pattern(form.action), form.label))
            answer = press(client, form)
            body = answer.get_data(as_text=True)
            if answer.status_code >= 500 or answer.status_code == 400 and not only_asks_for_input(form, body):
                problems.append(f"{url}: “{form.label}” ({form.action}) answered {answer.status_code}: "
                                f"{what_it_said(body)}")
            if answer.status_code in (301, 302, 303) and answer.location:
                queue.append(answer.location.replace("http://localhost", "").split("#")[0])

    while queue:
        url = queue.popleft()
        if url in seen or NOT_PAGES.search(url.split("?")[0]) or not (url == "/" or url.startswith(ours)):
            continue
        key = pattern(url)
        if counts.get(key, 0) >= per_pattern:
            continue
        counts[key] = counts.get(key, 0) + 1
        seen.add(url)
        visit(url, moves=False)
    for url in dict.fromkeys(moves_waiting):
        visit(url, moves=True)
    return problems, len(pressed)


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(STAGES))
def test_no_page_offers_an_action_that_answers_400_when_pressed(app, smtp, stage):
    with app.app_context():
        made = STAGES[stage](app, smtp)
    pid, supplier = made if isinstance(made, tuple) else (made, None)
    problems, pressed = [], {}
    for role in ROLES:
        if role == "supplier" and supplier is None:
            continue  # the demo's own procurement takes no tenders through Tender at these stages
        client = app.test_client()
        assert login(client, supplier if role == "supplier" else DEMO_ROLES[role]).status_code == 302
        found, pressed[role] = _walk(client, pid, supplier=role == "supplier")
        problems += [f"{role}: {p}" for p in found]
    assert pressed.get("procurement_officer") and (supplier is None or pressed["supplier"]), pressed
    assert not problems, f"{len(problems)} offered actions answered 400 or worse:\n" + "\n".join(problems)


@pytest.mark.slow
def test_the_account_pages_offer_no_action_that_answers_400_when_pressed(app, smtp):
    """The administrator's users page (with someone invited, someone deactivated) and each person's own
    account page: every button pressed as offered. The administrator goes last: it deactivates people."""
    from tender.services import users
    from tests.evaluation_support import user

    with app.app_context():
        _demo()
        admin = user(DEMO_ROLES["administrator"])
        users.invite(admin, "new.evaluator@kent.example", "New Evaluator", "evaluator")
        users.set_active(admin, user(DEMO_ROLES["legal_reviewer"]).id, False)
        people = [email for email in DEMO_ROLES.values() if email != DEMO_ROLES["legal_reviewer"]]
    problems, pressed = [], 0
    for email in sorted(people, key=lambda e: e == DEMO_ROLES["administrator"]):
        client = app.test_client()
        assert login(client, email).status_code == 302
        found, count = _walk_pages(client, ("/account/password", "/admin/users"), ("/account/", "/admin/"))
        problems += [f"{email}: {p}" for p in found]
        pressed += count
    assert pressed >= 5 and not problems, "\n".join(problems)
