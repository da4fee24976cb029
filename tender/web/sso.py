"""Single sign-on with the organisation's OpenID Connect provider (Microsoft Entra ID, or any other).

``/login/sso`` sends the person to the provider (authorization code flow with
PKCE S256, a fresh state and nonce kept in the signed session cookie);
``/login/sso/callback`` takes them back: Authlib checks the state, redeems
the code with the client secret and the PKCE verifier, and validates the ID
token (signature against the provider's published keys, issuer, audience,
expiry, nonce). ``tender.services.sso`` then decides who that is in Tender.
Unconfigured (no ``TENDER_OIDC_ISSUER``, ``_CLIENT_ID`` or ``_CLIENT_SECRET``),
the login page shows no button and both routes are 404.
"""
from __future__ import annotations

import logging

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, session, url_for
from flask_login import login_user
from joserfc.errors import JoseError
from requests import RequestException

from tender.services import sso
from tender.web.auth import client_ip

bp = Blueprint("sso", __name__)
log = logging.getLogger("tender.web.sso")
_EXTENSION = "tender.sso"
_CLIENT = "tender_oidc"  # Authlib's name for the provider (its session keys start "_state_tender_oidc_")
# What the provider's answer may raise once it has been tampered with, has expired, or cannot be fetched.
_PROVIDER_ERRORS = (AuthlibBaseError, JoseError, RequestException, ValueError, KeyError)


def init_app(app: Flask) -> None:
    """Register the provider with Authlib when single sign-on is configured; its discovery document is read lazily."""
    settings = sso.Settings.from_config(app.config)
    app.extensions[_EXTENSION] = None
    if settings is None:
        return
    oauth = OAuth(app)
    client = oauth.register(
        _CLIENT, client_id=settings.client_id, client_secret=settings.client_secret,
        server_metadata_url=settings.discovery_url,
        client_kwargs={"scope": "openid email", "code_challenge_method": "S256", "default_timeout": 10})
    app.extensions[_EXTENSION] = (settings, client)


@bp.app_context_processor
def sso_button():
    """The login page's single sign-on button label, or None when single sign-on is off."""
    configured = current_app.extensions.get(_EXTENSION)
    return {"sso_label": configured[0].label if configured else None}


def _configured():
    configured = current_app.extensions.get(_EXTENSION)
    if configured is None:
        abort(404)
    return configured


def _redirect_uri() -> str:
    """The address to register with the provider: on ``TENDER_BASE_URL``, whatever Host header came in."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for("sso.callback")


def _problem(title: str, message: str, status: int):
    return render_template("auth/sso_problem.html", title=title, message=message), status


@bp.route("/login/sso")
def start():
    """Send the person to the provider to sign in."""
    settings, client = _configured()
    try:
        _check_discovery(settings, client)
        _forget_earlier_attempts()
        return client.authorize_redirect(_redirect_uri())
    except _PROVIDER_ERRORS as exc:
        log.warning("single sign-on could not start: %s", exc)
        return _problem("Single sign-on is not available", "Tender could not reach your organisation's sign-in "
                        "service. Try again in a few minutes, or log in with your e-mail address and password.", 503)


@bp.route("/login/sso/callback")
def callback():
    """The provider sends the person back here: check its answer, then sign in the matching account."""
    settings, client = _configured()
    try:
        _check_discovery(settings, client)
        token = client.authorize_access_token(claims_options={"iss": {"essential": True, "values": [settings.issuer]}})
        claims = _verified_claims(client, token)
    except _PROVIDER_ERRORS as exc:
        why = f"{type(exc).__name__}: {exc}"
        log.warning("single sign-on failed: %s", why)
        sso.record_failure(why, client_ip())
        return _problem("Your sign-in did not finish", "Your organisation's sign-in service did not confirm who you "
                        "are, or the sign-in took too long. Nothing was changed. Go back to the login page and "
                        "try again.", 400)
    try:
        user, _token = sso.sign_in(claims, settings.issuer, client_ip())
    except sso.SignInRefused as exc:
        return _problem("You cannot sign in to Tender with this account", str(exc), 403)
    _rotate_csrf_token()
    login_user(user)
    return redirect(url_for("dashboard.index"))


def _check_discovery(settings: sso.Settings, client) -> None:
    """The discovery document must name the configured issuer (OpenID Connect Discovery 1.0, section 4.3)."""
    metadata = client.load_server_metadata()
    if metadata.get("issuer") != settings.issuer:
        raise ValueError(f"the discovery document names issuer {metadata.get('issuer')!r}, not {settings.issuer!r}")


def _verified_claims(client, token: dict) -> dict:
    """The ID token's validated claims, with the UserInfo endpoint's added when the ID token leaves the e-mail out.

    Many providers put ``email`` and ``email_verified`` only in UserInfo for
    the code flow; its answer counts only for the ID token's own subject.
    """
    id_claims = token.get("userinfo")
    if not token.get("id_token") or not id_claims:
        raise ValueError("the provider's token response carried no ID token")
    claims = dict(id_claims)
    if "email" not in claims or "email_verified" not in claims:
        extra = client.userinfo(token=token)
        if extra.get("sub") != claims.get("sub"):
            raise ValueError("the UserInfo response is for a different subject than the ID token")
        claims = {**dict(extra), **claims}
    return claims


def _forget_earlier_attempts() -> None:
    """One sign-in in flight per browser: pressing the button again drops the last one's state, nonce and verifier.

    Authlib keeps each attempt's in the signed session cookie; without this,
    a person pressing the button a dozen times would outgrow the cookie.
    """
    for key in [key for key in session if key.startswith(f"_state_{_CLIENT}_")]:
        session.pop(key)


def _rotate_csrf_token() -> None:
    """A new CSRF token for the signed-in session: the one issued before sign-in is no longer accepted."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)
