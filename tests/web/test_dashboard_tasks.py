"""Every role's dashboard lists that person's next tasks, each a link to the page where it is done."""
from __future__ import annotations

import re

from sqlalchemy import select

from tender.demo import BIDDERS, REFERENCE, load_demo
from tender.extensions import db
from tender.models import Bid, Lot, Procurement, User
from tests.evaluation_support import user
from tests.helpers import PASSWORD, make_user
from tests.letters_support import APPROVER, EVALUATOR, MODERATOR, OFFICER, SCORES, drop_submissions, moderated_sheet

TASK = re.compile(r'<li class="app-task"><a class="govuk-link" href="([^"]+)">([^<]+)</a>')


def tasks_of(client, email: str) -> list[tuple[str, str]]:
    """(link, text) of each task on the person's dashboard."""
    client.post("/logout")
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    html = client.get("/").get_data(as_text=True)
    return [(href.replace("&amp;", "&"), text.replace("&#34;", '"')) for href, text in TASK.findall(html)]


def texts(tasks) -> list[str]:
    return [text for _, text in tasks]


def assert_links_work(client, tasks) -> None:
    for href, text in tasks:
        assert client.get(href).status_code == 200, (href, text)


def _lot_one(pid: int) -> Lot:
    return db.session.scalar(select(Lot).where(Lot.procurement_id == pid, Lot.number == 1))


def test_each_role_sees_its_own_next_tasks_as_the_procurement_moves_on(app):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with app.app_context():
        from tender.services.evaluation import envelope, panel, scoring

        load_demo(PASSWORD)
        pid = db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))
        legal = make_user("legal_reviewer").email
        officer, evaluator, moderator = user(OFFICER), user(EVALUATOR), user(MODERATOR)
        for person in (evaluator, moderator):
            panel.assign(pid, 1, person.id, None, officer)

    # The officer's stage move is due at once (the demo is a draft whose timetable is planned).
    officer_tasks = tasks_of(client, OFFICER)
    assert any("Publish" in t and "moves to" in t for t in texts(officer_tasks)), texts(officer_tasks)
    assert_links_work(client, officer_tasks)
    assert tasks_of(client, APPROVER) == [] and tasks_of(client, legal) == []

    # Evaluator and moderator: declare first.
    for email in (EVALUATOR, MODERATOR):
        mine = tasks_of(client, email)
        assert texts(mine) == [f"Declare any conflict of interest for {REFERENCE} lot 1: "
                               f"{_title(app, pid)}"], texts(mine)
        assert_links_work(client, mine)
        assert "Do you have a conflict of interest" in client.get(mine[0][0]).get_data(as_text=True)
    with app.app_context():
        for email in (EVALUATOR, MODERATOR):
            panel.declare(pid, 1, user(email), False, "")
    assert texts(tasks_of(client, EVALUATOR)) == [f"Score 3 tenders of {REFERENCE} lot 1: {_title(app, pid)}"]
    assert tasks_of(client, MODERATOR) == []  # nothing submitted yet: no consensus to agree

    with app.app_context():
        bids = {b.supplier.name: b.id for b in db.session.scalars(select(Bid).where(Bid.lot_id == _lot_one(pid).id))}
        first = BIDDERS[0]
        scoring.save_scores(pid, 1, "initial", bids[first], user(EVALUATOR), moderated_sheet(first, 4), True)
    assert texts(tasks_of(client, EVALUATOR)) == [f"Score 2 tenders of {REFERENCE} lot 1: {_title(app, pid)}"]
    moderating = tasks_of(client, MODERATOR)
    assert texts(moderating) == [f"Agree the consensus scores for 1 tender of {REFERENCE} lot 1: {_title(app, pid)}"]
    assert_links_work(client, moderating)

    with app.app_context():
        for bidder, score in zip(BIDDERS, SCORES[1]):
            sheet = moderated_sheet(bidder, score)
            if bidder != first:
                scoring.save_scores(pid, 1, "initial", bids[bidder], user(EVALUATOR), sheet, True)
            scoring.moderate(pid, 1, "initial", bids[bidder], user(MODERATOR), sheet)
        envelope.open_prices(pid, 1, "initial", user(OFFICER))
        for lot in db.session.scalars(select(Lot).where(Lot.procurement_id == pid, Lot.number != 1)):
            drop_submissions(lot.id)
            for bid in db.session.scalars(select(Bid).where(Bid.lot_id == lot.id)):
                db.session.delete(bid)
        db.session.get(Procurement, pid).state = "award_decision"
        db.session.commit()
    assert tasks_of(client, EVALUATOR) == [] and tasks_of(client, MODERATOR) == []
    officer_tasks = tasks_of(client, OFFICER)
    assert f"{REFERENCE}: record the recommendation for lot 1" in texts(officer_tasks)
    assert_links_work(client, officer_tasks)
    assert tasks_of(client, APPROVER) == []  # lots 2 to 5 have no recommendation yet

    with app.app_context():
        from tender.services.award import recommendation

        recommendation.record(pid, 1, user(OFFICER))
        for number in (2, 3, 4, 5):
            recommendation.record(pid, number, user(OFFICER), "No tenders were received for this lot.")
    approving = tasks_of(client, APPROVER)
    assert texts(approving) == [f"Review and approve the award decision of {REFERENCE}: {_title(app, pid, whole=True)}"]
    assert_links_work(client, approving)
    assert "record the recommendation" not in " ".join(texts(tasks_of(client, OFFICER)))


