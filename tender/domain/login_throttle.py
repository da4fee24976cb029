"""Login throttling: growing delays, counted by account, by address, and by both (issue 19).

Three tallies of *checked* failed logins (an attempt the throttle refused
never had its password looked at, and counts for nothing):

* **account and address**: the same address failing at one account. After
  ``free`` failures each further check waits longer (30 s, 1 min, 2 min, …,
  at most ``cap``), so one address cannot go on guessing; and it stops only
  that address.
* **account**, counted in *different addresses* checked against it: many
  addresses guessing at one account (the 30-at-once burst) are held to
  ``free`` checks before the delays start, while one address failing twenty
  times counts once, so it never stops the right password from elsewhere.
  An address the account has logged in from before is not held by it.
* **address**, across every account: one address spraying many accounts.

Pure: the caller counts the rows and passes ``now``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Tally:
    """How many checked failures a tally holds, and when the latest was."""

    failures: int
    last_failure: datetime | None


@dataclass(frozen=True)
class Rule:
    """``free`` failures allowed at once; then ``base`` doubling with each further failure, up to ``cap``."""

    free: int
    base: timedelta
    cap: timedelta


def delay_after(failures: int, rule: Rule) -> timedelta:
    """How long after the latest failure the next check may run, given ``failures`` already made."""
    over = failures - rule.free + 1
    if over <= 0:
        return timedelta(0)
    return min(rule.base * (2 ** min(over - 1, 30)), rule.cap)


def wait_needed(tally: Tally, rule: Rule, now: datetime) -> timedelta:
    """Zero if a password may be checked now; else how much longer to wait."""
    delay = delay_after(tally.failures, rule)
    if delay <= timedelta(0) or tally.last_failure is None:
        return timedelta(0)
    return max(tally.last_failure + delay - now, timedelta(0))


def describe_wait(wait: timedelta) -> str:
    """'1 minute', '15 minutes': whole minutes rounded up, so two refusals a second apart read the same."""
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
