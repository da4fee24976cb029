"""Clarifications pages: suppliers ask; the officer publishes answers to all; the equal-treatment record.

Thin views: each form goes to one service call, which decides who may see
and do what (a supplier not invited to the procurement gets a 404); a
refusal re-renders the page with the reason and its status.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tender.services import clarifications as service
from tender.services.errors import ServiceError
from tender.web.auth import client_ip
from tender.web.clarification_forms import AnswerForm, AskForm, ExtensionForm, NoticeForm

bp = Blueprint("clarifications", __name__, url_prefix="/procurements/<int:procurement_id>/clarifications")


def _errors(form) -> list[str]:
    return [e for errs in form.errors.values() for e in errs]


def _render(procurement_id: int, status: int = 200, errors=None, focus: str | None = None, form=None):
    view = service.page(procurement_id, current_user)
    return render_template("clarifications/page.html", view=view, procurement=view.procurement,
                           errors=errors or [], focus=focus, posted=form), status


def _act(procurement_id: int, form, action, done, focus: str | None = None):
    if not form.validate():
        return _render(procurement_id, 400, _errors(form), focus, form)
    try:
        result = action()
    except ServiceError as exc:
        if exc.status != 400:
            raise
        return _render(procurement_id, 400, [str(exc)], focus, form)
    flash(done(result) if callable(done) else done, "success")
    return redirect(url_for(".page", procurement_id=procurement_id))


def _published(result: service.Published) -> str:
    people = f"{result.recipients} {'person' if result.recipients == 1 else 'people'}"
    text = f"Clarification {result.clarification.number} is published and queued for e-mail to {people}."
    if result.late is not None:
        text += " " + result.late.message
    return text


@bp.route("")
@login_required
def page(procurement_id: int):
    """The published clarifications; a supplier's own questions; the officer's questions to answer."""
    return _render(procurement_id)


@bp.route("/questions", methods=["POST"])
@login_required
def ask(procurement_id: int):
    """A supplier asks a question; only the officer sees who asked."""
    form = AskForm()
    return _act(procurement_id, form, lambda: service.ask(procurement_id, current_user, form.text.data, client_ip()),
                "Your question is sent. The answer will be published to every supplier invited, without your "
                "name.", "ask")


@bp.route("/questions/<int:question_id>/answer", methods=["POST"])
@login_required
def answer(procurement_id: int, question_id: int):
    """The officer publishes the answer to one question, to every invited supplier."""
    form = AnswerForm()
    return _act(procurement_id, form, lambda: service.publish(
        procurement_id, current_user, kind="answer", question=form.question.data, answer=form.answer.data,
        question_id=question_id, expected_version=form.version.data, ip=client_ip()), _published,
        f"question-{question_id}")


@bp.route("/publish", methods=["POST"])
@login_required
def publish(procurement_id: int):
    """The officer publishes a clarification of their own or a change to the procurement documents."""
    form = NoticeForm()
    return _act(procurement_id, form, lambda: service.publish(
        procurement_id, current_user, kind=form.kind.data, question=form.question.data, answer=form.answer.data,
        ip=client_ip()), _published, "notice")


@bp.route("/<int:clarification_id>/extension", methods=["POST"])
@login_required
def extension(procurement_id: int, clarification_id: int):
    """Accept the proposed deadline extension for every invited supplier, or keep the deadline with the reason."""
    form = ExtensionForm()
    return _act(procurement_id, form, lambda: service.decide_extension(
        procurement_id, clarification_id, current_user, accept=form.decision.data == "accept",
        new_deadline=form.new_deadline.data, reason=form.reason.data, expected_version=form.version.data,
        ip=client_ip()),
        lambda c: (f"The deadline is extended to {c.extended_to:%-d %B %Y} for every invited supplier, who are "
                   "being told by e-mail." if c.extended_to else "The deadline is kept; your reason is recorded."),
        f"extension-{clarification_id}")


@bp.route("/record")
@login_required
def record(procurement_id: int):
    """The equal-treatment record: what each invited supplier was sent, and when."""
    procurement, published, suppliers = service.equal_treatment_record(procurement_id, current_user)
    return render_template("clarifications/record.html", procurement=procurement, published=published,
                           suppliers=suppliers)


__all__ = ["bp"]
