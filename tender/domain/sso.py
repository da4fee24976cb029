"""Who a single sign-on may sign in as: the matching rule, apart from the protocol.

The organisation's identity provider (Microsoft Entra ID, or any OpenID
Connect provider) vouches for a person; Tender decides who that person is in
Tender. It matches the provider's e-mail address to an existing account, and
only when the provider says it has verified that address (``email_verified``
is JSON ``true``, or Entra ID's ``xms_edov``): an unverified address is whatever the person typed, so
matching on it would let anyone claim anyone's account. The provider never
creates an account and never changes a role: roles stay Tender's. Supplier
accounts are never signed in by the authority's provider (a supplier may be a
guest in the authority's directory), only with their own password.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Account:
    """What the rule needs to know about the Tender account with the claimed e-mail address."""

    user_id: int
    active: bool
    role: str


@dataclass(frozen=True)
class Refusal:
    """Why a single sign-on was refused: a code for the audit trail, and a sentence for the person."""

    code: str
    message: str


NO_EMAIL = Refusal("no_email", "Your organisation's account did not tell Tender your e-mail address, so Tender "
                               "cannot tell which Tender account is yours. Ask your IT service desk, or log in "
                               "with your e-mail address and password.")
UNVERIFIED = Refusal("email_not_verified", "Your organisation's account has not confirmed your e-mail address, so "
                                           "Tender cannot sign you in with it. Ask your IT service desk, or log in "
                                           "with your e-mail address and password.")
UNKNOWN = Refusal("no_account", "There is no Tender account for this e-mail address. Ask a Tender administrator "
                                "to add you.")
DEACTIVATED = Refusal("deactivated", "Your Tender account has been deactivated. Ask a Tender administrator if you "
                                     "still need it.")
SUPPLIER = Refusal("supplier_account", "Supplier accounts cannot sign in with the organisation's account. Log in "
                                       "with your e-mail address and password.")


def claimed_email(claims: Mapping[str, Any]) -> str | None:
    """The provider's e-mail address, trimmed and in lower case as Tender stores them, or None if there is none."""
    email = claims.get("email")
    if not isinstance(email, str):
        return None
    email = email.strip().lower()
    if email.count("@") != 1 or email.startswith("@") or email.endswith("@") or len(email) > 254:
        return None
    return email


def email_verified(claims: Mapping[str, Any]) -> bool:
    """Whether the provider vouches for the address: ``email_verified`` is the JSON boolean ``true``.

    OpenID Connect Core 5.1's claim; a string or a missing claim is not
    ``true``. Microsoft Entra ID never sends it for work accounts: it sends
    ``xms_edov`` ("e-mail domain owner verified", an optional claim the
    tenant adds to the app registration) instead, meaning the address is in a
    domain the tenant has proved it owns. That counts, as the JSON boolean
    ``true``, only where ``email_verified`` is absent: a provider that says
    ``email_verified: false`` is believed.
    """
    if "email_verified" in claims:
        return claims["email_verified"] is True
    return claims.get("xms_edov") is True


def refusal(claims: Mapping[str, Any], account: Account | None) -> Refusal | None:
    """Why these claims may not sign in as ``account`` (the account holding the claimed address), or None if they may.

    The order matters only for the message: the address must be present and
    verified before Tender says anything about whether it has an account.
    """
    if claimed_email(claims) is None:
        return NO_EMAIL
    if not email_verified(claims):
        return UNVERIFIED
    if account is None:
        return UNKNOWN
    if account.role == "supplier":
        return SUPPLIER
    if not account.active:
        return DEACTIVATED
    return None
