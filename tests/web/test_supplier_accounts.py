"""Supplier accounts (issue 18, part 1): organisations, invitations by e-mail, registering, their own pages.

Real database (SQLite, or PostgreSQL with ``TENDER_TEST_DATABASE_URL``),
real SMTP on loopback for the e-mailed links, the real login form. No test
here holds an application context while the client makes requests.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from tender.extensions import db
from tender.models import AuditEvent, Invitation, Organisation, Supplier, User
from tender.services import account_links, jobs, suppliers
from tender.services.errors import InvalidRequest, NotAuthorised, NotFound
from tests.helpers import csrf_post, csrf_token, login, make_procurement, make_user

LINK = re.compile(r"https?://\S+/account/set-password/([A-Za-z0-9_\-]+)")


def _actions(*names: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(names))
                                   .order_by(AuditEvent.seq)))


def _officer():
    return make_user("procurement_officer")


# --------------------------------------------------------------------------- the database's own rules


def test_the_database_refuses_a_supplier_user_without_an_organisation_and_staff_with_one(ctx):
    supplier_user = make_user("supplier")
    officer = _officer()
    with pytest.raises(IntegrityError):
        db.session.execute(update(User).where(User.id == supplier_user.id).values(supplier_id=None))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(User).where(User.id == officer.id).values(supplier_id=supplier_user.supplier_id))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(IntegrityError):  # a staff role cannot be given to a supplier user either
        db.session.execute(text('UPDATE "user" SET role = :role WHERE id = :id'),
                           {"role": "procurement_officer", "id": supplier_user.id})
        db.session.flush()
    db.session.rollback()
    assert db.session.get(User, supplier_user.id).supplier_id is not None


def test_an_administrator_cannot_make_a_supplier_account_without_its_organisation(ctx):
    from tender.services import accounts, audit

    with pytest.raises(InvalidRequest, match="Supplier accounts are made by inviting"):
        accounts.create_user("s@test.example", "S", "supplier", None, audit.Actor.system("test"))
    assert db.session.scalar(select(User).where(User.email == "s@test.example")) is None


def test_one_invitation_per_procurement_and_supplier(ctx):
    officer = _officer()
    procurement = make_procurement()
    first = suppliers.invite_supplier(officer, procurement.id, "Porchlight")
    with pytest.raises(InvalidRequest, match="already invited"):
        suppliers.invite_supplier(officer, procurement.id, "  porchlight ")  # the same organisation, by its name
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert suppliers.is_invited(procurement.id, first.supplier_id)
    assert not suppliers.is_invited(make_procurement().id, first.supplier_id)


# --------------------------------------------------------------------------- invited by the officer


def test_the_officer_invites_an_organisation_and_a_person_who_gets_a_one_time_expiring_link(ctx, smtp):
    officer = _officer()
    procurement = make_procurement()
    invitation = suppliers.invite_supplier(officer, procurement.id, "Porchlight", "bids@porchlight.example")
    person = suppliers.invite_supplier_user(officer, procurement.id, invitation.supplier_id,
                                            "Sam.Bidder@Porchlight.example", "Sam Bidder")
    assert (person.role, person.supplier_id, person.email) == ("supplier", invitation.supplier_id,
                                                               "sam.bidder@porchlight.example")
    assert jobs.work(until_idle=True, mail_settings=smtp.settings()) == 1
    (message,) = [m for m in smtp.handler.messages() if "sam.bidder@porchlight.example" in m["To"]]
    token = LINK.search(message.get_content()).group(1)
    assert "expires in 7 days" in message.get_content()
    assert account_links.check(token, "invite").id == person.id
    assert _actions("supplier.invited", "supplier.user_invited") == ["supplier.invited", "supplier.user_invited"]
    # Until the link is used the account has no password: nothing logs in with any guess.
    from tender.services import accounts
    assert not accounts.verify_password(person.password_hash, "")


def test_a_person_cannot_be_invited_for_a_supplier_not_invited_to_this_procurement(ctx):
    officer = _officer()
    ours, theirs = make_procurement(), make_procurement()
    elsewhere = suppliers.invite_supplier(officer, theirs.id, "Shaw Trust")
    with pytest.raises(NotFound):
        suppliers.invite_supplier_user(officer, ours.id, elsewhere.supplier_id, "x@shaw.example", "X")
    assert db.session.scalar(select(User).where(User.email == "x@shaw.example")) is None


def test_an_address_in_use_elsewhere_is_refused_without_saying_whose(ctx):
    officer = _officer()
    procurement = make_procurement()
    other = make_user("supplier", email="taken@test.example")
    invitation = suppliers.invite_supplier(officer, procurement.id, "Porchlight")
    with pytest.raises(suppliers.OrganisationInvalid) as refused:
        suppliers.invite_supplier_user(officer, procurement.id, invitation.supplier_id, "taken@test.example", "T")
    assert db.session.get(Supplier, other.supplier_id).name not in str(refused.value)
    assert db.session.get(User, other.id).supplier_id == other.supplier_id


def test_the_officer_s_invitation_pages_work_and_are_only_for_the_officer(app, client):
    with app.app_context():
        officer_email = _officer().email
        legal_email = make_user("legal_reviewer").email
        pid = make_procurement().id
    login(client, officer_email)
    page = client.get(f"/procurements/{pid}/suppliers")
    assert page.status_code == 200 and "No supplier organisation is invited yet" in page.get_data(as_text=True)
    bad = csrf_post(client, f"/procurements/{pid}/suppliers", {"name": "  "}, f"/procurements/{pid}/suppliers")
    assert bad.status_code == 400 and "Enter the supplier organisation" in bad.get_data(as_text=True)
    done = csrf_post(client, f"/procurements/{pid}/suppliers", {"name": "Porchlight", "contact_email": ""},
                     f"/procurements/{pid}/suppliers")
    assert done.status_code == 302
    with app.app_context():
        sid = db.session.scalar(select(Supplier.id).where(Supplier.name == "Porchlight"))
    person = csrf_post(client, f"/procurements/{pid}/suppliers/{sid}/people",
                       {"name": "Sam Bidder", "email": "not an address"}, f"/procurements/{pid}/suppliers")
    assert person.status_code == 400 and "Enter an e-mail address in the correct format" in person.get_data(as_text=True)
    person = csrf_post(client, f"/procurements/{pid}/suppliers/{sid}/people",
                       {"name": "Sam Bidder", "email": "sam@porchlight.example"}, f"/procurements/{pid}/suppliers")
    assert person.status_code == 302
    assert "sam@porchlight.example" in client.get(f"/procurements/{pid}/suppliers").get_data(as_text=True)

    other = client.application.test_client()
    login(other, legal_email)
    assert other.get(f"/procurements/{pid}/suppliers").status_code == 403


# --------------------------------------------------------------------------- the supplier's own pages


def _supplier_world(app):
    """Procurement 1 invites supplier A (with a user) and supplier B; procurement 2 invites only B."""
    with app.app_context():
        officer = _officer()
        one, two = make_procurement(reference="ONE-1"), make_procurement(reference="TWO-2")
        a = suppliers.invite_supplier(officer, one.id, "Alpha Care Ltd")
        b = suppliers.invite_supplier(officer, one.id, "Beta Support CIC")
        suppliers.invite_supplier(officer, two.id, "Beta Support CIC")
        a_user = make_user("supplier", supplier_id=a.supplier_id)
        return {"one": one.id, "two": two.id, "a": a.supplier_id, "b": b.supplier_id, "a_email": a_user.email}


def test_a_supplier_logs_in_at_the_same_page_and_lands_on_its_own_invitations(app, client):
    world = _supplier_world(app)
    response = login(client, world["a_email"])
    assert response.status_code == 302
    home = client.get("/", follow_redirects=True)
    html = home.get_data(as_text=True)
    assert home.request.path == "/supplier/"
    assert "ONE-1" in html and "Alpha Care Ltd" in html
    assert "TWO-2" not in html and "Beta Support" not in html
    assert html.count("<h1") == 1
    assert client.get(f"/supplier/procurements/{world['one']}").status_code == 200
    assert client.get(f"/supplier/procurements/{world['two']}").status_code == 404


@pytest.mark.parametrize("path", ["/procurements/{one}", "/procurements/{one}/suppliers", "/admin/users",
                                  "/audit/", "/notifications", "/procurements/{one}/ocds.json"])
def test_a_supplier_never_reaches_a_staff_page(app, client, path):
    world = _supplier_world(app)
    login(client, world["a_email"])
    assert client.get(path.format(**world)).status_code == 403


def test_staff_do_not_reach_the_supplier_s_pages(app, client):
    with app.app_context():
        email = _officer().email
    login(client, email)
    for path in ("/supplier/", "/supplier/organisation", "/supplier/opportunities"):
        assert client.get(path).status_code == 403, path


ORGANISATION = {"name": "Alpha Care Ltd", "scheme": "GB-COH", "identifier": "01234567", "ppon": "",
                "street_address": "1 High Street", "locality": "Maidstone", "postal_code": "me14 1xq", "region": "",
                "contact_name": "Sam", "contact_email": "bids@alpha.example", "contact_telephone": "", "url": ""}


def test_a_supplier_corrects_its_organisation_s_details_audited_and_checked(app, client):
    world = _supplier_world(app)
    login(client, world["a_email"])
    bad = csrf_post(client, "/supplier/organisation", {**ORGANISATION, "postal_code": "nowhere"},
                    "/supplier/organisation")
    assert bad.status_code == 400 and "Enter a UK postcode" in bad.get_data(as_text=True)
    taken = csrf_post(client, "/supplier/organisation", {**ORGANISATION, "name": "beta support cic"},
                      "/supplier/organisation")
    assert taken.status_code == 400 and "Another organisation" in taken.get_data(as_text=True)
    assert "Beta Support CIC" not in taken.get_data(as_text=True).replace("beta support cic", "")
    saved = csrf_post(client, "/supplier/organisation", {**ORGANISATION, "version": ""}, "/supplier/organisation")
    assert saved.status_code == 302
    stale = csrf_post(client, "/supplier/organisation", {**ORGANISATION, "locality": "Ashford", "version": "7"},
                      "/supplier/organisation")
    assert stale.status_code in (302, 409)
    with app.app_context():
        row = db.session.scalar(select(Organisation).where(Organisation.supplier_id == world["a"]))
        assert (row.identifier, row.postal_code, row.locality) == ("01234567", "ME14 1XQ", "Maidstone")
        assert db.session.get(Supplier, world["a"]).companies_house_number == "01234567"
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "supplier.organisation_changed"))
        assert event.object_id == str(world["a"])


# --------------------------------------------------------------------------- registering and open procedures


def test_registering_sends_a_link_and_an_address_already_registered_learns_nothing(app, client, smtp):
    page = client.get("/supplier/register")
    assert page.status_code == 200
    token = csrf_token(client, "/supplier/register")
    form = {"organisation_name": "Gamma Homes Ltd", "person_name": "Gail Gamma", "email": "gail@gamma.example",
            "csrf_token": token}
    done = client.post("/supplier/register", data=form)
    assert done.status_code == 200 and "Check your e-mail" in done.get_data(as_text=True)
    again = client.post("/supplier/register", data={**form, "organisation_name": "Another Name Ltd"})
    assert again.status_code == 200 and "Check your e-mail" in again.get_data(as_text=True)  # the same answer
    clash = client.post("/supplier/register", data={**form, "email": "other@gamma.example"})
    assert clash.status_code == 400 and "already registered" in clash.get_data(as_text=True)
    with app.app_context():
        (person,) = db.session.scalars(select(User).where(User.role == "supplier"))
        assert person.email == "gail@gamma.example"
        assert db.session.get(Supplier, person.supplier_id).name == "Gamma Homes Ltd"
        assert db.session.scalar(select(func.count()).select_from(Supplier).where(Supplier.name == "Another Name Ltd")) == 0
        assert jobs.work(until_idle=True, mail_settings=smtp.settings()) == 1
    (message,) = smtp.handler.messages()
    assert LINK.search(message.get_content())


def test_a_registered_supplier_takes_part_in_an_open_procedure_only_while_its_notice_invites_responses(ctx):
    supplier_user = make_user("supplier")
    open_one = make_procurement("open_procedure", lots=1)
    open_one.state = "tender_published"
    closed = make_procurement("open_procedure", lots=1)
    closed.state = "tender_evaluation"
    cpn = make_procurement()
    db.session.commit()
    assert [p.id for p in suppliers.open_opportunities(supplier_user.supplier_id)] == [open_one.id]
    invitation = suppliers.express_interest(supplier_user, open_one.id)
    assert (invitation.how, invitation.invited_by_id) == ("interest", supplier_user.id)
    assert suppliers.open_opportunities(supplier_user.supplier_id) == []
    for procurement in (closed, cpn):
        with pytest.raises(NotFound):
            suppliers.express_interest(supplier_user, procurement.id)
    assert _actions("supplier.interest_expressed") == ["supplier.interest_expressed"]
    with pytest.raises(NotAuthorised):
        suppliers.express_interest(make_user("procurement_officer"), open_one.id)


def test_registering_is_for_people_not_logged_in(app, client):
    with app.app_context():
        email = _officer().email
    login(client, email)
    assert client.get("/supplier/register").status_code == 302
    token = csrf_token(client, "/")
    refused = client.post("/supplier/register", data={"organisation_name": "X Ltd", "person_name": "X",
                                                      "email": "x@x.example", "csrf_token": token})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Supplier).where(Supplier.name == "X Ltd")) == 0
