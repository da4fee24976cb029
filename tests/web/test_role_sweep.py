"""Every state-changing route, found in ``app.url_map``, refuses the roles it is not for, and changes nothing.

The hand-written role matrix (``test_authorisation.py``) checks each action's
allowed roles one by one; this sweep makes sure no route is forgotten: a route
added later is posted to, with a valid form, as a legal reviewer and as an
evaluator, and must answer 403 (or 404, when the object is hidden from that
role) with every table exactly as before. The only routes a legal reviewer or
an evaluator may use are listed below, with why.
"""
from __future__ import annotations

import pytest

from tests.helpers import PASSWORD
from tests.web.test_hostile_input import SKIPPED, _diff, _requests, _setup, _snapshot
from tests.web.test_hostile_input import hostile_app  # noqa: F401  (the fixture: CSRF off, as that sweep)

#: What each probing role may legitimately do, by endpoint prefix.
ALLOWED = {
    "legal_reviewer": ("auth.", "notifications.",  # their own session and reminder settings
                       "account.",  # their own password: change it, or reset it by e-mail (issue 19)
                       "audit.export",  # exporting the trail is the legal reviewer's job (and audited)
                       "conflicts.declare",  # anyone the conflicts assessment lists declares for themselves
                       "conflicts.review"),  # someone other than its preparer reviews the assessment (s.83)
    "evaluator": ("auth.", "notifications.", "account.",  # their own session, reminders and password
                  "evaluation.declare", "evaluation.score_bid",  # declaring, then scoring, on their own panel
                  "conflicts.declare"),  # as listed in the conflicts assessment
    # A supplier user (issue 18) acts only on its own organisation's things, through the supplier-facing pages
    # (tender.web.supplier_access); tests/web/test_supplier_isolation.py checks those refuse another's.
    "supplier": ("auth.", "supplier.", "submissions_supplier.", "clarifications.ask", "account."),
}


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_no_state_changing_route_acts_for_a_role_it_is_not_for(hostile_app, role):
    app = hostile_app
    data = _setup(app)
    client = app.test_client()
    assert client.post("/login", data={"email": data["users"][role], "password": PASSWORD}).status_code == 302

    rules = [r for r in app.url_map.iter_rules()
             if "POST" in r.methods and r.endpoint not in SKIPPED and not r.endpoint.startswith(ALLOWED[role])]
    assert len(rules) > 40  # the sweep found the product's routes
    failures = []
    with app.app_context():
        from tender.extensions import db

        before = _snapshot()
        for rule in rules:
            url, form = next(_requests(rule, rule.endpoint, "POST", data))  # the valid request, as the right role
            response = client.post(url, data=form)
            db.session.remove()
            after = _snapshot()
            changed = _diff(before, after)
            if response.status_code not in (403, 404) or changed:
                failures.append(f"{rule.endpoint}: {response.status_code}, changed {changed}")
            before = after
    assert not failures, f"{len(failures)} routes acted for a {role}:\n" + "\n".join(failures)
