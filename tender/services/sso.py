"""Single sign-on: signing in a person the organisation's OpenID Connect provider has vouched for.

The protocol (discovery, PKCE, state, nonce, the ID token's signature,
issuer, audience and expiry) is Authlib's, driven by ``tender.web.sso``; what
arrives here are claims that have already been checked. This module decides
who they sign in as (``tender.domain.sso``: an existing, active account
holding the provider's *verified* e-mail address; roles stay Tender's), opens
the same server-side session a password login opens, and audits the
outcome: ``login.succeeded`` like a password login (with ``method: sso``),
``login.sso_refused`` with the reason, or ``login.sso_failed`` when the
provider's answer did not check out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select

from tender.domain import sso as rules
from tender.extensions import db
from tender.models import User
from tender.services import accounts, audit
from tender.services.errors import ServiceError
from tender.services.use_case import step

DEFAULT_LABEL = "Sign in with your organisation's account"


@dataclass(frozen=True)
class Settings:
    """The provider Tender trusts: from ``TENDER_OIDC_ISSUER``, ``_CLIENT_ID``, ``_CLIENT_SECRET`` and ``_LABEL``."""

    issuer: str
    client_id: str
    client_secret: str
    label: str = DEFAULT_LABEL

    @property
    def discovery_url(self) -> str:
        """Where the provider describes itself (OpenID Connect Discovery 1.0, section 4)."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings | None":
        """The settings, or None when single sign-on is not configured (all three of issuer, id and secret needed)."""
        issuer, client_id, secret = (config.get(k) or "" for k in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"))
        if not (issuer and client_id and secret):
            return None
        return cls(issuer=issuer, client_id=client_id, client_secret=secret,
                   label=config.get("OIDC_LABEL") or DEFAULT_LABEL)


class SignInRefused(ServiceError):
    """The provider vouched for the person, but Tender will not sign them in (``str()`` says why)."""

    status = 403


class SignInFailed(ServiceError):
    """The provider's answer could not be used (cancelled, expired, tampered with, or the provider unreachable)."""

    status = 400


def sign_in(claims: Mapping[str, Any], issuer: str, ip: str | None) -> tuple[User, str]:
    """Sign in the account the verified claims match; return it and its new session's token.

    ``claims`` are the ID token's (and the UserInfo endpoint's, for the same
    subject), already validated. A refusal is audited in its own step, so it
    stays recorded, then raised as :class:`SignInRefused`.
    """
    email = rules.claimed_email(claims)
    subject = str(claims.get("sub", ""))[:255]
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    account = None if user is None else rules.Account(user_id=user.id, active=bool(user.active), role=user.role)
    refused = rules.refusal(claims, account)
    if refused is not None:
        with step():
            audit.record(audit.Actor(email or "(no e-mail address)", None, ip), "login.sso_refused", "user",
                         None if user is None else user.id, after={"issuer": issuer, "subject": subject},
                         reason=refused.code)
        raise SignInRefused(refused.message)
    with step():
        user = db.session.get(User, user.id)
        token = accounts.open_session(user, ip)
        audit.record(audit.Actor.of(user, ip), "login.succeeded", "user", user.id,
                     after={"method": "sso", "issuer": issuer, "subject": subject})
    user.session_token = token
    return user, token


def record_failure(why: str, ip: str | None) -> None:
    """Audit a sign-in whose provider answer did not check out (the person is told to start again)."""
    with step():
        audit.record(audit.Actor("(single sign-on)", None, ip), "login.sso_failed", "user", reason=why[:500])
