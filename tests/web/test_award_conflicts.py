"""Conflicts close the award's doors too: the award page, every letter and the report, through the Flask client.

The demo's lots 1 and 2 are decided, approved and their letters sent
(``tests.award_conflicts_support``). An approver and a moderator who declared
a conflict on lot 1 see none of its prices, scores or rationales anywhere,
and still see lot 2; an approver who has declared nothing sees no price at
all until they declare; the officer and the ``tender report`` command see
everything. No application context is held while the client makes requests.
"""
from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tender.demo import REFERENCE
from tender.extensions import db
from tender.models import AuditEvent
from tender.services.award.report import declaration_timing
from tests.award_conflicts_support import conflicted_award, leaked, text_of
from tests.helpers import csrf_post, login
from tests.letters_support import OFFICER

pytestmark = pytest.mark.slow


@pytest.fixture
def award(app):
    with app.app_context():
        return conflicted_award()


def client_for(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def letter_urls(award, lot: int) -> list[str]:
    base = f"/procurements/{award.procurement_id}/letters"
    return [url for letter_id in award.letters[lot]
            for url in (f"{base}/{letter_id}", f"{base}/{letter_id}/preview.pdf", f"{base}/{letter_id}/document.pdf")]


def prices(strings) -> list[str]:
    """The money among a lot's strings, as pages and PDFs print it (1,395,000.00)."""
    return [s for s in strings if "," in s and "Rationale" not in s]


def award_url(award) -> str:
    return f"/procurements/{award.procurement_id}/award"


def report_url(award) -> str:
    return f"/procurements/{award.procurement_id}/report.pdf"


@pytest.mark.parametrize("who", ["conflicted_approver", "conflicted_moderator"])
def test_whoever_declared_a_conflict_on_lot_1_sees_none_of_it_and_all_of_lot_2(app, award, who):
    client = client_for(app, getattr(award, who))

    page = text_of(client.get(award_url(award)))
    assert "You declared a conflict of interest on lot 1, so it is not shown." in page
    assert not leaked(award.only[1], page) and all(p in page for p in prices(award.only[2]))

    for url in letter_urls(award, 1):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "conflict of interest on lot 1" in response.get_data(as_text=True), url
        assert not leaked(award.only[1], text_of(response)), url
    for url in letter_urls(award, 2):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not leaked(award.only[1], text_of(response)), url
    narrative_2 = next(s for s in award.only[2] if "Rationale" in s)
    assert narrative_2 in text_of(client.get(letter_urls(award, 2)[2]))  # the stored PDF as sent

    index = client.get(f"/procurements/{award.procurement_id}/letters").get_data(as_text=True)
    assert "You declared a conflict of interest on lot 1, so it is not shown." in index
    assert not [i for i in award.letters[1] if f"/letters/{i}" in index]
    assert all(f"/letters/{i}" in index for i in award.letters[2])

    report = client.get(report_url(award))
    text = text_of(report)
    assert report.status_code == 200 and "leaves out lot 1" in text
    assert not leaked(award.only[1], text)
    assert all(p in text for p in prices(award.only[2])), "lot 2's prices are still in the report"


def test_an_approver_who_has_not_declared_sees_no_price_anywhere_until_they_declare(app, award):
    client = client_for(app, award.undeclared_approver)
    every_lot = award.only[1] | award.only[2]

    response = client.get(award_url(award))
    page = text_of(response)
    assert response.status_code == 200 and not leaked(every_lot, page)
    assert "Lots 1 and 2 are not shown until you have declared whether you have a conflict of interest" in page
    legends = re.findall(r"Lot (\d): do you have a conflict of interest with ([^?]+)\?", page)
    assert legends == [("1", ", ".join(award.suppliers)), ("2", ", ".join(award.suppliers))]  # not ranking order
    assert page.index("Record my declarations") < page.index('id="lot-1"')
    for url in letter_urls(award, 1) + letter_urls(award, 2):
        response = client.get(url)
        assert response.status_code == 403 and not leaked(every_lot, text_of(response)), url
        assert "Declare whether you have a conflict of interest on lot" in response.get_data(as_text=True)
    index = client.get(f"/procurements/{award.procurement_id}/letters").get_data(as_text=True)
    assert not [i for lot in (1, 2) for i in award.letters[lot] if f"/letters/{i}" in index]
    report = text_of(client.get(report_url(award)))
    assert "leaves out lots 1, 2" in report and not leaked(every_lot, report)

    declared = csrf_post(client, f"{award_url(award)}/declarations",
                         {"conflict-1": "no", "details-1": "", "conflict-2": "yes",
                          "details-2": "I sit on the board of one of the bidders."}, award_url(award))
    assert declared.status_code == 302
    page = text_of(client.get(award_url(award)))
    assert leaked(award.only[1], page) and not leaked(award.only[2], page)
    assert "You declared a conflict of interest on lot 2, so it is not shown." in page
    assert client.get(letter_urls(award, 1)[0]).status_code == 200
    assert client.get(letter_urls(award, 2)[0]).status_code == 403


def test_the_officer_and_the_tender_report_command_still_see_every_lot(app, award, tmp_path):
    client = client_for(app, OFFICER)
    every_lot = award.only[1] | award.only[2]
    page = text_of(client.get(award_url(award)))
    assert 'id="hidden-lots"' not in page and all(p in page for p in prices(every_lot))
    assert "leaves out" not in text_of(client.get(report_url(award)))

    result = app.test_cli_runner().invoke(args=["report", "--procurement", REFERENCE,
                                                "--output", str(tmp_path / "report.pdf")])
    assert result.exit_code == 0, result.output
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True,
                                   check=True, text=True).stdout.split())
    assert "leaves out" not in text and all(p in text for p in prices(every_lot))
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "procurement.report_generated")
                                    .order_by(AuditEvent.seq)).all()
        assert [e.to_record()["after"].get("lots_left_out") for e in events] == [None, None]


