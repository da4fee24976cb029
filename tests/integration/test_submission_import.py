"""Importing a tender through the supplier's services while the procurement is a draft (the demo loader's way).

``import_mode`` lifts only the stage and shortlist checks, only while the procurement is in its first stage;
the deadline still holds by the clock (``clock.moment`` for a past one), and nothing else changes.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tender.extensions import db
from tender.models import Procurement
from tender.services import clock
from tender.services.errors import InvalidRequest
from tender.services.submissions import drafting, rounds
from tests.submissions_support import open_tender, user

BEFORE = datetime(2022, 7, 8, 10, tzinfo=timezone.utc)
AFTER = datetime(2022, 7, 12, 9, tzinfo=timezone.utc)  # the deadline is the end of 11 July 2022


def _in_draft(tender) -> None:
    db.session.get(Procurement, tender.procurement_id).state = "draft"
    db.session.commit()


def test_a_draft_procurement_takes_an_imported_tender_before_its_deadline_and_nothing_else(ctx):
    tender = open_tender(suppliers=1)
    _in_draft(tender)
    person = user(tender.suppliers[0])
    with clock.moment(BEFORE):
        with pytest.raises(InvalidRequest, match="not being taken at this stage"):
            drafting.open_draft(person, tender.procurement_id, "final", 1)
        submission = drafting.open_draft(person, tender.procurement_id, "final", 1, import_mode=True)
    assert submission.status == "draft"
    with clock.moment(AFTER), pytest.raises(rounds.DeadlinePassed):
        drafting.save_price(person, submission.id, "1000", import_mode=True)


def test_import_mode_changes_nothing_once_the_procurement_has_left_its_first_stage(ctx):
    tender = open_tender(suppliers=1)
    procurement = db.session.get(Procurement, tender.procurement_id)
    procurement.state = "award_decision"
    db.session.commit()
    with clock.moment(BEFORE), pytest.raises(InvalidRequest, match="not being taken at this stage"):
        drafting.open_draft(user(tender.suppliers[0]), tender.procurement_id, "final", 1, import_mode=True)
