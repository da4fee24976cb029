"""The demo's award (lots 1 and 2) with letters sent, and the people a lot must stay hidden from.

``conflicted_award()`` (call inside an app context) takes the demo to an
approved award decision for lots 1 and 2, drafts every letter (each lot's
narratives carry a sentence only that lot has), sends them by post, then adds:
an approver who declared a conflict on lot 1 and none on lot 2; a moderator
put on lot 1's panel who declared a conflict on it; and an approver who has
declared nothing. ``only[lot]`` holds the strings (prices, totals, contract
value, the narrative) that belong to that lot and no other, as the pages and
PDFs print them. ``texts_of`` reads a response as text (PDFs with pdftotext).
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from tender.extensions import db
from tender.models import AwardLetter, Bid
from tests.evaluation_support import user
from tests.helpers import make_user
from tests.letters_support import OFFICER, award_demo, send_now

LOTS = (1, 2)
NARRATIVE = "Rationale only lot {lot} has: the winning tender answers its crisis line within {lot}0 seconds."


@dataclass(frozen=True)
class ConflictedAward:
    """Plain values (safe outside the app context) for the requests a test makes."""

    procurement_id: int
    letters: dict[int, list[int]]  # lot number -> its letters' ids
    bids: dict[int, list[int]]  # lot number -> its bids' ids
    only: dict[int, frozenset[str]]  # lot number -> strings printed for that lot and no other
    suppliers: list[str]  # the bidders' names, alphabetically
    conflicted_approver: str
    conflicted_moderator: str
    undeclared_approver: str


def _money(value) -> set[str]:
    value = Decimal(str(value))
    return {f"{value:,.2f}", f"{value:.2f}"}


def printed_for(decision: dict) -> set[str]:
    """What the pages and PDFs print of a lot's recorded decision: prices, price scores, totals, contract value."""
    printed = set()
    for row in decision["ranking"]:
        if row.get("price") is not None:
            printed |= _money(row["price"])
        for key in ("total", "price_score"):
            if row.get(key) is not None:
                printed.add(f"{Decimal(str(row[key])):.2f}")
    for key in ("contract_value", "annual_price"):
        if decision.get(key) is not None:
            printed |= _money(decision[key])
    return printed


def conflicted_award() -> ConflictedAward:
    """The demo's lots 1 and 2 decided, approved, their letters sent; and three people to keep lots from."""
    from tender.services.award import approval, letters, recommendation
    from tender.services.evaluation import panel

    pid = award_demo(lots=LOTS)
    officer = user(OFFICER)
    letters.draft(pid, officer)
    by_lot: dict[int, list[int]] = {}
    for letter in letters.letters_for(pid):
        number = letter.lot.number
        letters.edit(pid, letter.id, officer, f"{letter.narrative}\n\n{NARRATIVE.format(lot=number)}", "post", None)
        by_lot.setdefault(number, []).append(letter.id)
    send_now(pid, officer, None)
    assert db.session.scalar(select(AwardLetter.id).where(AwardLetter.status != "issued")) is None

    printed = {number: printed_for(recommendation.decision_of(rec)) | {NARRATIVE.format(lot=number)}
               for number, rec in recommendation.current(pid).items()}
    only = {n: frozenset(printed[n] - set().union(*(printed[m] for m in printed if m != n))) for n in printed}
    assert all(any("," in s for s in only[n]) for n in LOTS), "each lot needs prices of its own"

    approver = make_user("approver", name="Pat Conflicted-Approver")
    approval.declare_conflicts(pid, approver, {1: (True, "My brother runs one of the bidders."), 2: (False, "")})
    moderator = make_user("moderator", name="Max Conflicted-Moderator")
    panel.assign(pid, 1, moderator.id, None, officer)
    panel.declare(pid, 1, moderator, True, "I was a trustee of one of the bidders until last year.")
    undeclared = make_user("approver", name="Una Undeclared")

    lots = {lot_id: number for number, lot_id in ((n, panel.get_lot(pid, n).id) for n in LOTS)}
    bids: dict[int, list[int]] = {}
    for bid in db.session.scalars(select(Bid).where(Bid.lot_id.in_(lots)).order_by(Bid.id)):
        bids.setdefault(lots[bid.lot_id], []).append(bid.id)
    suppliers = sorted(row["supplier"] for row in json.loads(recommendation.current(pid)[1].decision)["ranking"])
    return ConflictedAward(pid, by_lot, bids, only, suppliers, approver.email, moderator.email, undeclared.email)


def text_of(response) -> str:
    """The response as text, whitespace collapsed: HTML as is, a PDF through pdftotext, a workbook's XML."""
    body = response.data
    if body.startswith(b"%PDF"):
        body = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True).stdout
    elif body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b" ".join(archive.read(name) for name in archive.namelist())
    return " ".join(body.decode("utf-8", "replace").split())


def leaked(strings, text: str) -> list[str]:
    """Which of ``strings`` the text shows."""
    return sorted(s for s in strings if s in text)


SWEPT_BLUEPRINTS = ("award", "letters", "evaluation", "abnormally_low")


def lot_1_urls(app, award: ConflictedAward) -> list[tuple[str, bool]]:
    """Every GET page of the award, letters and evaluation blueprints, read from the url_map, filled for lot 1.

    Each comes with whether it is about lot 1 alone (a lot number, a bid or a letter in its address). A route
    added later is swept too; one with an argument this cannot fill fails here, asking for a value.
    """
    values = {"procurement_id": award.procurement_id, "lot_number": 1, "round_": "initial",
              "letter_id": award.letters[1][0], "bid_id": award.bids[1][0],
              "attachment_id": 1}  # a bid's document: refused for the lot before the document is looked up
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint.split(".")[0] not in SWEPT_BLUEPRINTS:
            continue
        unknown = rule.arguments - values.keys()
        assert not unknown, f"{rule.rule}: add a value for {sorted(unknown)} to the conflict sweep"
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(values[name]), path)
        urls.append((path, bool(rule.arguments & {"lot_number", "bid_id", "letter_id"})))
    return urls
