"""Ids stay in their procurement: another procurement's object, named in this one's URL, is a 404 that changes nothing.

The sweep walks ``app.url_map``: every rule with a ``<procurement_id>`` and
another id (``<int:…_id>``) is called with procurement 2's number and
procurement 1's object (its supplier, funder, lot, letter, bid, milestone,
SQ response, challenge…), with every method the rule takes, as a user whose
role may use the route (the same roles and form fields as the hostile-input
sweep), POSTs with a valid CSRF token, once with a valid form and once
empty. Each must answer 404 (an empty form may get its 400 first, the id
unread) without showing procurement 1's object, and no table (the audit
trail included) may change.
Procurement 2 is put in each of several stages in turn, so that a route that
refuses by stage before it reads its object still gets tested where it acts.

A new route with an id this file does not know fails the sweep until
:data:`KIND_OF` says which of procurement 1's objects to use.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from tender.extensions import db
from tender.models import (AuditEvent, AwardLetter, Bid, Funder, Lot, Milestone, Procurement,
                           SQResponse, Supplier)
from tests.clarifications_support import sweep_objects
from tests.evaluation_support import DEMO_MODEL, user
from tests.helpers import CPN_TIMETABLE, csrf_post, login, make_procurement
from tests.letters_support import EVALUATOR, MODERATOR, OFFICER, award_demo
from tests.web.test_hostile_input import FIELDS, PARAM, ROLE_FOR, _diff, _snapshot

#: Path numbers that count within a procurement (lot 1 of procurement 2 is procurement 2's own), not ids.
NUMBERS_IN_PROCUREMENT = {"lot_number"}
#: Which of procurement 1's objects an id parameter names (``owner_id``: the kind is the ``<owner>`` segment).
KIND_OF = {"challenge_id": "challenge", "letter_id": "letter", "bid_id": "bid", "milestone_id": "milestone",
           "funder_id": "funder", "lot_id": "lot", "response_id": "response", "owner_id": "<owner>",
           "person_id": "person", "selection_letter_id": "selection_letter",
           "question_id": "question", "clarification_id": "clarification",
           "supplier_id": "supplier",  # issue 18: the officer's invitations name a supplier of this procurement
           "attachment_id": "attachment"}  # issue 18: a document of a tender opened from the tender box
#: Values for the path's text segments (``owner``: each kind of party that has an id).
TEXT_VALUES = {"owner": ("supplier", "funder"), "round_": ("initial",), "round_name": ("initial",), "kind": ("contract_notice",),
               "trigger": ("publish_sq",), "fmt": ("mmd",)}
#: Procurement 2 is swept in each of these stages (set directly), so each route meets a stage where it acts.
STAGES = ("draft", "sq_evaluation", "initial_tender_evaluation", "award_decision", "standstill")
#: Procurement 1's words that must not appear in any answer about procurement 2.
THEIR_WORDS = ("KCC-22/00033", "Live Well Kent", "Porchlight", "Shaw Trust", "Kent Wellbeing Alliance",
               "HT-2022-000777", "Medway Community Minds")


@dataclass
class World:
    """Procurement 2 (``ours``, in every URL) and procurement 1's object ids by kind (``theirs``)."""

    ours: int
    theirs: int
    their_ids: dict[str, int]
    users: dict[str, str]


def _theirs() -> tuple[int, dict[str, int]]:
    """Procurement 1: the demo taken to an approved award, its letters drafted, a challenge recorded, and the
    candidate that did not tender recorded as rejected at selection with its notice drafted."""
    from tender.services.award import letters, standstill
    from tender.services.procurement import selection_letters

    pid = award_demo(lots=(1, 2))
    officer = user(OFFICER)
    letters.draft(pid, officer)
    tendered = select(Bid.supplier_id).join(Lot).where(Lot.procurement_id == pid)
    not_tendered = db.session.scalar(select(SQResponse).where(SQResponse.procurement_id == pid,
                                                              SQResponse.supplier_id.not_in(tendered)))
    not_tendered.decision, not_tendered.decision_reason = "rejected", "Below the minimum turnover."
    db.session.commit()
    (notice,) = selection_letters.draft(pid, officer)
    challenge = standstill.record_challenge(pid, "HT-2022-000777", date(2022, 9, 30), date(2022, 9, 30),
                                            "Claim about the quality scores.", officer, date(2022, 10, 1))

    def first(model, *where):
        return db.session.scalar(select(model.id).where(*where).order_by(model.id))

    bid = db.session.scalar(select(Bid).join(Lot).where(Lot.procurement_id == pid, Lot.number == 1)
                            .order_by(Bid.id))
    clarifying = sweep_objects(pid, officer)
    return pid, {
        "challenge": challenge.id, "letter": first(AwardLetter, AwardLetter.procurement_id == pid),
        "bid": bid.id, "supplier": bid.supplier_id,
        "milestone": first(Milestone, Milestone.procurement_id == pid, Milestone.key == "service_live"),
        "funder": first(Funder, Funder.procurement_id == pid), "lot": first(Lot, Lot.procurement_id == pid),
        "response": first(SQResponse, SQResponse.procurement_id == pid), "person": officer.id,
        "selection_letter": notice.id,
        **{kind: clarifying[kind] for kind in ("question", "clarification")},
        "attachment": _their_attachment(pid, bid),
    }


