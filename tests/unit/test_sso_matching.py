"""The single sign-on matching rule (tender.domain.sso): only a verified e-mail address signs in, and only as an active staff account."""
from __future__ import annotations

import pytest

from tender.domain import sso

OFFICER = sso.Account(user_id=2, active=True, role="procurement_officer")


def verified(email="luke.edwards@kent.example", **extra):
    return {"sub": "abc", "email": email, "email_verified": True, **extra}


def test_a_verified_address_of_an_active_account_may_sign_in():
    assert sso.refusal(verified(), OFFICER) is None


def test_the_address_is_matched_trimmed_and_in_lower_case():
    assert sso.claimed_email(verified(" Luke.Edwards@KENT.example ")) == "luke.edwards@kent.example"


@pytest.mark.parametrize("flag", [False, None, "true", "True", 1, "yes"])
def test_only_the_json_boolean_true_counts_as_verified(flag):
    claims = {"email": "luke.edwards@kent.example", "email_verified": flag}
    assert sso.refusal(claims, OFFICER) is sso.UNVERIFIED


def test_a_missing_verification_claim_is_unverified():
    assert sso.refusal({"email": "luke.edwards@kent.example"}, OFFICER) is sso.UNVERIFIED


@pytest.mark.parametrize("email", [None, "", "   ", 42, "no-at-sign", "@kent.example", "luke@", "a@b@c",
                                   "x" * 250 + "@kent.example"])
def test_no_usable_address_is_refused_before_anything_else(email):
    assert sso.claimed_email({"email": email}) is None
    assert sso.refusal({"email": email, "email_verified": True}, OFFICER) is sso.NO_EMAIL


def test_entra_ids_domain_owner_verified_claim_counts_when_email_verified_is_absent():
    entra = {"email": "luke.edwards@kent.example", "xms_edov": True}
    assert sso.refusal(entra, OFFICER) is None
    assert sso.refusal({**entra, "xms_edov": False}, OFFICER) is sso.UNVERIFIED
    assert sso.refusal({**entra, "xms_edov": "1"}, OFFICER) is sso.UNVERIFIED


def test_a_provider_that_says_the_address_is_not_verified_is_believed_whatever_else_it_sends():
    claims = {"email": "luke.edwards@kent.example", "email_verified": False, "xms_edov": True}
    assert sso.refusal(claims, OFFICER) is sso.UNVERIFIED


def test_an_address_with_no_account_is_refused():
    assert sso.refusal(verified("stranger@kent.example"), None) is sso.UNKNOWN


def test_an_unverified_address_is_refused_even_when_the_account_exists_so_nobody_can_claim_anothers_address():
    assert sso.refusal(verified(email_verified=False), OFFICER) is sso.UNVERIFIED


def test_a_deactivated_account_is_refused():
    assert sso.refusal(verified(), sso.Account(user_id=2, active=False, role="procurement_officer")) is sso.DEACTIVATED


def test_a_supplier_account_never_signs_in_through_the_authoritys_provider():
    assert sso.refusal(verified(), sso.Account(user_id=9, active=True, role="supplier")) is sso.SUPPLIER


def test_nothing_the_provider_sends_changes_who_or_what_role():
    """Role, name or group claims are ignored: the rule reads the e-mail address and its verification only."""
    claims = verified(role="administrator", roles=["administrator"], groups=["Tender admins"], name="Someone Else")
    assert sso.refusal(claims, OFFICER) is None
    assert sso.claimed_email(claims) == "luke.edwards@kent.example"


def test_every_refusal_says_what_to_do_in_plain_english():
    for refusal in (sso.NO_EMAIL, sso.UNVERIFIED, sso.UNKNOWN, sso.DEACTIVATED, sso.SUPPLIER):
        assert refusal.message.endswith(".") and ("Ask" in refusal.message or "Log in" in refusal.message)
        assert refusal.code.replace("_", "").isalpha()
