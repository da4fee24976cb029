"""The set-up pages: starting a procurement and adding its lots, funders, timetable, responses and tenders.

As in test_authorisation, no test holds an application context while the
client makes requests; setup and checks open their own.
"""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, Bid, Lot, Milestone, Procurement, SQResponse, Supplier
from tests.helpers import CPN_TIMETABLE, csrf_post, login, make_procurement, make_user

NEW_PROCUREMENT = {
    "reference": "KCC-23/00042", "title": "Carers' support service", "description": "Support for unpaid carers.",
    "procedure": "competitive_procedure_with_negotiation", "regime": "pcr2015", "estimated_value": "2,500,000.00",
    "initial_term_years": "3", "extension_years": "1, 1", "electronic_submission": "y",
}


def text_of(response) -> str:
    """The page as text: tags dropped, entities decoded, whitespace collapsed."""
    body = re.sub(r"<svg.*?</svg>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def error_summary(response) -> list[str]:
    page = response.get_data(as_text=True)
    assert 'class="govuk-error-summary"' in page
    summary = page.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]


def event_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def log_in_as(app, client, role: str) -> int:
    """Create a user with ``role``, log the client in; returns the user's id."""
    with app.app_context():
        user = make_user(role)
        user_id, email = user.id, user.email
    assert login(client, email).status_code == 302
    return user_id


@pytest.fixture
def officer(app, client) -> int:
    app.config["TENDER_TODAY"] = "2022-06-01"
    return log_in_as(app, client, "procurement_officer")


@pytest.fixture
def world(app) -> dict:
    """A CPN procurement (pcr2015) in draft with its timetable but one milestone undated, and one supplier."""
    with app.app_context():
        timetable = {k: v for k, v in CPN_TIMETABLE.items() if k != "award_recommended"}
        procurement = make_procurement(timetable=timetable, lots=1)
        milestone_id = db.session.scalar(select(Milestone.id).where(Milestone.procurement_id == procurement.id,
                                                                    Milestone.key == "award_recommended"))
        supplier = Supplier(name="Porchlight")
        db.session.add(supplier)
        db.session.commit()
        return {"id": procurement.id, "milestone_id": milestone_id, "supplier_id": supplier.id,
                "reference": procurement.reference}


def routes(world: dict, user_id: int) -> list[tuple[str, str, dict]]:
    """Every set-up route with data that would succeed for an officer (in a stage that allows it)."""
    base = f"/procurements/{world['id']}/set-up"
    return [
        ("GET", "/procurements/new", {}),
        ("POST", "/procurements/new", {**NEW_PROCUREMENT, "lead_officer": str(user_id)}),
        ("GET", base, {}),
        ("POST", f"{base}/lots", {"number": "2", "title": "West Kent"}),
        ("POST", f"{base}/funders", {"name": "Medway Council", "annual_amount": "1000"}),
        ("POST", f"{base}/milestones/{world['milestone_id']}", {"planned_date": "2022-09-23", "owner": str(user_id)}),
        ("POST", f"{base}/sq-responses", {"supplier_name": "Shaw Trust", "received_at": "2022-05-03T11:00"}),
        ("POST", f"{base}/bids", {"lot_number": "1", "supplier": str(world["supplier_id"]), "round": "initial",
                                  "received_at": "2022-07-08T11:00", "price": "100"}),
    ]


# --------------------------------------------------------------------------- starting a procurement


def test_an_officer_starts_a_procurement_through_the_form_and_lands_on_its_page(app, client, officer):
    assert "Start a new procurement" in text_of(client.get("/"))
    form = client.get("/procurements/new")
    assert form.status_code == 200 and "Competitive procedure with negotiation" in text_of(form)
    response = csrf_post(client, "/procurements/new", {**NEW_PROCUREMENT, "lead_officer": str(officer)},
                         "/procurements/new")
    assert response.status_code == 302
    with app.app_context():
        procurement = db.session.scalar(select(Procurement).where(Procurement.reference == "KCC-23/00042"))
        assert (procurement.state, procurement.extension_years) == ("draft", "1,1")
        assert procurement.lead_officer_id == officer
        assert procurement.conditions == frozenset({"electronic"})
        procurement_id = procurement.id
    assert response.headers["Location"].endswith(f"/procurements/{procurement_id}")
    page = client.get(response.headers["Location"])
    assert "Carers' support service" in text_of(page) and "KCC-23/00042 is created" in text_of(page)
    assert f"/procurements/{procurement_id}/set-up" in page.get_data(as_text=True)