def _their_attachment(pid: int, bid) -> int:
    """A document of procurement 1's bid: the demo's own (submitted in Tender), else rows made directly."""
    import io

    from tender.models import Submission, SubmissionAttachment
    from tender.services import clock, storage
    from tests.submissions_support import PDF

    submitted = db.session.scalar(select(SubmissionAttachment.id).join(Submission)
                                  .where(Submission.bid_id == bid.id).order_by(SubmissionAttachment.id))
    if submitted is not None:
        return submitted
    submission = Submission(procurement_id=pid, lot_id=bid.lot_id, lot_number=1, supplier_id=bid.supplier_id,
                            round=bid.round, status="submitted", updated_at=clock.now(), bid_id=bid.id)
    db.session.add(submission)
    db.session.flush()
    stored = storage.save(io.BytesIO(PDF), filename="their-method-statement.pdf")
    attachment = SubmissionAttachment(submission_id=submission.id, stored_file_id=stored.id,
                                      filename="their-method-statement.pdf", added_at=clock.now())
    db.session.add(attachment)
    db.session.commit()
    return attachment.id


def _ours() -> int:
    """Procurement 2: two lots of three tenders, a funder, candidates, and procurement 1's panel on its lots."""
    from tender.services import audit
    from tender.services.evaluation import panel
    from tender.services.procurement import setup

    procurement = make_procurement(timetable=CPN_TIMETABLE, lots=2, candidates=3, bids_per_lot=3)
    for lot in procurement.lots:
        lot.evaluation_model, lot.annual_budget = DEMO_MODEL, Decimal("150000")
    db.session.commit()
    setup.add_funder(audit.Actor.system("test"), procurement.id, "Medway Council", Decimal("100000"), Decimal("0"),
                     is_lead=True, import_mode=True)
    officer = user(OFFICER)
    for number in (1, 2):
        for email in (EVALUATOR, MODERATOR):
            person = user(email)
            panel.assign(procurement.id, number, person.id, None, officer)
            panel.declare(procurement.id, number, person, False, "")
    return procurement.id


def _world(app) -> World:
    with app.app_context():
        theirs, their_ids = _theirs()
        ours = _ours()
        assert db.session.get(Supplier, their_ids["supplier"]) is not None
        assert not db.session.scalar(select(SQResponse.id).where(SQResponse.procurement_id == ours,
                                                                 SQResponse.supplier_id == their_ids["supplier"]))
    users = {"procurement_officer": OFFICER, "evaluator": EVALUATOR, "moderator": MODERATOR,
             "approver": "richard.smith@kent.example"}
    return World(ours, theirs, their_ids, users)


def _role(endpoint: str) -> str:
    return next((role for prefix, role in ROLE_FOR.items() if endpoint.startswith(prefix)), "procurement_officer")


def _id_params(rule) -> list[str]:
    """The rule's int parameters that are ids of rows (not the procurement, not a number within it)."""
    return [name for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter) and name != "procurement_id"
            and name not in NUMBERS_IN_PROCUREMENT]


def foreign_id_rules(app) -> list:
    """Every rule under a procurement that also names a row by its id."""
    return [rule for rule in app.url_map.iter_rules()
            if "procurement_id" in rule.arguments and _id_params(rule)]


def _urls(rule, world: World) -> list[str]:
    """The rule filled with procurement 2's number and procurement 1's ids, one URL per text value combination."""
    texts = [name for name in rule.arguments if name not in rule._converters
             or not isinstance(rule._converters[name], IntegerConverter)]
    combos = [{}]
    for name in texts:
        assert name in TEXT_VALUES, f"add the values of <{name}> ({rule.rule}) to TEXT_VALUES"
        combos = [{**c, name: v} for c in combos for v in TEXT_VALUES[name]]
    urls = []
    for combo in combos:
        values = {"procurement_id": str(world.ours), "lot_number": "1", **combo}
        for name in _id_params(rule):
            assert name in KIND_OF, f"add the kind of object <{name}> names ({rule.rule}) to KIND_OF"
            kind = combo["owner"] if KIND_OF[name] == "<owner>" else KIND_OF[name]
            assert kind in world.their_ids, f"procurement 1 needs a {kind} for {rule.rule}"
            values[name] = str(world.their_ids[kind])
        urls.append(PARAM.sub(lambda m: values[m.group(2)], rule.rule))
    return urls


