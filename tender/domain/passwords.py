"""What makes a password acceptable: long enough, not too long, and not one everybody uses.

NCSC and NIST SP 800-63B advice: a minimum length and a check against a list
of common passwords, no composition rules (they do not help). The list is
Django's (``common-passwords.txt.gz``, BSD licence; see
``common-passwords.NOTICE.md`` beside it), shipped inside the package.
"""
from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 128
#: A password needs at least this many different characters ("aaaaaaaaaaaa" and "abababababab" are refused).
MIN_DISTINCT = 4


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case."""
    data = resources.files(__package__).joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(line.strip() for line in gzip.decompress(data).decode("utf-8").splitlines() if line.strip())


def password_problem(password: str, email: str | None = None) -> str | None:
    """What is wrong with a new password, as an instruction naming the field; None when it is acceptable."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"Enter a password of at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Enter a password of {MAX_LENGTH} characters or fewer."
    folded = password.lower().strip()
    if folded in common_passwords() or len(set(folded)) < MIN_DISTINCT:
        return "Choose a password that is harder to guess: this one is too common. Try three random words."
    if email and len(email) >= MIN_LENGTH // 2 and email.strip().lower() in folded:
        return "Choose a password that does not contain your e-mail address."
    return None
