"""Claim → send → record, one message at a time: the one implementation every mail job uses.

Award letters and reminder digests both go through :func:`deliver`. Each
message is claimed in a short transaction of its own, sent, and its outcome
recorded (with its audit event) in another, before the next is claimed. So
the window in which a crash can lose the record of a delivered message, and
a later run send it again, is the single message in flight, never the batch.
"""
from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Generic, TypeVar

from tender.mail import Mailer, MailSettings, SendResult
from tender.services import use_case

T = TypeVar("T")


class Delivery(Generic[T]):
    """What a mail job supplies: how to claim the next item, build its message, and record the outcome."""

    def claim_next(self) -> T | None:  # pragma: no cover - interface
        raise NotImplementedError

    def build(self, item: T) -> EmailMessage:  # pragma: no cover - interface
        raise NotImplementedError

    def record(self, item: T, result: SendResult) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def deliver(job: Delivery[T], settings: MailSettings, after_each: Callable[[T, SendResult], None] | None = None
            ) -> list[tuple[T, SendResult]]:
    """Claim, send and record items until ``claim_next`` has none left; returns each outcome."""
    outcomes: list[tuple[T, SendResult]] = []
    with Mailer(settings) as mailer:
        while True:
            with use_case.step():
                item = job.claim_next()
            if item is None:
                break
            message = job.build(item)
            result = mailer.send(message)
            with use_case.step():
                job.record(item, result)
            outcomes.append((item, result))
            if after_each is not None:
                after_each(item, result)
    return outcomes