def _form(endpoint: str) -> dict:
    """The hostile-input sweep's valid form for the endpoint (the same versions, dates and people)."""
    fill = {"officer_email": OFFICER, "officer_id": str(user(OFFICER).id), "evaluator_id": str(user(EVALUATOR).id),
            "supplier_id": "1", "version": "1", "milestone_id": "0"}
    return {k.format(**fill): v.format(**fill) for k, v in FIELDS.get(endpoint, {}).items()}


def _attempts(rule, form: dict) -> list[tuple[str, dict]]:
    """Each method the rule takes; a POST both with its valid form and empty (a form error must not show theirs)."""
    attempts = [(method, {}) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return attempts + ([("POST", form)] if "POST" in rule.methods and form else [])


def _set_stage(app, procurement_id: int, stage: str) -> None:
    with app.app_context():
        db.session.get(Procurement, procurement_id).state = stage
        db.session.commit()


def _audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_sweep_finds_every_kind_of_id_in_a_procurement_url(app):
    rules = {rule.endpoint for rule in foreign_id_rules(app)}
    assert {"publishing.party", "setup.change_funder", "setup.remove_lot", "standstill.lift", "letters.letter",
            "evaluation.score_bid", "procurements.milestone_met", "procurements.decide",
            "selection_letters.letter", "selection_letters.posted"} <= rules
    assert "evaluation.lot" not in rules  # a lot number counts within its procurement: not an id


@pytest.mark.slow
def test_no_route_acts_on_or_shows_an_object_of_another_procurement(app):
    world = _world(app)
    clients = {}
    for role, email in world.users.items():
        clients[role] = app.test_client()
        assert login(clients[role], email).status_code == 302, role
    audit_before = _audit_count(app)
    with app.app_context():
        forms = {rule.endpoint: _form(rule.endpoint) for rule in foreign_id_rules(app)}

    sent, failures = 0, []
    for stage in STAGES:
        _set_stage(app, world.ours, stage)
        with app.app_context():
            before = _snapshot()
        for rule in foreign_id_rules(app):
            client = clients[_role(rule.endpoint)]
            for url in _urls(rule, world):
                for method, form in _attempts(rule, forms[rule.endpoint]):
                    if method == "POST":
                        response = csrf_post(client, url, form)
                    else:
                        response = client.open(url, method=method)
                    sent += 1
                    body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
                    with app.app_context():
                        after = _snapshot()
                    changed, before = _diff(before, after), after
                    described = f"{stage}: {method} {url} {'with its form' if form else 'empty'}" \
                                f" as {_role(rule.endpoint)}"
                    # An empty form may be refused for its shape (400) before the view reads any id.
                    honest = {404, 400} if method == "POST" and not form else {404}
                    if response.status_code not in honest:
                        failures.append(f"{response.status_code} (not {'/'.join(map(str, honest))}) from {described}")
                    shown = [word for word in THEIR_WORDS if word in body]
                    if shown:
                        failures.append(f"procurement 1's {shown} shown by {described}")
                    if changed:
                        failures.append(f"{changed} changed by {described}")
    assert sent >= 5 * 15
    assert not failures, f"{len(failures)} of {sent} requests went wrong:\n" + "\n".join(failures)
    assert _audit_count(app) == audit_before


def test_another_procurement_s_supplier_cannot_be_read_or_rewritten_through_this_one(app, client):
    """``POST /procurements/2/notices/parties/supplier/1`` rewrote procurement 1's supplier, audited under 2."""
    from tender.models import Organisation

    world = _world(app)
    supplier_id = world.their_ids["supplier"]
    with app.app_context():
        before = db.session.scalar(select(Organisation.name).where(Organisation.supplier_id == supplier_id))
    assert login(client, OFFICER).status_code == 302
    audit_before = _audit_count(app)

    url = f"/procurements/{world.ours}/notices/parties/supplier/{supplier_id}"
    page = client.get(url)
    response = csrf_post(client, url, {**FIELDS["publishing.party"], "name": "Rewritten Ltd"})

    assert (page.status_code, response.status_code) == (404, 404)
    assert "Rewritten Ltd" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Organisation.name).where(Organisation.supplier_id == supplier_id)) == before
    assert _audit_count(app) == audit_before
    own = _first_candidate(app, world.ours)
    assert client.get(f"/procurements/{world.ours}/notices/parties/supplier/{own}").status_code == 200


def _first_candidate(app, procurement_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(SQResponse.supplier_id).where(SQResponse.procurement_id == procurement_id)
                                 .order_by(SQResponse.id))
