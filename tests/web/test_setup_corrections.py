"""Lots and funders can be corrected or removed before publication, audited; after it, the officer is told why not."""
from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, Funder, Lot, Procurement
from tests.helpers import csrf_post, login, make_procurement, make_user


@pytest.fixture
def draft(app, client):
    """An officer logged in; a draft procurement with two lots and two funders."""
    with app.app_context():
        email = make_user("procurement_officer").email
        p = make_procurement(lots=2)
        db.session.add_all([Funder(procurement_id=p.id, name="Kent County Council", annual_amount=Decimal("1000.00"),
                                   annual_uplift_percent=Decimal("0"), is_lead=True),
                            Funder(procurement_id=p.id, name="Medway Council", annual_amount=Decimal("500.00"),
                                   annual_uplift_percent=Decimal("2.5"), is_lead=False)])
        db.session.commit()
        lots = {lot.number: lot.id for lot in p.lots}
        funders = {f.name: f.id for f in p.funders}
        pid = p.id
    assert login(client, email).status_code == 302
    return pid, lots, funders, email


def last_event(app) -> AuditEvent:
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()))
        db.session.expunge(event)
        return event


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_an_officer_corrects_a_lot_and_the_change_is_audited(app, client, draft):
    pid, lots, _, email = draft
    page = client.get(f"/procurements/{pid}/set-up")
    assert f'href="/procurements/{pid}/set-up/lots/{lots[1]}"' in page.get_data(as_text=True)
    form = client.get(f"/procurements/{pid}/set-up/lots/{lots[1]}").get_data(as_text=True)
    assert 'value="Lot 1"' in form

    response = csrf_post(client, f"/procurements/{pid}/set-up/lots/{lots[1]}",
                         {"title": "Dartford and Gravesham", "annual_budget": "1430000.00", "evaluation_model": ""})

    assert response.status_code == 302 and response.headers["Location"].endswith("/set-up#lots")
    with app.app_context():
        lot = db.session.get(Lot, lots[1])
        assert (lot.title, lot.annual_budget) == ("Dartford and Gravesham", Decimal("1430000.00"))
    event = last_event(app)
    assert (event.action, event.actor, event.lot) == ("lot.updated", email, 1)
    assert event.to_record()["before"] == {"title": "Lot 1", "annual_budget": None}
    assert event.to_record()["after"] == {"title": "Dartford and Gravesham", "annual_budget": "1430000.00"}


def test_a_lot_form_error_links_to_the_field_and_keeps_what_was_typed(app, client, draft):
    pid, lots, _, _ = draft
    response = csrf_post(client, f"/procurements/{pid}/set-up/lots/{lots[2]}",
                         {"title": "", "annual_budget": "lots", "evaluation_model": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<a href="#lot-title">Enter the lot title</a>' in page
    assert '<a href="#lot-annual-budget">Enter the annual budget in pounds, like 250000.00</a>' in page
    assert 'value="lots"' in page


def test_removing_a_lot_asks_first_then_removes_it_with_an_audit_event(app, client, draft):
    pid, lots, _, _ = draft
    asked = client.get(f"/procurements/{pid}/set-up/lots/{lots[2]}/remove")
    assert asked.status_code == 200 and "Are you sure you want to remove lot 2?" in text_of(asked)
    with app.app_context():
        assert db.session.get(Lot, lots[2]) is not None

    done = csrf_post(client, f"/procurements/{pid}/set-up/lots/{lots[2]}/remove", {"confirmed": "yes"})

    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Lot, lots[2]) is None
    event = last_event(app)
    assert event.action == "lot.removed" and event.to_record()["before"]["title"] == "Lot 2"
    assert "Lot 2: Lot 2 removed." in text_of(client.get(f"/procurements/{pid}/set-up"))


def test_an_officer_corrects_and_removes_a_funder(app, client, draft):
    pid, _, funders, _ = draft
    medway = funders["Medway Council"]
    taken = csrf_post(client, f"/procurements/{pid}/set-up/funders/{medway}",
                      {"name": "Medway Council", "annual_amount": "750", "annual_uplift_percent": "2.5",
                       "is_lead": "y"})
    assert taken.status_code == 400
    assert '<a href="#funder-is-lead">Kent County Council is already the lead funder.' in taken.get_data(as_text=True)

    fixed = csrf_post(client, f"/procurements/{pid}/set-up/funders/{medway}",
                      {"name": "Medway Council", "annual_amount": "750", "annual_uplift_percent": "2.5"})
    assert fixed.status_code == 302
    event = last_event(app)
    assert event.action == "funder.updated" and event.to_record()["after"] == {"annual_amount": "750"}

    removed = csrf_post(client, f"/procurements/{pid}/set-up/funders/{medway}/remove", {"confirmed": "yes"})
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.get(Funder, medway) is None
    assert last_event(app).action == "funder.removed"


def test_after_publication_lots_and_funders_are_not_changed_and_the_officer_is_told_why(app, client, draft):
    pid, lots, funders, _ = draft
    with app.app_context():
        db.session.get(Procurement, pid).state = "sq_published"
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    page = client.get(f"/procurements/{pid}/set-up").get_data(as_text=True)
    assert f"/set-up/lots/{lots[1]}/remove" not in page

    for path, data in [(f"/set-up/lots/{lots[1]}", {"title": "New title"}),
                       (f"/set-up/lots/{lots[1]}/remove", {"confirmed": "yes"}),
                       (f"/set-up/funders/{funders['Medway Council']}/remove", {"confirmed": "yes"})]:
        response = csrf_post(client, f"/procurements/{pid}{path}", data)
        assert response.status_code == 302, path  # Post/Redirect/Get: a refresh does not send it again
        shown = text_of(client.get(response.headers["Location"]))
        assert "cannot be changed or removed once the procurement is published" in shown, path
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert db.session.get(Lot, lots[1]).title == "Lot 1"


def test_a_lot_of_another_procurement_is_not_found(app, client, draft):
    pid, _, _, _ = draft
    with app.app_context():
        other = make_procurement(lots=1).lots[0].id
    assert client.get(f"/procurements/{pid}/set-up/lots/{other}").status_code == 404
    assert csrf_post(client, f"/procurements/{pid}/set-up/lots/{other}/remove", {}).status_code == 404
