"""No page offers an action that answers 400 when pressed (issue 19, part 3).

The demo procurement is taken stage by stage (draft; evaluation with the
panel to declare; evaluation with the prices opened and the scores frozen;
the award decision before any recommendation; the award approved; the
letters sent through Tender; the contract stage; live). At each, every demo
role in turn follows every link from the dashboard and the procurement's
pages (and the GET forms that lead to a confirmation page), and presses
every POST button it is offered, with the values the page gives it
(``tests.offered_actions``). A 400 is allowed only where the page was asking
for something still to be typed; a 500 never.
"""
from __future__ import annotations

from collections import deque

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import Procurement
from tests.offered_actions import forms_of, only_asks_for_input, press
from tests.page_crawl import DEMO_ROLES, NOT_PAGES, links_of, pattern
from tests.helpers import PASSWORD, login

#: The roles in the order they act at each stage: the officer last, as its buttons move the procurement on.
ROLES = ("evaluator", "moderator", "approver", "legal_reviewer", "administrator", "procurement_officer")


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


STAGES = {
    "draft": lambda smtp: _demo(),
    "evaluation, panel to declare": lambda smtp: _panel_to_declare(),
    "evaluation, scores frozen": lambda smtp: _scores_frozen("initial_tender_evaluation"),
    "award decision, nothing recorded": lambda smtp: _scores_frozen("award_decision"),
    "award approved": lambda smtp: _approved(),
    "letters sent through Tender": _letters_sent,
    "contract awarded": lambda smtp: _state(_approved(), "contract_awarded"),
    "live": lambda smtp: _state(_approved(), "live"),
}


def _walk(client, pid: int, per_pattern: int = 2) -> tuple[list[str], int]:
    """Follow every link and GET form from the dashboard and the procurement page; press every POST button once.

    Returns the dead ends found and how many buttons were pressed.
    """
    start = ("/", f"/procurements/{pid}", f"/procurements/{pid}/letters", f"/procurements/{pid}/award",
             f"/procurements/{pid}/lots/1/evaluation/initial", f"/procurements/{pid}/lots/1/evaluation/initial/ranking")
    ours = f"/procurements/{pid}"
    queue, seen, counts, pressed, problems = deque(start), set(), {}, set(), []
    while queue:
        url = queue.popleft()
        if url in seen or NOT_PAGES.search(url.split("?")[0]) or not (url == "/" or url.startswith(ours)):
            continue
        key = pattern(url)
        if counts.get(key, 0) >= per_pattern:
            continue
        counts[key] = counts.get(key, 0) + 1
        seen.add(url)
        while True:  # the page again after each press: its other forms as they now stand
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                break
            html = response.get_data(as_text=True)
            queue.extend(link for link in links_of(html, "http://localhost" + url) if link not in seen)
            forms = forms_of(html, url)
            queue.extend(f.url() for f in forms if f.method == "get" and f.action.startswith(ours))
            waiting = [f for f in forms if f.method == "post" and f.pressable and f.action.startswith(ours)
                       and (pattern(f.action), f.label) not in pressed]
            if not waiting:
                break
            form = waiting[0]
            pressed.add((pattern(form.action), form.label))
            answer = press(client, form)
            body = answer.get_data(as_text=True)
            if answer.status_code >= 500 or answer.status_code == 400 and not only_asks_for_input(form, body):
                from tests.offered_actions import errors_listed

                problems.append(f"{url}: “{form.label}” ({form.action}) answered {answer.status_code}: "
                                f"{errors_listed(body) or body[:300]}")
            if answer.status_code in (301, 302, 303) and answer.location:
                queue.append(answer.location.replace("http://localhost", "").split("#")[0])
    return problems, len(pressed)


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(STAGES))
def test_no_page_offers_an_action_that_answers_400_when_pressed(app, smtp, stage):
    with app.app_context():
        pid = STAGES[stage](smtp)
    problems, pressed = [], 0
    for role in ROLES:
        client = app.test_client()
        assert login(client, DEMO_ROLES[role]).status_code == 302
        found, count = _walk(client, pid)
        problems += [f"{role}: {p}" for p in found]
        pressed += count
    assert pressed > 0
    assert not problems, f"{len(problems)} offered actions answered 400 or worse:\n" + "\n".join(problems)
