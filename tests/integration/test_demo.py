"""The demo loads whole or not at all, and a second load changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tender import demo
from tender.extensions import db
from tender.models import AuditEvent, Bid, Procurement, User
from tender.services.procurement import responses as setup_responses


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Procurement, User, Bid, AuditEvent))


def test_a_failure_half_way_through_the_demo_leaves_nothing_behind(ctx, monkeypatch):
    before = counts()
    real = setup_responses.record_bid
    calls = {"n": 0}

    def failing_bid(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 7:
            raise RuntimeError("the disk filled up")
        return real(*args, **kwargs)

    monkeypatch.setattr(setup_responses, "record_bid", failing_bid)
    with pytest.raises(RuntimeError):
        demo.load_demo("demo-password-2022")
    db.session.expire_all()
    assert counts() == before
    monkeypatch.setattr(setup_responses, "record_bid", real)
    created, _ = demo.load_demo("demo-password-2022")
    assert created and db.session.scalar(select(func.count()).select_from(Bid)) == 15


def test_loading_the_demo_twice_changes_nothing(ctx):
    assert demo.load_demo("demo-password-2022")[0]
    after_first = counts()
    created, lines = demo.load_demo("demo-password-2022")
    assert not created and "already loaded" in lines[0]
    assert counts() == after_first
