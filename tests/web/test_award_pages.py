"""The award's integrity through HTTP: frozen scores refuse (409), conflicts close every door,
sealed prices stay out of the audit trail, and concurrent consensus edits give one winner."""
from __future__ import annotations

import http.cookiejar
import json
import re
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from decimal import Decimal

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import Bid, ModeratedScore
from tests.evaluation_support import build_panel, sheet, user
from tests.helpers import PASSWORD, TEST_CONFIG, csrf_post, login
from tests.integration.test_award_record import evaluated_panel

ROUND = "initial"


def lot_url(panel, tail=""):
    return f"/procurements/{panel.procurement_id}/lots/1/evaluation/{ROUND}{tail}"


def moderation_form(value, rationale="Agreed at the moderation meeting.", version=None):
    form = {}
    for qid, (score, why) in sheet(value, rationale).items():
        form[f"score-{qid}"], form[f"rationale-{qid}"] = score, why
        if version is not None:
            form[f"version-{qid}"] = str(version)
    return form


def test_a_moderation_post_after_opening_gets_409_and_the_ranking_is_unchanged(app, client):
    with app.app_context():
        panel = evaluated_panel()
    login(client, panel.moderator)
    ranking_before = client.get(lot_url(panel, "/ranking")).get_data(as_text=True)
    page = client.get(lot_url(panel, f"/bids/{panel.bid_ids[1]}/moderate")).get_data(as_text=True)
    assert 'id="scores-frozen"' in page and "Record consensus scores" not in page

    response = csrf_post(client, lot_url(panel, f"/bids/{panel.bid_ids[1]}/moderate"), moderation_form(4, version=1),
                         token_from=lot_url(panel, "/ranking"))

    assert response.status_code == 409 and "frozen" in response.get_data(as_text=True)
    totals = re.findall(r"\d+\.\d\d", ranking_before)
    assert re.findall(r"\d+\.\d\d", client.get(lot_url(panel, "/ranking")).get_data(as_text=True)) == totals
    with app.app_context():
        assert {m.value for m in db.session.scalars(select(ModeratedScore).where(
            ModeratedScore.bid_id == panel.bid_ids[1], ModeratedScore.pass_fail.is_(None)))} == {Decimal(2)}


def test_a_moderator_with_a_conflict_gets_403_on_the_lots_ranking_workbook_and_scores(app, client):
    with app.app_context():
        panel = build_panel(declare=False)
        from tender.services.evaluation import panel as evaluation
        from tests.helpers import make_user

        conflicted_evaluator = make_user("evaluator")
        evaluation.assign(panel.procurement_id, 1, conflicted_evaluator.id, None, user(panel.officer))
        evaluation.declare(panel.procurement_id, 1, user(panel.moderator), True, "I chair one bidder's board.")
        evaluation.declare(panel.procurement_id, 1, conflicted_evaluator, True, "Former employee of a bidder.")
        evaluator_email = conflicted_evaluator.email
    login(client, panel.moderator)
    for path in (lot_url(panel, "/ranking"), lot_url(panel), f"/procurements/{panel.procurement_id}/evaluation/"
                 f"{ROUND}/export.xlsx", lot_url(panel, f"/bids/{panel.bid_ids[0]}/scores.json")):
        response = client.get(path)
        assert response.status_code == 403, path
        assert panel.bidders[0] not in response.get_data(as_text=True)
    client.post("/logout", data={})
    login(client, evaluator_email)
    assert client.get(lot_url(panel, f"/bids/{panel.bid_ids[0]}/scores.json")).status_code == 403


def _demo_prices() -> set[str]:
    prices = set()
    for price in db.session.scalars(select(Bid.price)):
        prices |= {f"{price:.2f}", f"{price:,.2f}", f"{price:,.0f}", f'"{price:.0f}"'}
    return prices