def test_the_report_places_every_declaration_before_or_after_its_lots_price_opening(app, award):
    text = text_of(client_for(app, OFFICER).get(report_url(award)))
    assert "each before they saw any tender" not in text
    # The demo's panel declared before the prices were opened; the approvers and the late moderator after.
    assert "9 declarations of interest were recorded by the people evaluating, moderating and approving: " \
           "4 before the lot's prices were opened, 5 after." in text
    assert "Before the lot's prices were opened" in text and "and its award recommendation was recorded" in text
    assert "Barred from approving the award decision" in text
    with app.app_context():
        from tender.models import Procurement
        from tender.services.award import report

        rows = report.build(db.session.get(Procurement, award.procurement_id))["declarations"]
    timing = {(r["lot"], r["person"]): r["timing"] for r in rows}
    assert timing[(1, "Sam Evans")] == timing[(2, "Chris Taylor")] == "Before the lot's prices were opened"
    for who in ("Pat Conflicted-Approver", "Max Conflicted-Moderator", "Richard Smith"):
        assert timing[(1, who)].startswith("After the lot's prices were opened ("), who
        assert timing[(1, who)].endswith(" UTC)") and "award recommendation was recorded" in timing[(1, who)]


def test_a_declarations_place_in_the_order_of_events_is_said_plainly():
    opened = datetime(2022, 9, 20, 10, 0, tzinfo=timezone.utc)
    recorded = opened + timedelta(days=3)
    assert declaration_timing(opened - timedelta(minutes=1), opened, recorded) == \
        "Before the lot's prices were opened"
    assert declaration_timing(opened, None, None) == "Before the lot's prices were opened"
    assert declaration_timing(opened + timedelta(hours=1), opened, recorded) == \
        "After the lot's prices were opened (20/09/2022 10:00 UTC)"
    assert declaration_timing(recorded, opened, recorded) == ("After the lot's prices were opened (20/09/2022 10:00 "
                                                             "UTC) and its award recommendation was recorded "
                                                             "(23/09/2022 10:00 UTC)")


def test_an_approver_who_has_not_declared_sees_no_price_on_the_lots_ranking_page_either(app, award):
    client = client_for(app, award.undeclared_approver)
    response = client.get(f"/procurements/{award.procurement_id}/lots/1/evaluation/initial/ranking")
    assert response.status_code == 403 and not leaked(award.only[1], text_of(response))
