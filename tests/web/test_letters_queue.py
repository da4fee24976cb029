"""Pressing "Send" only queues: it renders and mails nothing in the request, and twenty at once give no 5xx."""
from __future__ import annotations

import threading
import urllib.request

import pytest
from sqlalchemy import func, select

from tender.extensions import db
from tender.models import AuditEvent, AwardLetter
from tender.models.job import Job
from tests.helpers import TEST_CONFIG, csrf_post, login
from tests.letters_support import OFFICER, award_demo
from tests.web.test_award_pages import Browserless, NoRedirect

pytestmark = pytest.mark.slow


def test_the_send_post_renders_and_mails_nothing_whatever_the_number_of_letters(app, smtp):
    app.config.update(smtp.env())
    with app.app_context():
        pid = award_demo()  # 5 lots, 15 letters
    client = app.test_client()
    login(client, OFFICER)
    base = f"/procurements/{pid}/letters"
    assert csrf_post(client, f"{base}/draft", {}, base).status_code == 302
    response = csrf_post(client, f"{base}/send", {"confirm": "yes"}, base)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AwardLetter).where(
            AwardLetter.document.is_not(None))) == 0  # no PDF rendered in the request
        assert db.session.scalar(select(func.count()).select_from(AwardLetter).where(
            AwardLetter.queued_at.is_not(None))) == 15
        (job,) = db.session.scalars(select(Job)).all()
        assert (job.status, job.progress_total) == ("queued", 15)
    assert smtp.handler.messages() == []
    page = client.get(base).get_data(as_text=True)
    assert "Sending in progress" in page and "0 of 15" in page and "waiting for the background worker" in page


def test_twenty_simultaneous_send_posts_give_no_server_error_and_queue_the_letters_once(database_url, tmp_path,
                                                                                         smtp, monkeypatch):
    from tender import create_app
    from tests.web.browser_support import DEMO_PASSWORD, LiveServer

    for name, value in smtp.env().items():
        monkeypatch.setenv(name, value)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with LiveServer(database_url, tmp_path / "server", workers=2) as server:
        with app.app_context():  # the demo the server loaded, taken to an approved award of two lots
            pid = award_demo(lots=(1, 2))
            db.session.remove()
            db.engine.dispose()
        officer = Browserless(server.url)
        officer.log_in(OFFICER, DEMO_PASSWORD)
        base = f"/procurements/{pid}/letters"
        assert officer.post(f"{base}/draft", {"csrf_token": officer.token(base)}) == 302
        jar = next(h for h in officer.opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor))
        token = officer.token(base)
        results, start = [], threading.Barrier(20)

        def post():
            tab = Browserless(server.url)
            tab.opener = urllib.request.build_opener(jar, NoRedirect())
            start.wait()
            results.append(tab.post(f"{base}/send", {"confirm": "yes", "csrf_token": token}))

        threads = [threading.Thread(target=post) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert len(results) == 20 and not [r for r in results if r >= 500], results
    assert 302 in results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 1
        queued = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "award.letters_queued")).all()
        assert len(queued) == 1 and '"letters":6' in queued[0].after.replace(" ", "")