def test_before_opening_no_audit_page_or_export_of_the_demo_contains_a_bid_price(app, client, tmp_path):
    from tender.demo import load_demo
    from tests.helpers import make_user

    with app.app_context():
        load_demo("demo-password-2022")
        prices = _demo_prices()
        legal = make_user("legal_reviewer").email
    assert prices
    login(client, legal)
    page = client.get("/audit/?action=bid.received").get_data(as_text=True)
    assert "bid.received" in page and "Price commitment (SHA-256)" in page
    assert not [p for p in prices if p in page]
    runner = app.test_cli_runner()
    texts = {}
    for fmt, name in (("csv", "a.csv"), ("jsonl", "a.jsonl"), ("pdf", "a.pdf"), ("bundle", "a.zip")):
        result = runner.invoke(args=["audit", "export", "--format", fmt, "--output", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    texts["csv"] = (tmp_path / "a.csv").read_text()
    texts["jsonl"] = (tmp_path / "a.jsonl").read_text()
    texts["pdf"] = subprocess.run(["pdftotext", str(tmp_path / "a.pdf"), "-"], capture_output=True, text=True,
                                  check=True).stdout
    with zipfile.ZipFile(tmp_path / "a.zip") as bundle:
        texts["bundle"] = "".join(bundle.read(n).decode("utf-8", "replace") for n in bundle.namelist()
                                  if not n.endswith(".pdf"))
    assert "price_commitment" in texts["jsonl"]
    for fmt, text in texts.items():
        assert not [p for p in prices if p in text], fmt


class Browserless:
    """A real HTTP client (urllib) with its own cookie jar: logs in through the form, posts with CSRF."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  NoRedirect())

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post(self, path: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def token(self, path: str) -> str:
        _, html = self.get(path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def log_in(self, email: str, password: str) -> None:
        status = self.post("/login", {"email": email, "password": password, "csrf_token": self.token("/login")})
        assert status == 302


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
def test_twenty_simultaneous_consensus_edits_give_one_success_and_nineteen_conflicts(database_url, tmp_path):
    """Real gunicorn, real HTTP: of 20 tabs posting a consensus change at once, one wins, 19 get 409."""
    from tender import create_app
    from tender.services.evaluation import scoring as evaluation_scoring
    from tests.web.browser_support import LiveServer

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        panel = build_panel()
        for email in panel.evaluators:
            for bid_id in panel.bid_ids:
                evaluation_scoring.save_scores(panel.procurement_id, 1, ROUND, bid_id, user(email), sheet(3), True)
        evaluation_scoring.moderate(panel.procurement_id, 1, ROUND, panel.bid_ids[0], user(panel.moderator),
                                    sheet(3, "First agreement."))
        db.session.remove()
        db.engine.dispose()

    with LiveServer(database_url, tmp_path / "server", workers=2) as server:
        moderator = Browserless(server.url)
        moderator.log_in(panel.moderator, PASSWORD)
        jar = next(h for h in moderator.opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor))
        path = lot_url(panel, f"/bids/{panel.bid_ids[0]}/moderate")
        token = moderator.token(path)  # every tab showed version 1 of each consensus score
        results, start = [], threading.Barrier(20)

        def post(i):
            client = Browserless(server.url)
            client.opener = urllib.request.build_opener(jar, NoRedirect())  # the moderator's session, a new tab
            form = {**moderation_form(4 if i % 2 else 2, f"Tab {i} agreed.", version=1), "csrf_token": token}
            start.wait()
            results.append(client.post(path, form))

        threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert sorted(results) == [302] + [409] * 19, results
    with app.app_context():
        from tender.models import AuditEvent

        rows = db.session.scalars(select(ModeratedScore).where(ModeratedScore.bid_id == panel.bid_ids[0])).all()
        assert {r.version for r in rows} == {2} and len({r.rationale for r in rows}) == 1
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evaluation.score_moderated")
                                    .order_by(AuditEvent.seq)).all()
        last = json.loads(events[-1].after)["moderated"]
        assert len(events) == 2 and all(v["before"]["rationale"] == "First agreement." for v in last.values())
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("who", ["conflicted_approver", "conflicted_moderator"])
def test_every_award_letter_report_and_evaluation_page_keeps_a_conflicted_lot_closed(app, who):
    """The conflict sweep over the url_map: every GET page of the award, letters and evaluation blueprints, as
    someone who declared a conflict on lot 1, is refused (403) or shows none of lot 1's prices, scores or
    rationales; a page about lot 1 alone (its bids, its letters) is always refused."""
    from tests.award_conflicts_support import conflicted_award, leaked, lot_1_urls, text_of

    with app.app_context():
        award = conflicted_award()
    urls = lot_1_urls(app, award)
    assert {"/procurements/{}/award".format(award.procurement_id),
            "/procurements/{}/report.pdf".format(award.procurement_id)} <= {u for u, _ in urls}
    client = app.test_client()
    login(client, getattr(award, who))
    for url, about_lot_1 in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        assert not leaked(award.only[1], text_of(response)), url
        if about_lot_1 and "/letters/" in url:
            assert response.status_code == 403, url
