"""The evaluation matrix as .xlsx: a sheet per lot with final and individual scores and every rationale."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, Lot
from tender.services.evaluation import envelope
from tender.services.evaluation import scoring as evaluation_scoring
from tests.evaluation_support import DEMO_MODEL, build_panel, sheet, user
from tests.helpers import login


def scored_panel(app):
    with app.app_context():
        panel = build_panel()
        for email, rationale in zip(panel.evaluators, ("First view", "Second view")):
            for bid_id, value in zip(panel.bid_ids, (3, 2)):
                evaluation_scoring.save_scores(panel.procurement_id, 1, "initial", bid_id, user(email),
                                               sheet(value, rationale), True)
        for bid_id, value in zip(panel.bid_ids, (3, 2)):
            evaluation_scoring.moderate(panel.procurement_id, 1, "initial", bid_id, user(panel.moderator),
                                        sheet(value, "Panel consensus"))
        envelope.open_prices(panel.procurement_id, 1, "initial", user(panel.officer))
        lot2 = Lot(procurement_id=panel.procurement_id, number=2, title="Second lot", evaluation_model=DEMO_MODEL)
        db.session.add(lot2)
        db.session.commit()
        return panel


def rows(sheet_):
    return [[c for c in row] for row in sheet_.iter_rows(values_only=True)]


def test_the_export_has_a_sheet_per_lot_with_scores_totals_and_rationales(app):
    panel = scored_panel(app)
    client = app.test_client()
    login(client, panel.officer)

    response = client.get(f"/procurements/{panel.procurement_id}/evaluation/initial/export.xlsx")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-initial-evaluation.xlsx"')
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Lot 1", "Lot 2"]
    table = rows(book["Lot 1"])
    header = next(r for r in table if r[0] == "Bidder" and "Total" in r)
    start = table.index(header)
    first = next(r for r in table[start + 1:start + 3] if r[0] == panel.bidders[0])
    record = dict(zip(header, first))
    assert record["Q3"] == 3 and record["C1"] == "pass"
    assert (record["Quality"], record["Social value"], record["Price"], record["Price score"], record["Total"],
            record["Rank"]) == (45, 7.5, 100000, 24, 76.5, 1)
    individual = [r for r in table if r[0] == panel.bidders[1] and r[1] in ("Evaluator",)]
    assert len(individual) == 2 and all(r[2] == "pass" for r in individual)
    rationales = {(r[0], r[1], r[4]) for r in table if r[1] == "Q3" and r[4]}
    assert {(panel.bidders[0], "Q3", "First view"), (panel.bidders[0], "Q3", "Second view"),
            (panel.bidders[0], "Q3", "Panel consensus")} <= rationales
    assert any("not final" in str(r[1]) for r in rows(book["Lot 2"]) if r[0] == "Status")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert event.action == "evaluation.exported" and event.actor == panel.officer


def test_evaluators_and_moderators_cannot_export(app):
    panel = scored_panel(app)
    for email in (panel.evaluators[0], panel.moderator):
        client = app.test_client()
        login(client, email)
        assert client.get(f"/procurements/{panel.procurement_id}/evaluation/initial/export.xlsx").status_code == 403


def test_prices_are_left_out_of_the_export_until_they_are_opened(app):
    with app.app_context():
        panel = build_panel()
    client = app.test_client()
    login(client, panel.officer)
    book = load_workbook(io.BytesIO(client.get(
        f"/procurements/{panel.procurement_id}/evaluation/initial/export.xlsx").data))
    table = rows(book["Lot 1"])
    assert not any("Price" in r for r in table)
    assert not any(v in (100000, 80000) for r in table for v in r)
