"""Single sign-on through the Flask test client against the real OpenID provider on loopback (no browser).

Tender's side runs in the test client; the provider (``tests/oidc_provider``,
npm oidc-provider) runs for real, and ``through_the_provider`` plays the
person at its login and consent pages with ``requests``, stopping where the
provider sends them back to Tender. Tender's server-side calls (discovery,
the token exchange, the signing keys, UserInfo) go to the provider for real.
These run on SQLite and on PostgreSQL; the browser tests
(``test_sso_browser.py``) walk the same flow in Chromium.
"""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from sqlalchemy import select

from tests.helpers import TEST_CONFIG, make_user
from tests.oidc_provider import OIDCProvider

BASE_URL = "http://localhost"  # the test client's host
CALLBACK = f"{BASE_URL}/login/sso/callback"
ACCOUNTS = {
    "luke": {"email": "Luke.Edwards@kent.example", "email_verified": True},
    "priya-unverified": {"email": "priya.shah@kent.example", "email_verified": False},
    "stranger": {"email": "stranger@kent.example", "email_verified": True},
    # As Microsoft Entra ID sends a work account: no email_verified, the domain-owner-verified claim instead.
    "priya-entra": {"email": "priya.shah@kent.example", "xms_edov": True},
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with OIDCProvider(CALLBACK, ACCOUNTS, tmp_path_factory.mktemp("oidc")) as running:
        yield running


def _settings(provider, **overrides) -> dict:
    return {"OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": provider.client_id,
            "OIDC_CLIENT_SECRET": provider.client_secret, "BASE_URL": BASE_URL, **overrides}


@pytest.fixture
def sso_app(database_url, provider):
    """Tender configured for the provider, with Luke (officer) and Priya (officer) in it."""
    from tender import create_app
    from tender.extensions import db

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **_settings(provider)})
    with app.app_context():
        make_user("procurement_officer", "luke.edwards@kent.example", "Luke Edwards")
        make_user("procurement_officer", "priya.shah@kent.example", "Priya Shah")
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def through_the_provider(authorize_url: str, login_name: str) -> str:
    """Sign in at the provider as ``login_name`` and consent; return the URL it sends the browser back to."""
    browser = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _ in range(20):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["Location"]), "GET", None
            if url.startswith(BASE_URL + "/"):
                return url
            continue
        assert response.status_code == 200, f"{response.status_code} from the provider at {url}: {response.text[:500]}"
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
        assert form, f"no form on the provider's page {url}: {response.text[:500]}"
        data = {name: unescape(value) for name, value in
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text)}
        if 'name="login"' in response.text:
            data.update(login=login_name, password="ignored by the development login")
        url, method = urljoin(url, unescape(form.group(1))), "POST"
    raise AssertionError("the provider never sent the browser back to Tender")


def start(client) -> str:
    """Press the button: Tender answers with a redirect to the provider's authorization endpoint."""
    response = client.get("/login/sso")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def sign_in(client, login_name: str):
    """The whole flow: Tender -> provider -> Tender's callback; returns the callback's response."""
    back = through_the_provider(start(client), login_name)
    return client.get(back.removeprefix(BASE_URL))