def test_the_new_procurement_form_re_renders_with_400_and_instructions(app, client, officer):
    before = event_count(app)
    response = csrf_post(client, "/procurements/new", {"estimated_value": "a lot", "initial_term_years": "three"},
                         "/procurements/new")
    assert response.status_code == 400
    errors = error_summary(response)
    assert "Enter a reference for the procurement, like KCC-22/00033" in errors
    assert "Enter the estimated value in pounds, like 1250000.00" in errors
    assert "Enter the initial contract term as a whole number of years, like 3" in errors
    assert "Choose the procedure the procurement will follow" in errors
    assert 'value="a lot"' in response.get_data(as_text=True)
    assert event_count(app) == before


def test_a_reference_already_used_is_explained_on_the_form(app, client, officer, world):
    data = {**NEW_PROCUREMENT, "reference": world["reference"], "lead_officer": str(officer)}
    response = csrf_post(client, "/procurements/new", data, "/procurements/new")
    assert response.status_code == 400
    assert error_summary(response) == [f"{world['reference']} is already used by “Test services”. "
                                       "Enter a different reference."]


# --------------------------------------------------------------------------- the set-up page


def test_an_officer_sets_up_lots_funders_timetable_responses_and_tenders(app, client, officer, world):
    base = f"/procurements/{world['id']}/set-up"
    overview = client.get(f"/procurements/{world['id']}").get_data(as_text=True)
    assert f'href="{base}"' in overview
    assert client.get(base).status_code == 200
    for path, data in [
        ("lots", {"number": "2", "title": "West Kent", "annual_budget": "1540000.00",
                  "evaluation_model": "community_services_quality_price_social_value"}),
        ("funders", {"name": "Kent County Council", "annual_amount": "2252648.50", "is_lead": "y"}),
        (f"milestones/{world['milestone_id']}", {"planned_date": "2022-09-23", "owner": str(officer)}),
    ]:
        response = csrf_post(client, f"{base}/{path}", data, base)
        assert response.status_code == 302, (path, text_of(response))
    with app.app_context():
        db.session.get(Procurement, world["id"]).state = "sq_published"
        db.session.commit()
    response = csrf_post(client, f"{base}/sq-responses", {"supplier_name": "Shaw Trust",
                                                          "received_at": "2022-05-03T11:00"}, base)
    assert response.status_code == 302
    with app.app_context():
        response_row = db.session.scalar(select(SQResponse).where(SQResponse.procurement_id == world["id"]))
        response_row.decision = "shortlisted"
        db.session.get(Procurement, world["id"]).state = "itt_issued"
        db.session.commit()
        shaw_trust = response_row.supplier_id
    response = csrf_post(client, f"{base}/bids", {"lot_number": "2", "supplier": str(shaw_trust), "round": "initial",
                                                  "received_at": "2022-05-31T23:30", "price": "1478800.00"}, base)
    assert response.status_code == 302
    page = client.get(base)
    assert "Initial tender from Shaw Trust for lot 2 recorded." in text_of(page)
    assert "1,478,800" not in text_of(page) and "Sealed" in text_of(page)
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))[-5:]
        assert actions == ["lot.created", "funder.added", "milestone.planned", "sq_response.received", "bid.received"]
        assert db.session.scalar(select(func.count()).select_from(Bid)) == 1


