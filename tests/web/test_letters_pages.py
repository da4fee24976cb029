"""The letters pages, downloads and the ``tender report`` command, through the Flask client and a subprocess."""
from __future__ import annotations

import hashlib
import json
import re

import pytest
from sqlalchemy import select

from tender.extensions import db
from tender.models import AuditEvent, AwardLetter
from tests.helpers import TEST_CONFIG, csrf_post, login
from tests.letters_support import OFFICER, award_demo
from tests.reminders_support import cli_env, run_tender

pytestmark = pytest.mark.slow


@pytest.fixture
def mail_app(database_url, smtp):
    """The app on the test's database, with the loopback SMTP server as its mail settings."""
    from tender import create_app

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **smtp.env()})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_officer_drafts_edits_previews_sends_and_downloads_letters(mail_app, smtp):
    with mail_app.app_context():
        pid = award_demo(lots=(1,))
    client = mail_app.test_client()
    login(client, OFFICER)
    base = f"/procurements/{pid}/letters"
    page = client.get(base)
    assert page.status_code == 200 and "Award decision letters" in page.get_data(as_text=True)

    assert csrf_post(client, f"{base}/draft", {}, base).status_code == 302
    with mail_app.app_context():
        letters = db.session.scalars(select(AwardLetter).order_by(AwardLetter.id)).all()
        ids = [(l.id, l.supplier.name, l.successful) for l in letters]
    assert len(ids) == 3
    loser_id, loser, _ = next(i for i in ids if not i[2])

    letter_page = client.get(f"{base}/{loser_id}")
    html = letter_page.get_data(as_text=True)
    assert letter_page.status_code == 200 and "The winning tender scored higher" in html
    bad = csrf_post(client, f"{base}/{loser_id}", {"narrative": " ", "method": "email",
                                                  "recipient_email": "x@example.com"}, f"{base}/{loser_id}")
    assert bad.status_code == 400 and "Enter the characteristics" in bad.get_data(as_text=True)
    edited = "The winning tender offered same-week access in every district.\n- A named safeguarding lead"
    ok = csrf_post(client, f"{base}/{loser_id}", {"narrative": edited, "method": "email",
                                                 "recipient_email": f"bids@{loser.lower().replace(' ', '')}.example"},
                   f"{base}/{loser_id}")
    assert ok.status_code == 302
    preview = client.get(f"{base}/{loser_id}/preview.pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")

    refused = csrf_post(client, f"{base}/send", {}, base)
    assert refused.status_code == 400 and "Confirm that you have checked" in refused.get_data(as_text=True)
    sent = csrf_post(client, f"{base}/send", {"confirm": "yes"}, base)
    assert sent.status_code == 302
    # The request only queued them: nothing went yet, and the page shows progress and refreshes itself.
    assert smtp.handler.messages() == []
    waiting = client.get(base).get_data(as_text=True)
    assert waiting.count(">Queued<") == 3 and 'http-equiv="refresh"' in waiting and "Sending in progress" in waiting
    with mail_app.app_context():
        from tender.services import jobs

        assert jobs.work(until_idle=True) == 1
    assert len(smtp.handler.messages()) == 3
    follow = client.get(base).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in follow
    assert follow.count("E-mailed") == 3 and "standstill started" in follow

    download = client.get(f"{base}/{loser_id}/document.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert client.get(f"{base}/{loser_id}/document.pdf").data == download.data
    with mail_app.app_context():
        issued = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "award.letter_issued",
                                                             AuditEvent.object_id == str(loser_id))).one()
        assert json.loads(issued.after)["sha256"] == hashlib.sha256(download.data).hexdigest()
    attached = [p.get_content() for m in smtp.handler.messages() for p in m.iter_attachments()]
    assert download.data in attached
    # Sent letters cannot be edited.
    again = csrf_post(client, f"{base}/{loser_id}", {"narrative": "changed", "method": "post"}, base)
    assert again.status_code == 400 and "cannot be changed" in again.get_data(as_text=True)

    report = client.get(f"/procurements/{pid}/report.pdf")
    assert report.status_code == 200 and report.data.startswith(b"%PDF")
    assert re.search(r'filename="KCC-22-00033-procurement-report.pdf"', report.headers["Content-Disposition"])


def test_evaluators_cannot_see_letters_or_the_report(ctx, client):
    pid = award_demo(lots=(1,), approve=False)
    login(client, "sam.evans@kent.example")
    assert client.get(f"/procurements/{pid}/letters").status_code == 403
    assert client.get(f"/procurements/{pid}/report.pdf").status_code == 403


def test_letters_cannot_be_sent_before_the_award_is_approved(ctx, client):
    pid = award_demo(lots=(1,), approve=False)
    login(client, OFFICER)
    base = f"/procurements/{pid}/letters"
    csrf_post(client, f"{base}/draft", {}, base)
    response = csrf_post(client, f"{base}/send", {"confirm": "yes"}, base)
    assert response.status_code == 400 and "has not been approved" in response.get_data(as_text=True)


def test_tender_report_writes_the_pdf(ctx, database_url, tmp_path):
    award_demo(lots=(1,))
    db.session.remove()
    output = tmp_path / "report.pdf"
    result = run_tender(cli_env(database_url, None, tmp_path), "report", "--procurement", "KCC-22/00033",
                        "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert output.read_bytes().startswith(b"%PDF") and "Wrote the procurement report" in result.stderr
    missing = run_tender(cli_env(database_url, None, tmp_path), "report", "--procurement", "NOPE-1",
                         "--output", str(tmp_path / "x.pdf"))
    assert missing.returncode != 0 and "There is no procurement with the reference NOPE-1" in missing.stderr
