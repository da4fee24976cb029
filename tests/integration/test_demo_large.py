"""``tender demo --large``: the large procurement loads once and its pages work."""
from __future__ import annotations

from sqlalchemy import func, select

from tender.demo_large import REFERENCE, load_large
from tender.extensions import db
from tender.models import ModeratedScore, Procurement, Score
from tests.helpers import login

PASSWORD = "large-password-2022"


def test_the_large_procurement_loads_once_at_the_size_asked_for(client, app):
    with app.app_context():
        created, lines = load_large(PASSWORD, lots=2, bidders=3, questions=40, evaluators=2)
        assert created and REFERENCE in lines[0]
        assert db.session.scalar(select(func.count()).select_from(Score)) == 2 * 3 * 40 * 2
        assert db.session.scalar(select(func.count()).select_from(ModeratedScore)) == 2 * 3 * 40
        again, lines = load_large(PASSWORD, lots=2, bidders=3, questions=40, evaluators=2)
        assert not again and "already loaded" in lines[0]
        pid = db.session.scalar(select(Procurement.id).where(Procurement.reference == REFERENCE))

    login(client, "large.officer@tender.example", PASSWORD)
    overview = client.get(f"/procurements/{pid}").get_data(as_text=True)
    assert "Complete tender evaluation" in overview and "Final" in overview
    ranking = client.get(f"/procurements/{pid}/lots/2/evaluation/final/ranking")
    assert ranking.status_code == 200 and "Bidder 002" in ranking.get_data(as_text=True)
