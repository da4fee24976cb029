"""Under the Procurement Act every page speaks the Act: no page of an Act procurement cites the PCR 2015.

The Act procurement of ``test_procurement_act_path`` is walked to live through
the web (with its assessment summaries drafted too); at each stop every GET route in
the app's url_map that takes a ``procurement_id`` is fetched as the officer,
with every value its other arguments can take for that procurement (its lot,
round, bids, letters, notices, parties, milestones, responses, challenges,
stage buttons, diagram formats). Each page that answers is searched for a
citation of the Public Contracts Regulations 2015 (the Procurement
Regulations 2024 may be cited by regulation number), and, until the contract
award notice is out, for any claim that standstill has started (under the Act
it starts with that notice, s.51). The pages are read at five points: the
tender notice out, the award approved (with the summaries drafted), the
summaries sent, standstill, and live.
"""
from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import (AwardLetter, Bid, Funder, LegalChallenge, Lot, Milestone, Notice, Procurement,
                           SelectionLetter, SQResponse, Submission, SubmissionAttachment)
from tender.services.procurement.definitions import definition_of
from tender.services.submissions import rounds
from tests.act_support import pcr_citations
from tests.web.test_procurement_act_path import text_of, walk_to_live

pytestmark = pytest.mark.slow

#: Under the Act standstill starts with the UK6 (s.51): no page may say it started before one is out.
STANDSTILL_STARTED = re.compile(r"standstill (?:has )?started", re.IGNORECASE)
TEXT_TYPES = ("text/html", "application/json", "text/plain", "text/calendar", "text/vnd.graphviz",
              "text/markdown", "image/svg+xml")


def test_the_detector_finds_pcr_citations_and_lets_the_2024_regulations_be():
    assert pcr_citations("Procurement report under regulation 84") and pcr_citations("(PCR 2015 reg. 24)")
    assert pcr_citations("standstill: regulation 87(2)(b)") and pcr_citations("regs 74 to 76")
    assert pcr_citations("the Public Contracts Regulations 2015")
    assert not pcr_citations("Procurement Act 2023 s.51; Procurement Regulations 2024, regulation 19")
    assert not pcr_citations("regulation 19 of the Procurement Regulations 2024")


def _values(pid: int, officer) -> dict[str, list]:
    """Every value each URL argument can take for this procurement."""
    def read():
        lot_ids = list(db.session.scalars(select(Lot.id).where(Lot.procurement_id == pid)))
        bids = list(db.session.scalars(select(Bid.id).where(Bid.lot_id.in_(lot_ids))))
        suppliers = list(db.session.scalars(select(SQResponse.supplier_id).where(SQResponse.procurement_id == pid)))
        procurement = db.session.get(Procurement, pid)
        return {
            "lot_number": [1], "round_": ["final"], "bid_id": bids, "lot_id": lot_ids,
            "funder_id": list(db.session.scalars(select(Funder.id).where(Funder.procurement_id == pid))),
            "letter_id": list(db.session.scalars(select(AwardLetter.id).where(AwardLetter.procurement_id == pid))),
            "selection_letter_id": list(db.session.scalars(select(SelectionLetter.id)
                                                           .where(SelectionLetter.procurement_id == pid))),
            "kind": list(db.session.scalars(select(Notice.kind).where(Notice.procurement_id == pid))),
            "owner": ["authority", "supplier"], "owner_id": [0, *suppliers],
            "milestone_id": list(db.session.scalars(select(Milestone.id).where(Milestone.procurement_id == pid))),
            "response_id": list(db.session.scalars(select(SQResponse.id).where(SQResponse.procurement_id == pid))),
            "challenge_id": list(db.session.scalars(select(LegalChallenge.id)
                                                    .where(LegalChallenge.procurement_id == pid))),
            "trigger": [t.trigger for t in definition_of(procurement).transitions],
            "fmt": ["mmd", "dot", "svg"],
            "round_name": list(rounds.rounds_of(procurement)),  # the tender box and register of each round
            "attachment_id": list(db.session.scalars(
                select(SubmissionAttachment.id).join(Submission, Submission.id == SubmissionAttachment.submission_id)
                .where(Submission.procurement_id == pid))),
        }
    return officer.read(read)


def _crawl(app, officer, checked: list, cited: dict, unfilled: set, uk6_out: bool) -> None:
    """Fetch every GET page of the procurement as it stands, with every value of its other arguments."""
    values = _values(officer.pid, officer)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "procurement_id" not in rule.arguments:
            continue
        others = sorted(rule.arguments - {"procurement_id"})
        if any(name not in values for name in others):
            unfilled.add(rule.rule)
            continue
        for combination in itertools.product(*(values[name] for name in others)):
            path = app.url_map.bind("localhost").build(rule.endpoint, {"procurement_id": officer.pid,
                                                                       **dict(zip(others, combination))})
            response = officer.client.get(path)
            if response.status_code != 200 or not response.mimetype.startswith(TEXT_TYPES):
                continue
            text = text_of(response) if response.mimetype == "text/html" else response.get_data(as_text=True)
            checked.append(path)
            if pcr_citations(text):
                cited[f"{path} at {officer.state()}"] = pcr_citations(text)
            if not uk6_out and STANDSTILL_STARTED.search(text):
                cited[f"{path} at {officer.state()}"] = [STANDSTILL_STARTED.search(text).group(0)]
    for path in ("/", "/notifications"):
        checked.append(path)
        found = pcr_citations(text_of(officer.client.get(path)))
        if found:
            cited[f"{path} at {officer.state()}"] = found


def test_no_page_of_an_act_procurement_cites_the_public_contracts_regulations(app):
    checked, cited, unfilled = [], {}, set()

    def visit(officer, moment: str) -> None:
        if moment == "award approved":  # the assessment summaries' own pages, drafted from the decision
            officer.post(f"/procurements/{officer.pid}/letters/draft", {})
        _crawl(app, officer, checked, cited, unfilled, uk6_out=moment in ("standstill", "live"))

    officer = walk_to_live(app, visit)
    assert unfilled == set(), f"routes whose arguments the crawl cannot fill: {sorted(unfilled)}"
    assert cited == {}, cited
    pid = officer.pid
    for page in (f"/procurements/{pid}", f"/procurements/{pid}/award", f"/procurements/{pid}/conflicts-assessment",
                 f"/procurements/{pid}/lots/1/abnormally-low", f"/procurements/{pid}/standstill-and-notices",
                 f"/procurements/{pid}/letters", f"/procurements/{pid}/letters/1", f"/procurements/{pid}/notices",
                 f"/procurements/{pid}/notices/award", f"/procurements/{pid}/lots/1/evaluation/final/ranking",
                 f"/procurements/{pid}/advance/abandon"):
        assert page in checked, page
    assert len(set(checked)) > 30 and len(checked) > 100  # distinct pages, each read at several stages
