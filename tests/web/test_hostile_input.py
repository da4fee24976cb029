"""Bad input never breaks Tender: every route, hostile values, no 500 and no change when refused.

The sweep enumerates ``app.url_map`` (every rule and method), logs in as a
role that can reach each route, and sends hostile values (boundaries, huge,
negative, NaN, far dates, NUL and other control characters, oversized text)
one field or path segment at a time, the rest of the request being valid so
that each value gets as deep as it can. After every refused request (4xx)
every table must be exactly as before. Runs on SQLite and, with
``TENDER_TEST_DATABASE_URL``, on PostgreSQL.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from tender.extensions import db
from tender.models import Milestone, Procurement, SQResponse, Supplier, User
from tests.evaluation_support import build_panel
from tests.clarifications_support import sweep_objects
from tests.helpers import PASSWORD, TEST_CONFIG, login, make_user

HUGE = "100000000000000000000"
HOSTILE = (
    "", "-1", "2147483648", HUGE, "9" * 40, "NaN", "10000000000.01", "0001-01-01", "9999-12-31",
    "9999-12-31T23:59", "x\x00y", "\x07\x1b[2J", "a" * 20_000, ",".join(["1"] * 30),
)
INT_PATH = ("0", "2147483647", "2147483648", "9" * 30)
TEXT_PATH = ("%00", "%1b", "a" * 2000, "..")

# The fields each form-posting endpoint reads, with a valid value (ids are filled in per test).
FIELDS: dict[str, dict[str, str]] = {
    "admin.create_user": {"email": "new.person@test.example", "name": "New Person", "role": "evaluator"},
    # Issue 19: a role change that leaves the role as it is (so the sweep's evaluator stays one); a second
    # invitation to someone who already has a password (refused); people's own passwords.
    "admin.change_role": {"role": "evaluator", "expected": "evaluator"},
    "admin.reinvite": {},
    "account.change_password": {"current": "not the password", "password": "quiet orchard lantern",
                                "confirm": "quiet orchard lantern"},
    "account.set_password": {"password": "quiet orchard lantern", "confirm": "quiet orchard lantern"},
    "account.reset_password": {"password": "quiet orchard lantern", "confirm": "quiet orchard lantern"},
    "account.forgot_password": {"email": "{officer_email}"},
    "admin.set_active": {},
    "auth.login": {"email": "{officer_email}", "password": "wrong password here"},
    "procurements.advance": {"trigger": "publish_sq", "version": "{version}", "reason": "Because"},
    "procurements.decide": {"version": "1", "decision": "shortlisted", "reason": "Meets the criteria"},
    "procurements.justify": {"justification": "Only two suppliers responded"},
    "procurements.milestone_met": {"version": "1", "actual_date": "2022-04-04"},
    "procurements.milestone_replan": {"version": "1", "planned_date": "2022-04-05", "reason": "Moved"},
    "audit.export": {"format": "csv", "procurement": "", "lot": "1", "actor": "", "action": "",
                     "since": "2022-01-01", "until": "2022-12-31"},
    "notifications.reset_calendar_link": {},
    "notifications.set_notice_period": {"working_days": "5"},
    "evaluation.assign": {"user_id": "{evaluator_id}", "sections": "C1"},
    "evaluation.withdraw": {"user_id": "{evaluator_id}", "reason": "Left the council"},
    "evaluation.declare": {"has_conflict": "no", "details": ""},
    "evaluation.score_bid": {"action": "draft", "score-C1": "pass", "rationale-C1": "Evidence",
                             "score-Q1.1": "5", "rationale-Q1.1": "Evidence"},
    "evaluation.moderate_bid": {"action": "draft", "score-Q1.1": "5", "rationale-Q1.1": "Agreed"},
    "evaluation.open_prices": {},
    "setup.new": {"reference": "HOSTILE-1", "title": "Hostile services", "description": "",
                  "procedure": "competitive_procedure_with_negotiation", "regime": "pcr2015",
                  "estimated_value": "1000000.00", "initial_term_years": "3", "extension_years": "2",
                  "lead_officer": "{officer_id}"},
    "setup.add_lot": {"number": "7", "title": "Lot seven", "annual_budget": "1000.00", "evaluation_model": ""},
    "setup.add_funder": {"name": "Kent County Council", "annual_amount": "1000.00", "annual_uplift_percent": "2"},
    "setup.plan_milestone": {"planned_date": "2022-05-09", "owner": "{officer_id}"},
    "setup.register_sq_response": {"supplier_name": "Acme Care Ltd", "received_at": "2022-05-01T10:00"},
    "setup.record_bid": {"lot_number": "1", "supplier": "{supplier_id}", "round": "initial",
                         "received_at": "2022-07-01T10:00", "price": "1000.00"},
    "setup.change_lot": {"title": "Lot one", "annual_budget": "1000.00", "evaluation_model": ""},
    "setup.remove_lot": {},
    "setup.change_funder": {"name": "Kent County Council", "annual_amount": "1000.00", "annual_uplift_percent": "2"},
    "setup.remove_funder": {},
    "setup.plan_timetable": {"date-{milestone_id}": "2022-05-09", "owner-{milestone_id}": "{officer_id}"},
    "award.recommend": {"no_award_reason": ""},
    "award.declare": {"conflict-1": "no", "details-1": ""},
    "award.approve": {"authority": "Delegated decision 22/00033", "note": "", "digest": "0" * 64, "confirm": "y"},
    "award.reopen": {"reason": "Mis-keyed score", "version": "1"},
    "award.confirm_final": {"version": "1"},
    "standstill.notices_sent": {"sent_on": "2022-09-26", "sent_time": "09:00", "electronic": "yes",
                                "received_on": ""},
    "standstill.record_challenge": {"reference": "HT-2022-000001", "issued_on": "2022-09-30",
                                    "aware_on": "2022-09-30", "note": ""},
    "standstill.lift": {"version": "1", "lifted_on": "2022-10-30", "reason": "Order of the court"},
    "contract.record": {"version": "", "reference": "KCC-LWK-2022-01", "signed_on": "2022-10-07",
                        "value": "1250000.00", "starts_on": "2022-10-08", "ends_on": "2025-10-07",
                        "extension_years": "2"},
    "letters.draft": {},
    "letters.send": {"confirm": "yes"},
    "letters.retry": {},
    "letters.letter": {"narrative": "The winning tender was stronger.", "method": "email",
                       "recipient_email": "bidder@test.example"},
    "letters.posted": {"day": "26", "month": "9", "year": "2022"},
    "letters.negotiation_ground": {"ground": "reg. 26(4)(a)(i): needs cannot be met without adaptation"},
    "letters.withhold_price": {"withhold": "yes", "reason": "Releasing it would prejudice the other lots."},
    "selection_letters.draft": {},
    "selection_letters.send": {"confirm": "yes"},
    "selection_letters.letter": {"reasons": "Below the minimum turnover.", "method": "email",
                                 "recipient_email": "candidate@test.example"},
    "selection_letters.posted": {"day": "26", "month": "9", "year": "2022"},
    "publishing.party": {"name": "Kent County Council", "scheme": "GB-PPON", "identifier": "PDXQ-1234-ABCD",
                         "street_address": "Sessions House", "locality": "Maidstone", "postal_code": "ME14 1XQ",
                         "region": "UKJ4", "contact_email": "procurement@kent.example"},
    "publishing.classification": {"cpv_code": "85000000", "submission_method": "electronicSubmission",
                                  "submission_url": "", "enquiry_deadline": "", "vat_percent": "20"},
    "publishing.record_elsewhere": {"notice_number": "011531-2022", "fts_ocid": "ocds-h6vhtk-04eac3",
                                    "published_on": "2022-04-01", "published_time": "10:30"},
    "publishing.publish": {"generated_at": "", "sha256": ""},
    "publishing.fts_numbers": {"fts_ocid": "ocds-h6vhtk-000001", "notice_number": "2022/S 000-000001"},
    "conflicts.record": {"assessment": "Risks of a conflict and how each is mitigated.", "version": ""},
    "conflicts.add_person": {"person": "{officer_id}"},
    "conflicts.declare": {"has_conflict": "no", "details": ""},
    "conflicts.mitigate": {"mitigation": "Kept off the panel.", "version": ""},
    "conflicts.review": {"note": "", "version": ""},
    "conflicts.revisit": {"note": "Checked at award.", "version": ""},
    "abnormally_low.request_explanation": {"requested_on": "2022-08-01", "request": "Explain the price."},
    "abnormally_low.reply": {"received_on": "2022-08-05", "explanation": "Volunteers.", "version": ""},
    "abnormally_low.decide": {"decision": "accepted", "reasons": "Evidenced.", "version": ""},
    "act_standstill.volunteer": {"reason": "Time for suppliers to challenge."},
    "act_standstill.late_reason": {"reason": "The portal was down."},
    "clarifications.ask": {"text": "Does TUPE apply to lot 1?"},
    "clarifications.answer": {"version": "1", "question": "Does TUPE apply?", "answer": "Yes: see annex C."},
    "clarifications.publish": {"kind": "document_change", "question": "Specification replaced", "answer": "See v2."},
    "clarifications.extension": {"version": "1", "decision": "accept", "new_deadline": "2099-01-31", "reason": ""},
    # Supplier accounts (issue 18): the supplier's own details, taking part, registering; the officer's invitations.
    "supplier.organisation": {"name": "Clarifying Supplier Ltd", "scheme": "GB-COH", "identifier": "01234567",
                              "ppon": "", "street_address": "1 High Street", "locality": "Maidstone",
                              "postal_code": "ME14 1XQ", "region": "", "contact_name": "", "contact_email": "",
                              "contact_telephone": "", "url": "", "version": ""},
    "supplier.express_interest": {},
    "supplier.register": {"organisation_name": "Hostile Registrant Ltd", "person_name": "Hal Hostile",
                          "email": "hal@hostile.example"},
    "invitations.index": {"name": "Acme Invited Ltd", "contact_email": "bids@acme.example"},
    "invitations.invite_person": {"name": "Pat Person", "email": "pat@acme.example"},
    # Suppliers' submissions and the tender box (issue 18)
    "submissions_supplier.start": {},
    "submissions_supplier.save_answers": {"version": "1", "answer-Q3": "Our safeguarding approach."},
    "submissions_supplier.save_price": {"version": "1", "price": "1000.00"},
    "submissions_supplier.upload": {"version": "1", "question": ""},
    "submissions_supplier.remove": {"version": "1"},
    "submissions_supplier.submit": {"version": "1"},
    "submissions_supplier.withdraw": {"version": "1"},
    "tender_box.open_box": {"version": ""},
    "tender_box.extend": {"version": "", "new_deadline": "2099-01-31", "reason": "The portal was down."},
}
# GET endpoints that read a query string, and what they read.
QUERIES: dict[str, tuple[str, ...]] = {
    "audit.index": ("page", "lot", "since", "until", "procurement", "actor", "action"),
}
# Who can reach each endpoint (everything else: the procurement officer).
ROLE_FOR = {
    "admin.": "administrator", "audit.": "legal_reviewer", "award.approve": "approver", "award.declare": "approver",
    "evaluation.score_bid": "evaluator", "evaluation.scores_json": "evaluator", "evaluation.declare": "evaluator",
    "evaluation.moderate_bid": "moderator", "auth.login": "anonymous",
    "account.set_password": "anonymous", "account.reset_password": "anonymous",  # from an e-mailed link (issue 19)
    "account.forgot_password": "anonymous",
    "clarifications.ask": "supplier",
    "supplier.register": "anonymous", "supplier.": "supplier",  # issue 18: registering, then the supplier's own
    "submissions_supplier.": "supplier",  # issue 18: the supplier's own responses
}
# Ending the session would log the sweep out; logout takes no input anyway.
SKIPPED = {"auth.logout"}
# A refused login records the attempt (that is the throttle); every other refusal changes nothing.
RECORDS_WHEN_REFUSED = {"auth.login",
                        "submissions_supplier.submit"}  # a late submission's refusal is itself recorded (issue 18)
PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _role(endpoint: str) -> str:
    for prefix, role in ROLE_FOR.items():
        if endpoint.startswith(prefix):
            return role
    return "procurement_officer"


def _snapshot() -> dict:
    """Every row of every table (user_session only counted: its last-seen time moves by design)."""
    state = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name == "user_session":
                state[table.name] = conn.execute(select(func.count()).select_from(table)).scalar()
                continue
            state[table.name] = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
    return state


def _diff(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _setup(app) -> dict:
    """A procurement with a lot, bids, a panel and every role; returns the ids and e-mails the sweep needs."""
    with app.app_context():
        panel = build_panel()
        procurement = db.session.get(Procurement, panel.procurement_id)
        supplier = db.session.scalar(select(Supplier).order_by(Supplier.id))
        db.session.add(SQResponse(procurement_id=procurement.id, supplier_id=supplier.id,
                                  received_at=datetime(2022, 5, 1, 10, tzinfo=timezone.utc)))
        db.session.commit()
        milestone = db.session.scalar(select(Milestone).where(Milestone.procurement_id == procurement.id)
                                      .order_by(Milestone.position))
        users = {"procurement_officer": panel.officer, "evaluator": panel.evaluators[0],
                 "moderator": panel.moderator}
        for role in ("administrator", "approver", "legal_reviewer"):
            users[role] = make_user(role).email
        officer = db.session.scalar(select(User).where(User.email == panel.officer))
        evaluator = db.session.scalar(select(User).where(User.email == panel.evaluators[0]))
        response = db.session.scalar(select(SQResponse).where(SQResponse.procurement_id == procurement.id)
                                     .order_by(SQResponse.id))
        notice = _selection_notice(procurement.id, officer)
        clarifying = sweep_objects(procurement.id, officer)  # tests.clarifications_support
        users.setdefault("supplier", clarifying["supplier_email"])
        return {
            "users": users,
            "path": {"procurement_id": str(procurement.id), "lot_number": str(panel.lot_number),
                     "round_": "initial", "bid_id": str(panel.bid_ids[0]), "milestone_id": str(milestone.id),
                     "response_id": str(response.id), "user_id": str(evaluator.id), "action": "deactivate",
                     "fmt": "mmd", "token": officer.calendar_token or "none", "filename": "css/app.css",
                     "selection_letter_id": str(notice), "question_id": str(clarifying["question"]),
                     "clarification_id": str(clarifying["clarification"]), "round_name": "initial",
                     "supplier_id": str(db.session.scalar(select(User.supplier_id).where(  # an invited supplier
                         User.email == clarifying["supplier_email"])))},
            "fill": {"officer_email": panel.officer, "officer_id": str(officer.id), "evaluator_id": str(evaluator.id),
                     "supplier_id": str(supplier.id), "version": str(procurement.version)},
        }


def _selection_notice(procurement_id: int, officer: User) -> int:
    """A second candidate, rejected at the selection stage, with its notice drafted: the notice routes act on it."""
    from tender.services.procurement import selection_letters

    supplier = db.session.scalar(select(Supplier).order_by(Supplier.id).offset(1))
    db.session.add(SQResponse(procurement_id=procurement_id, supplier_id=supplier.id, decision="rejected",
                              decision_reason="Below the minimum turnover.",
                              received_at=datetime(2022, 5, 2, 10, tzinfo=timezone.utc)))
    db.session.commit()
    (notice,) = selection_letters.draft(procurement_id, officer)
    return notice.id


def _url(rule: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values.get(m.group(2), "1"), rule)  # other ids: 1 (found or not, never a 500)


def _requests(rule, endpoint: str, method: str, data: dict):
    """(url, form) pairs: the valid request, then one hostile path segment or field at a time."""
    path_values = data["path"]
    names = [m.group(2) for m in PARAM.finditer(rule.rule)]
    fill = {**data["fill"], **data["path"]}
    form = {k.format(**fill): v.format(**fill) for k, v in FIELDS.get(endpoint, {}).items()} if method == "POST" else {}
    base = _url(rule.rule, path_values)
    yield base, form
    for name in names:
        hostile = INT_PATH if isinstance(rule._converters[name], IntegerConverter) else TEXT_PATH
        for value in hostile:
            yield _url(rule.rule, {**path_values, name: value}), form
    if method == "POST":
        for field in form:
            for value in HOSTILE:
                yield base, {**form, field: value}
    for param in QUERIES.get(endpoint, ()):
        for value in HOSTILE:
            yield base, {"__query__": {param: value}}


@pytest.fixture
def hostile_app(database_url):
    """The app with CSRF off, so that hostile values reach the views rather than stopping at the token."""
    from tender import create_app

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "LOG_LEVEL": "WARNING"})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_every_route_survives_hostile_values_and_changes_nothing_when_it_refuses(hostile_app):
    app = hostile_app
    data = _setup(app)
    clients = {"anonymous": app.test_client()}
    for role, email in data["users"].items():
        clients[role] = app.test_client()
        assert clients[role].post("/login", data={"email": email, "password": PASSWORD}).status_code == 302, role

    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]
    posting = {r.endpoint for r in rules if "POST" in r.methods}
    assert posting <= set(FIELDS), f"add the fields of {sorted(posting - set(FIELDS))} to FIELDS"

    sent, refused, failures = 0, 0, []
    with app.app_context():
        before = _snapshot()
        for rule in rules:
            client = clients[_role(rule.endpoint)]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for url, form in _requests(rule, rule.endpoint, method, data):
                    if "__query__" in form:
                        response = client.open(url, method=method, query_string=form["__query__"])
                    else:
                        response = client.open(url, method=method, data=form if method == "POST" else None)
                    sent += 1
                    db.session.remove()
                    described = f"{method} {url[:120]} {str(form)[:300]}"
                    after = _snapshot()
                    if response.status_code >= 500:
                        failures.append(f"{response.status_code} from {described}")
                    elif response.status_code >= 400:
                        refused += 1
                        changed = _diff(before, after)
                        if changed and rule.endpoint not in RECORDS_WHEN_REFUSED:
                            failures.append(f"refused ({response.status_code}) but changed {changed}: {described}")
                    before = after
    assert not failures, f"{len(failures)} of {sent} requests went wrong:\n" + "\n".join(failures[:40])
    assert refused > sent // 2  # most hostile values are refused, not silently accepted


# --------------------------------------------------------------------------- the cases the issue found


def _officer_client(app):
    with app.app_context():
        email = make_user("procurement_officer").email
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.mark.parametrize("path", ["/procurements/100000000000000000000", "/procurements/2147483648",
                                  "/procurements/" + "9" * 5000, "/procurements/2147483648/ocds.json"])
def test_an_id_beyond_the_database_range_is_page_not_found(app, path):
    assert _officer_client(app).get(path).status_code == 404


@pytest.mark.parametrize("query", [{"page": 10**20}, {"page": "9" * 5000}, {"page": -3}, {"page": "NaN"}])
def test_an_absurd_audit_page_number_is_clamped_not_an_error(app, query):
    with app.app_context():
        email = make_user("legal_reviewer").email
    client = app.test_client()
    login(client, email)
    assert client.get("/audit/", query_string=query).status_code == 200


@pytest.mark.parametrize("query, message", [
    ({"lot": 10**20}, "Enter a lot number from 1 to 999"),
    ({"until": "9999-12-31"}, "Enter a date between 1 January 1990 and 31 December 2100"),
    ({"since": "0001-01-01"}, "Enter a date between 1 January 1990 and 31 December 2100"),
])
def test_out_of_range_audit_filters_are_refused_with_an_instruction(app, query, message):
    with app.app_context():
        email = make_user("legal_reviewer").email
    client = app.test_client()
    login(client, email)
    response = client.get("/audit/", query_string=query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_nul_byte_in_a_title_is_a_clear_400_and_nothing_is_stored(app):
    from tests.helpers import csrf_post

    client = _officer_client(app)
    response = csrf_post(client, "/procurements/new", {"reference": "NUL-1", "title": "Roads\x00 and bridges"})
    assert response.status_code == 400
    assert "control characters (such as a null byte)" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Procurement)) == 0


def test_the_services_refuse_what_the_issue_found_with_instructions(ctx):
    from tender.services import audit
    from tender.services.errors import InvalidRequest
    from tender.services.procurement import setup

    officer = make_user("procurement_officer")
    system = audit.Actor.system("test")

    def create(**overrides):
        values = dict(reference="B-1", title="Bounds", description="", procedure="competitive_procedure_with_negotiation",
                      regime="pcr2015", estimated_value="1000000", initial_term_years=3, extension_years=[2],
                      electronic_submission=True, qualifying_pin=False, urgency=False,
                      award_on_initial_reserved=False, lead_officer_id=officer.id)
        values.update(overrides)
        return setup.create_procurement(system, *values.values(), import_mode=True)

    cases = [
        ({"estimated_value": "9" * 40}, "between £0.01 and £10,000,000,000"),
        ({"estimated_value": "99999999999999.99"}, "between £0.01 and £10,000,000,000"),
        ({"estimated_value": "NaN"}, "as an amount in pounds"),
        ({"initial_term_years": 99999999999}, "from 1 to 50 years"),
        ({"extension_years": [1] * 30}, "no more than 10 extension options"),
        ({"title": "Roads\x00"}, "control characters"),
        ({"lead_officer_id": 2**40}, "Choose a lead officer"),
    ]
    for overrides, message in cases:
        with pytest.raises(InvalidRequest, match=re.escape(message)):
            create(**overrides)
    assert db.session.scalar(select(func.count()).select_from(Procurement)) == 0


def test_a_milestone_cannot_be_replanned_to_the_year_9999_or_met_in_the_year_1(ctx):
    from tender.services.errors import InvalidRequest
    from tender.services.procurement import milestones
    from tests.helpers import make_procurement

    officer = make_user("procurement_officer")
    procurement = make_procurement()
    milestone = procurement.milestones[0]
    with pytest.raises(InvalidRequest, match="Enter a date between 1 January 1990 and 31 December 2100"):
        milestones.replan(procurement.id, milestone.id, date(9999, 12, 31), "Far", officer, date(2022, 4, 1))
    with pytest.raises(InvalidRequest, match="Enter a date between 1 January 1990 and 31 December 2100"):
        milestones.mark_met(procurement.id, milestone.id, date(1, 1, 1), officer, date(2022, 4, 1))
    db.session.refresh(milestone)
    assert milestone.planned_date is None and milestone.actual_date is None


@pytest.mark.parametrize("column, value", [
    ("estimated_value", Decimal("10000000000.01")), ("estimated_value", Decimal("0")),
    ("initial_term_years", 51), ("initial_term_years", 0),
])
def test_the_database_itself_refuses_values_past_the_bounds(ctx, column, value):
    from sqlalchemy.exc import IntegrityError

    from tests.helpers import make_procurement

    procurement = make_procurement()
    setattr(procurement, column, value)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_a_milestone_date_past_the_bounds(ctx):
    from sqlalchemy.exc import IntegrityError

    from tests.helpers import make_procurement

    procurement = make_procurement()
    procurement.milestones[0].planned_date = date(9999, 12, 31)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_largest_amount_is_stored_and_read_back_to_the_penny(ctx):
    """SQLite keeps NUMERIC as a double: within the bounds that is exact, so the database and the trail agree."""
    from tests.helpers import make_procurement

    procurement = make_procurement()
    procurement.estimated_value = Decimal("9999999999.99")
    db.session.commit()
    procurement_id = procurement.id
    db.session.expunge_all()
    assert db.session.get(Procurement, procurement_id).estimated_value == Decimal("9999999999.99")