def _title(app, pid: int, whole: bool = False) -> str:
    with app.app_context():
        if whole:
            return db.session.get(Procurement, pid).title
        return _lot_one(pid).title


def test_a_person_with_nothing_to_do_is_told_so(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        email = make_user("administrator").email
    assert tasks_of(client, email) == []
    assert "Nothing is waiting for you now." in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == email))


def signed_in(app, email: str):
    """A client of its own with ``email`` signed in (once: the login throttle counts every check)."""
    client = app.test_client()
    answer = client.post("/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    home = client.get("/")
    assert home.status_code == 302 and home.location.endswith("/supplier/"), home.location  # its dashboard
    return client


def supplier_tasks_of(client) -> list[tuple[str, str]]:
    """(link, text) of each task on the signed-in supplier's home page."""
    html = client.get("/supplier/").get_data(as_text=True)
    return [(href.replace("&amp;", "&"), text) for href, text in TASK.findall(html)]


def test_a_supplier_is_asked_to_respond_then_to_submit_its_draft_before_the_deadline(app):
    """Invitations open for responses, drafts not submitted, each with its deadline; only the organisation's own."""
    from tender.services.submissions import submitting
    from tests.submissions_support import AFTER, complete_draft, open_tender, user as supplier_user

    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        tender = open_tender(suppliers=2, lots=2, app=app)
        title = db.session.get(Procurement, tender.procurement_id).title
    first, second = tender.suppliers
    client, other = signed_in(app, first), signed_in(app, second)
    deadline = "before 11:59pm on 11 July 2022"
    respond = f"Respond to {tender.reference}: {title} (final tenders) {deadline}"

    assert supplier_tasks_of(client) == [(f"/supplier/procurements/{tender.procurement_id}/responses",
                                                 respond)]
    assert_links_work(client, supplier_tasks_of(client))

    with app.app_context():
        submission_id = complete_draft(first, tender.procurement_id, lot=2)
    drafted = supplier_tasks_of(client)
    assert drafted == [(f"/supplier/submissions/{submission_id}",
                        f"Submit your draft for {tender.reference} lot 2 (final tenders) {deadline}")]
    assert_links_work(client, drafted)
    assert texts(supplier_tasks_of(other)) == [respond]  # never the other organisation's draft

    with app.app_context():
        submitting.submit(supplier_user(first), submission_id)
    assert supplier_tasks_of(client) == []
    assert "Nothing is waiting for you now." in client.get("/supplier/").get_data(as_text=True)
    with app.app_context():
        submitting.withdraw(supplier_user(first), submission_id)
    assert texts(supplier_tasks_of(client)) == [f"Submit your draft for {tender.reference} lot 2 "
                                                       f"(final tenders) {deadline}"]

    app.config["TENDER_TODAY"] = AFTER  # the deadline has passed by the server's clock: nothing can be done
    assert supplier_tasks_of(client) == [] and supplier_tasks_of(other) == []


def test_an_administrator_is_asked_to_send_again_an_invitation_that_expired_unused(app):
    from datetime import timedelta

    from tender.models import AccountLink
    from tender.services import account_links, users

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with app.app_context():
        admin = make_user("administrator")
        admin_email = admin.email
        invited = users.invite(admin, "new.evaluator@kent.example", "New Evaluator", "evaluator")
        account_links.issue(invited, "invite")  # what the worker does with the queued e-mail
        db.session.commit()
    assert tasks_of(client, admin_email) == []  # the link is still good

    with app.app_context():
        link = db.session.scalar(select(AccountLink))
        link.created_at, link.expires_at = link.created_at - timedelta(days=9), link.expires_at - timedelta(days=8)
        invited_id = link.user_id
        db.session.commit()
    mine = tasks_of(client, admin_email)
    assert mine == [("/admin/users", "The invitation to new.evaluator@kent.example expired before they chose a "
                                     "password: send it again")]
    assert "Send invitation again" in client.get(mine[0][0]).get_data(as_text=True)

    with app.app_context():
        account_links.issue(db.session.get(User, invited_id), "invite")  # sent again: a new link
        db.session.commit()
    assert tasks_of(client, admin_email) == []


def test_the_officer_is_asked_to_send_letters_and_record_contracts_and_reviewers_to_review_the_assessment(app):
    """The officer's letters, contracts and overdue milestones, and the reviewers' conflicts assessment, each
    listed until it is done and linked to the page where it is done."""
    from datetime import date

    from tender.services.award import contract, letters
    from tender.services.procurement import conflicts_assessment
    from tests.letters_support import award_demo

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with app.app_context():
        pid = award_demo(lots=(1,))
        letters.draft(pid, user(OFFICER))
        legal = make_user("legal_reviewer").email
    officer_tasks = tasks_of(client, OFFICER)
    assert f"{REFERENCE}: check and send the award letters" in texts(officer_tasks), texts(officer_tasks)
    assert_links_work(client, officer_tasks)
    letters_link = dict((text, href) for href, text in officer_tasks)[f"{REFERENCE}: check and send the award letters"]
    assert letters_link == f"/procurements/{pid}/letters"
    overdue = [t for t in texts(officer_tasks) if " was due on " in t]
    assert overdue, texts(officer_tasks)  # the demo's 2022 timetable, by today's clock
    assert 'govuk-tag--red">Overdue' in client.get("/").get_data(as_text=True)

    # Reviewers: a conflicts assessment prepared by the officer waits for someone else's review.
    assert not [t for t in texts(tasks_of(client, legal)) if "conflicts assessment" in t]
    with app.app_context():
        conflicts_assessment.record(pid, user(OFFICER), "The lead evaluator's spouse works for a bidder: they do "
                                                        "not evaluate that lot.")
    review = f"Review the conflicts assessment of {REFERENCE}"
    for email in (legal, APPROVER):
        mine = tasks_of(client, email)
        assert review in texts(mine), (email, texts(mine))
        assert_links_work(client, mine)
    assert review not in texts(tasks_of(client, OFFICER))  # not the person who prepared it

    # The contract stage: each awarded lot's contract to record, until it is recorded.
    with app.app_context():
        db.session.get(Procurement, pid).state = "contract_awarded"
        db.session.commit()
    record = f"{REFERENCE}: record the contract of lot 1"
    officer_tasks = tasks_of(client, OFFICER)
    assert record in texts(officer_tasks), texts(officer_tasks)
    href = dict((text, href) for href, text in officer_tasks)[record]
    assert href == f"/procurements/{pid}#contract"
    assert 'id="contract"' in client.get(href).get_data(as_text=True)
    with app.app_context():
        contract.record(pid, 1, user(OFFICER), reference="KCC-22/00033-C1", signed_on=date(2022, 10, 3),
                        value="2400000.00", starts_on=date(2022, 11, 1), ends_on=date(2025, 10, 31),
                        extension_years=2)
    assert record not in texts(tasks_of(client, OFFICER))
