"""The baseline for the page benchmark: a bare Flask app serving the same rows as Tender's pages.

    gunicorn -w 2 "benchmarks.bare_app:create_app()"     (DATABASE_URL as for Tender)

No login, no ORM, no templates, no guards: each route runs plain SQL that
returns the rows the Tender page reads from the database and sends them as
JSON. ``/procurement/<id>`` serves the procurement, its milestones, lots,
selection questionnaire responses and the moderated-score counts behind the
evaluation status; ``/ranking/<lot id>/<round>`` serves the lot's bids,
moderated scores, panel and price opening with the agreement recorded when
the scores froze (the large procurement's scores are frozen, so Tender's
ranking page reads no submitted score either). That is "the same work done
plainly": read the rows and write them out.
"""
from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal

from flask import Flask, Response, json
from sqlalchemy import create_engine, text

PROCUREMENT = [
    "SELECT * FROM procurement WHERE id = :id",
    "SELECT * FROM milestone WHERE procurement_id = :id ORDER BY position",
    "SELECT * FROM lot WHERE procurement_id = :id ORDER BY number",
    "SELECT r.*, s.name FROM sq_response r JOIN supplier s ON s.id = r.supplier_id WHERE r.procurement_id = :id",
    "SELECT b.lot_id, b.round, count(*) FROM bid b JOIN lot l ON l.id = b.lot_id WHERE l.procurement_id = :id "
    "GROUP BY b.lot_id, b.round",
    "SELECT b.lot_id, b.round, m.criterion_id, count(*) FROM moderated_score m JOIN bid b ON b.id = m.bid_id "
    "JOIN lot l ON l.id = b.lot_id WHERE l.procurement_id = :id GROUP BY b.lot_id, b.round, m.criterion_id",
]
RANKING = [
    "SELECT * FROM lot WHERE id = :lot",
    "SELECT b.id, b.lot_id, b.round, s.name, b.price FROM bid b JOIN supplier s ON s.id = b.supplier_id "
    "WHERE b.lot_id = :lot AND b.round = :round ORDER BY s.name",
    "SELECT m.bid_id, m.moderator_id, u.name, m.criterion_id, m.value, m.pass_fail, m.rationale, m.version "
    "FROM moderated_score m JOIN bid b ON b.id = m.bid_id JOIN \"user\" u ON u.id = m.moderator_id "
    "WHERE b.lot_id = :lot AND b.round = :round",
    "SELECT a.lot_id, a.user_id, u.name, a.role, a.sections, a.withdrawn_at FROM evaluator_assignment a "
    "JOIN \"user\" u ON u.id = a.user_id WHERE a.lot_id = :lot ORDER BY u.name",
    # Frozen scores: the agreement recorded when they froze, as Tender's ranking page reads it.
    "SELECT lot_id, round, frozen, agreement FROM price_opening WHERE lot_id = :lot",
]


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def create_app() -> Flask:
    """The bare app on ``DATABASE_URL``."""
    app = Flask(__name__)
    engine = create_engine(os.environ["DATABASE_URL"])

    def serve(queries: list[str], params: dict) -> Response:
        with engine.connect() as conn:
            body = [[[_plain(v) for v in row] for row in conn.execute(text(sql), params)] for sql in queries]
        return Response(json.dumps(body), mimetype="application/json")

    @app.route("/procurement/<int:procurement_id>")
    def procurement(procurement_id: int):
        return serve(PROCUREMENT, {"id": procurement_id})

    @app.route("/ranking/<int:lot_id>/<round_>")
    def ranking(lot_id: int, round_: str):
        return serve(RANKING, {"lot": lot_id, "round": round_})

    return app
