"""The deadline to the second, by the server's clock, in summer time and in winter (issue 18, Done when).

A round closes at the end of its deadline day in the UK: 23:59:59 BST is
22:59:59 UTC in July, 23:59:59 GMT is 23:59:59 UTC in December. The last
second is on time and the next is late, whatever the supplier's own clock
said; the register published at the deadline holds exactly the responses
received before it.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import Milestone, Submission, SubmissionReceipt
from tender.services import clock
from tender.services.submissions import submitting, tender_box
from tender.services.submissions.rounds import DeadlinePassed, aware
from tests.submissions_support import complete_draft, open_tender, user

UTC = timezone.utc


@pytest.mark.parametrize("deadline, last_second, first_late", [
    (date(2022, 7, 11), datetime(2022, 7, 11, 22, 59, 59, tzinfo=UTC), datetime(2022, 7, 11, 23, 0, 0, tzinfo=UTC)),
    (date(2022, 12, 12), datetime(2022, 12, 12, 23, 59, 59, tzinfo=UTC), datetime(2022, 12, 13, 0, 0, 0, tzinfo=UTC)),
], ids=["summer time", "winter"])
def test_the_last_second_of_the_deadline_day_is_on_time_and_the_next_is_late(ctx, deadline, last_second, first_late):
    t = open_tender(app=ctx)
    milestone = db.session.scalar(select(Milestone).where(Milestone.procurement_id == t.procurement_id,
                                                          Milestone.key == "tender_deadline"))
    milestone.planned_date = deadline
    db.session.commit()
    on_time, late = (complete_draft(email, t.procurement_id) for email in t.suppliers)

    with clock.moment(last_second):
        receipt = submitting.submit(user(t.suppliers[0]), on_time)
    assert aware(receipt.submitted_at) == last_second  # the server's time, not anything the supplier sent
    with clock.moment(first_late), pytest.raises(DeadlinePassed, match=f"11:59pm on {deadline.day} "):
        submitting.submit(user(t.suppliers[1]), late)
    assert db.session.get(Submission, late).status == "draft"
    assert db.session.scalar(select(SubmissionReceipt).where(SubmissionReceipt.submission_id == late)) is None

    with clock.moment(last_second):
        assert tender_box.publish_if_due(t.procurement_id, "final") is None  # not yet: the box is still open
    with clock.moment(first_late):
        register = tender_box.publish_if_due(t.procurement_id, "final")
    assert register.hashes == (receipt.manifest_hash,)
    assert aware(register.published_at) == first_late
