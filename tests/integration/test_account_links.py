"""One-time links (issue 19): stored as a hash, used once, expiring, for their own purpose only.

Real database (SQLite, or PostgreSQL with ``TENDER_TEST_DATABASE_URL``) and,
for the e-mail, the worker sending through a real SMTP server on loopback.
"""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tender.extensions import db
from tender.models import AccountLink, AuditEvent, Job
from tender.services import account_links, clock, jobs
from tender.services.use_case import transaction
from tests.helpers import make_user


def _issue(user, purpose, lifetime=None):
    with transaction():
        return account_links.issue(user, purpose, lifetime)


def test_only_the_hash_of_the_token_is_stored_and_the_link_works_once(ctx):
    user = make_user("procurement_officer")
    token = _issue(user, "invite")
    stored = db.session.scalars(select(AccountLink.token_sha256)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()] and token not in stored
    assert account_links.check(token, "invite").id == user.id
    with transaction():
        assert account_links.redeem(token, "invite").id == user.id
    with pytest.raises(account_links.LinkRefused, match="already been used"):
        account_links.check(token, "invite")


def test_an_expired_link_an_unknown_one_and_another_purposes_are_refused_in_plain_english(ctx):
    user = make_user("procurement_officer")
    token = _issue(user, "reset")
    with transaction():
        db.session.execute(update(AccountLink).values(created_at=clock.wall_now() - timedelta(hours=2),
                                                      expires_at=clock.wall_now() - timedelta(seconds=1)))
    with pytest.raises(account_links.LinkRefused, match="expired"):
        account_links.redeem(token, "reset")
    with pytest.raises(account_links.LinkRefused, match="not recognised"):
        account_links.redeem("x" + token, "reset")
    other = _issue(user, "verify")
    with pytest.raises(account_links.LinkRefused, match="not recognised"):
        account_links.redeem(other, "reset")


def test_a_reset_link_never_lasts_more_than_an_hour_and_using_one_spends_the_older_ones(ctx):
    user = make_user("procurement_officer")
    first = _issue(user, "reset", timedelta(days=3))
    second = _issue(user, "reset")
    links = db.session.scalars(select(AccountLink)).all()
    assert all(link.expires_at - link.created_at <= timedelta(hours=1) for link in links)
    with transaction():
        account_links.redeem(second, "reset")
    with pytest.raises(account_links.LinkRefused, match="already been used"):
        account_links.check(first, "reset")


def test_the_worker_emails_the_link_and_the_job_holds_no_token(ctx, smtp):
    user = make_user("procurement_officer")
    with transaction():
        account_links.send(user, "invite")
        account_links.send(user, "invite")  # pressed twice: one e-mail
    payloads = db.session.scalars(select(Job.payload)).all()
    assert len(payloads) == 1
    jobs.work(until_idle=True, mail_settings=smtp.settings())
    messages = smtp.handler.messages()
    assert len(messages) == 1 and messages[0]["To"].addresses[0].addr_spec == user.email
    body = messages[0].get_content()
    token = re.search(r"/account/set-password/([A-Za-z0-9_-]+)", body).group(1)
    assert token not in payloads[0]
    assert account_links.check(token, "invite").id == user.id
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "account.link_sent"))