def events(app, action: str) -> list[tuple]:
    """(actor, reason, after) of each audit event with ``action``."""
    from tender.extensions import db
    from tender.models import AuditEvent

    with app.app_context():
        rows = db.session.execute(select(AuditEvent.actor, AuditEvent.reason, AuditEvent.after)
                                  .where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()
        db.session.remove()
    return [(actor, reason, json.loads(after) if after else {}) for actor, reason, after in rows]


def signed_in_as(client) -> str | None:
    """The name in "Logged in as …", or None when the dashboard sends the client to log in."""
    response = client.get("/")
    match = re.search(r"Logged in as ([^(<]+?) \(", response.get_data(as_text=True))
    return match.group(1) if response.status_code == 200 and match else None


# --------------------------------------------------------------------------- not configured

def test_without_settings_there_is_no_button_and_both_routes_are_404(client):
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404


def test_settings_need_all_three_of_issuer_client_id_and_secret():
    from tender.services.sso import DEFAULT_LABEL, Settings

    full = {"OIDC_ISSUER": "https://login.microsoftonline.com/t/v2.0", "OIDC_CLIENT_ID": "id", "OIDC_CLIENT_SECRET": "s"}
    assert Settings.from_config(full).label == DEFAULT_LABEL
    assert Settings.from_config(full).discovery_url == \
        "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration"
    for missing in full:
        assert Settings.from_config({**full, missing: ""}) is None


# --------------------------------------------------------------------------- the flow

def test_the_login_page_shows_the_default_label(sso_app):
    page = sso_app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with your organisation's account" in unescape(page)
    assert 'href="/login/sso"' in page


def test_the_button_sends_the_person_to_the_provider_with_pkce_state_and_nonce(sso_app, provider):
    location = start(sso_app.test_client())
    assert location.startswith(provider.issuer + "/auth?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == provider.client_id
    assert query["redirect_uri"] == CALLBACK
    assert set(query["scope"].split()) == {"openid", "email"}
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 20 and len(query["nonce"]) >= 20


def test_pressing_the_button_again_keeps_only_the_latest_attempt(sso_app):
    client = sso_app.test_client()
    first = start(client)
    for _ in range(12):
        latest = start(client)
    with client.session_transaction() as session:
        assert len([key for key in session if key.startswith("_state_")]) == 1
    assert client.get(through_the_provider(latest, "luke").removeprefix(BASE_URL)).status_code == 302
    assert signed_in_as(client) == "Luke Edwards"
    assert first != latest


def test_a_verified_address_signs_in_the_matching_account_with_a_new_csrf_token(sso_app):
    client = sso_app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        token_before = session["csrf_token"]
    response = sign_in(client, "luke")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_as(client) == "Luke Edwards"
    with client.session_transaction() as session:
        assert session.get("csrf_token") != token_before
        assert not [key for key in session if key.startswith("_state_")]  # the state is used up
    [(actor, _, after)] = [e for e in events(sso_app, "login.succeeded") if e[2].get("method") == "sso"]
    assert actor == "luke.edwards@kent.example" and after["subject"] == "luke"


def test_an_entra_style_domain_owner_verified_address_signs_in(sso_app):
    client = sso_app.test_client()
    assert sign_in(client, "priya-entra").status_code == 302
    assert signed_in_as(client) == "Priya Shah"


@pytest.mark.parametrize("login_name, reason", [("priya-unverified", "email_not_verified"),
                                                ("stranger", "no_account")])
def test_an_unverified_or_unknown_address_is_refused_and_audited(sso_app, login_name, reason):
    client = sso_app.test_client()
    response = sign_in(client, login_name)
    assert response.status_code == 403
    assert "You cannot sign in to Tender with this account" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert [(actor, why) for actor, why, _ in events(sso_app, "login.sso_refused")] == \
        [(ACCOUNTS[login_name]["email"].lower(), reason)]


def test_the_providers_answer_cannot_be_used_twice(sso_app):
    client = sso_app.test_client()
    back = through_the_provider(start(client), "luke")
    assert client.get(back.removeprefix(BASE_URL)).status_code == 302
    client.post("/logout", data={"csrf_token": _csrf(client)})
    replay = client.get(back.removeprefix(BASE_URL))
    assert replay.status_code == 400
    assert "Your sign-in did not finish" in replay.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert len(events(sso_app, "login.sso_failed")) == 1


def test_an_answer_from_another_browser_is_refused(sso_app):
    """The state ties the answer to the browser that started: someone else's code cannot sign this browser in."""
    victim, attacker = sso_app.test_client(), sso_app.test_client()
    back = through_the_provider(start(attacker), "luke")
    start(victim)  # the victim has a sign-in of their own in progress
    response = victim.get(back.removeprefix(BASE_URL))
    assert response.status_code == 400
    assert signed_in_as(victim) is None
    [(_, why, _)] = events(sso_app, "login.sso_failed")
    assert "MismatchingStateError" in why


@pytest.mark.parametrize("query", ["error=access_denied&error_description=The+user+cancelled", "code=" + "a" * 20_000,
                                   "", "state=" + "%C3%A9" * 300])
def test_a_cancelled_or_hostile_answer_is_a_plain_400_that_signs_nobody_in(sso_app, query):
    client = sso_app.test_client()
    location = start(client)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get(f"/login/sso/callback?state={state}&{query}" if "state=" not in query
                          else f"/login/sso/callback?{query}")
    assert response.status_code == 400
    assert "Your sign-in did not finish" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert len(events(sso_app, "login.sso_failed")) == 1


def test_a_provider_whose_discovery_names_another_issuer_is_not_used(database_url, provider):
    from tender import create_app

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                      **_settings(provider, OIDC_ISSUER=provider.issuer + "/")})
    response = app.test_client().get("/login/sso")
    assert response.status_code == 503
    assert "could not reach your organisation's sign-in service" in unescape(response.get_data(as_text=True))


def _csrf(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
