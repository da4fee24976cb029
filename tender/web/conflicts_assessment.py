"""The conflicts assessment page: record it, declare, mitigate, review and date it, revisit it at award.

Thin views: each form goes to one service call; a refusal re-renders the
page with the reason and its status (400, 403 or 409).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tender.services.errors import ServiceError
from tender.services.procurement import conflicts_assessment as service
from tender.web.act_forms import AddPersonForm, AssessmentForm, DeclarationForm, MitigationForm, ReviewForm
from tender.web.auth import client_ip

bp = Blueprint("conflicts", __name__, url_prefix="/procurements/<int:procurement_id>/conflicts-assessment")


def _render(procurement_id: int, status: int = 200, errors=None):
    view = service.view(procurement_id, current_user)
    return render_template("conflicts/assessment.html", view=view, procurement=view.procurement,
                           me=view.person(current_user.id), addable=service.addable(view),
                           award_stage=view.procurement.state in service.award_stages(view.procurement),
                           errors=errors or []), status


def _act(procurement_id: int, form, action, done: str):
    """Validate the form's shape, call the service, then back to the page (or the page again with why not)."""
    if not form.validate():
        return _render(procurement_id, 400, [e for errs in form.errors.values() for e in errs])
    try:
        action()
    except ServiceError as exc:
        return _render(procurement_id, exc.status, [str(exc)])
    flash(done, "success")
    return redirect(url_for(".page", procurement_id=procurement_id))


@bp.route("")
@login_required
def page(procurement_id: int):
    """The assessment, everyone it covers and their declarations, and what is still to do."""
    return _render(procurement_id)


@bp.route("", methods=["POST"])
@login_required
def record(procurement_id: int):
    """Record the assessment, or revise it (a revision needs a new review)."""
    form = AssessmentForm()
    return _act(procurement_id, form, lambda: service.record(procurement_id, current_user, form.assessment.data,
                                                             client_ip(), expected_version=form.version.data),
                "The conflicts assessment is recorded. It needs a review before the tender notice.")


@bp.route("/people", methods=["POST"])
@login_required
def add_person(procurement_id: int):
    """Add someone acting for the authority that the record does not show yet."""
    form = AddPersonForm()
    return _act(procurement_id, form, lambda: service.add_person(procurement_id, current_user, form.person.data,
                                                                 client_ip()),
                "The person is added. They declare on this page.")


@bp.route("/declaration", methods=["POST"])
@login_required
def declare(procurement_id: int):
    """The signed-in person's own declaration."""
    form = DeclarationForm()
    return _act(procurement_id, form, lambda: service.declare(procurement_id, current_user,
                                                              form.has_conflict.data == "yes", form.details.data,
                                                              client_ip()),
                "Your declaration is recorded.")


@bp.route("/people/<int:person_id>/mitigation", methods=["POST"])
@login_required
def mitigate(procurement_id: int, person_id: int):
    """How a declared conflict is prevented or mitigated."""
    form = MitigationForm()
    return _act(procurement_id, form, lambda: service.mitigate(procurement_id, current_user, person_id,
                                                               form.mitigation.data, client_ip(),
                                                               expected_version=form.version.data),
                "The mitigation is recorded.")


@bp.route("/review", methods=["POST"])
@login_required
def review(procurement_id: int):
    """Review and date the assessment (someone other than who prepared it)."""
    form = ReviewForm()
    return _act(procurement_id, form, lambda: service.review(procurement_id, current_user, form.note.data,
                                                             client_ip(), expected_version=form.version.data),
                "The conflicts assessment is reviewed and dated.")


@bp.route("/award-revisit", methods=["POST"])
@login_required
def revisit(procurement_id: int):
    """Confirm at award that the assessment still covers everyone acting for the authority."""
    form = ReviewForm()
    return _act(procurement_id, form, lambda: service.revisit_at_award(procurement_id, current_user, form.note.data,
                                                                       client_ip(),
                                                                       expected_version=form.version.data),
                "The conflicts assessment is revisited at award.")


__all__ = ["bp"]