@pytest.mark.parametrize("path, data, message", [
    ("lots", {"number": "one", "title": ""}, "Enter the lot number as a whole number, like 1"),
    ("lots", {"number": "1", "title": "Again"}, "Lot 1 already exists (“Lot 1”). Enter a different lot number."),
    ("funders", {"name": "Medway Council", "annual_amount": "£ lots"},
     "Enter the annual contribution in pounds, like 250000.00"),
    ("milestones/{milestone_id}", {"owner": "{officer}"}, "Enter the planned date"),
    ("milestones/{milestone_id}", {"planned_date": "2022-09-31", "owner": "{officer}"},
     "Enter the planned date as a real date, like 4 April 2022"),
    ("sq-responses", {"supplier_name": "Shaw Trust", "received_at": "2022-05-03T11:00"},
     "Selection questionnaire responses can only be registered while the selection questionnaire is open or has "
     "just closed."),
    ("bids", {"lot_number": "1", "supplier": "{supplier_id}", "round": "initial", "received_at": "2022-07-08T11:00",
              "price": "a lot"}, "Enter the tender price in pounds, like 1395000.00"),
])
def test_set_up_form_errors_re_render_the_page_with_400_and_an_instruction(app, client, officer, world, path, data,
                                                                          message):
    values = {"milestone_id": world["milestone_id"], "officer": officer, "supplier_id": world["supplier_id"]}
    base = f"/procurements/{world['id']}/set-up"
    before = event_count(app)
    response = csrf_post(client, f"{base}/{path.format(**values)}", {k: v.format(**values) for k, v in data.items()},
                         base)
    assert response.status_code == 400
    assert message in error_summary(response)
    assert event_count(app) == before


def test_a_statutory_breach_is_refused_on_the_page_with_the_rule(app, client, officer):
    with app.app_context():
        procurement = make_procurement(timetable={"sq_published": date(2022, 4, 4)})
        deadline = db.session.scalar(select(Milestone.id).where(Milestone.procurement_id == procurement.id,
                                                                Milestone.key == "sq_deadline"))
        base = f"/procurements/{procurement.id}/set-up"
    response = csrf_post(client, f"{base}/milestones/{deadline}", {"planned_date": "2022-04-20", "owner": str(officer)},
                         base)
    assert response.status_code == 400
    [error] = error_summary(response)
    assert error.startswith("20 April 2022 cannot be used. Time for requests to participate is too short")


# --------------------------------------------------------------------------- who may, and CSRF


@pytest.mark.parametrize("role", ["administrator", "evaluator", "moderator", "approver", "legal_reviewer"])
def test_only_procurement_officers_reach_any_set_up_route(app, client, world, role):
    user_id = log_in_as(app, client, role)
    before = event_count(app)
    assert "Start a new procurement" not in text_of(client.get("/"))
    for method, path, data in routes(world, user_id):
        if method == "GET":
            response = client.get(path)
        else:
            response = csrf_post(client, path, data, "/notifications")
        assert response.status_code == 403, (role, method, path)
    assert event_count(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lot)) == 1


def test_every_set_up_post_needs_the_csrf_token(app, client, officer, world):
    before = event_count(app)
    for method, path, data in routes(world, officer):
        if method == "POST":
            response = client.post(path, data=data)
            assert response.status_code == 400, path
            assert "Your form could not be sent" in text_of(response)
    assert event_count(app) == before


def test_the_set_up_pages_need_a_login(client, world):
    for method, path, _data in routes(world, 0):
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_tender_received_after_tender_today_is_refused_as_in_the_future(app, client, officer, world):
    """The one clock: "received" is checked against the pretend day (TENDER_TODAY 2022-06-01), as the stages are."""
    base = f"/procurements/{world['id']}/set-up"
    with app.app_context():
        db.session.get(Procurement, world["id"]).state = "sq_published"
        db.session.commit()
    response = csrf_post(client, f"{base}/sq-responses", {"supplier_name": "Later Ltd",
                                                          "received_at": "2022-06-02T09:00"}, base)
    assert response.status_code == 400 and "future" in response.get_data(as_text=True)
