"""Forms of the award pages: recommending a lot, the approver's declarations and approval, reopening scores."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class RecommendForm(FlaskForm):
    """Record a lot's recommendation: the first-ranked bid, or no award with the reason."""

    no_award_reason = TextAreaField("Reason for no award", validators=[Optional(), Length(max=4000)])


class ApproveForm(FlaskForm):
    """The approver's delegated authority, a note, the digest of what the page showed, and a confirmation."""

    authority = StringField("Delegated authority", validators=[
        DataRequired("Enter the delegated authority you are acting under"), Length(max=500)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=4000)])
    digest = HiddenField(validators=[DataRequired("Reload the page: it did not say which recommendations "
                                                  "you are approving"), Length(min=64, max=64)])
    confirm = BooleanField("I have read the recommendation for every lot", validators=[
        DataRequired("Confirm that you have read the recommendation for every lot")])


class ReopenForm(FlaskForm):
    """Reopen a lot's frozen scores, with the reason (kept in the audit trail)."""

    reason = TextAreaField("Why the scores must be reopened", validators=[
        DataRequired("Enter the reason for reopening the scores"), Length(max=4000)])
    version = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])


class ConfirmFinalForm(FlaskForm):
    """Confirm a reopened lot's scores final again (freezes them)."""

    version = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])


class LotDeclarationForm(FlaskForm):
    """The approver's per-lot declarations: CSRF here, the answers read per lot by ``declaration_answers``."""


def declaration_answers(form, lot_numbers) -> tuple[dict[int, tuple[bool, str]], list[tuple[str, str]]]:
    """lot number -> (has conflict, details) from the posted form, and errors as (message, field id)."""
    answers, errors = {}, []
    for number in lot_numbers:
        choice = form.get(f"conflict-{number}", "")
        details = form.get(f"details-{number}", "")[:4000]
        if choice not in ("yes", "no"):
            errors.append((f"Choose whether you have a conflict of interest for lot {number}",
                           f"conflict-{number}-no"))
            continue
        if choice == "yes" and not details.strip():
            errors.append((f"Describe your conflict of interest for lot {number}", f"details-{number}"))
            continue
        answers[number] = (choice == "yes", details)
    return answers, errors
