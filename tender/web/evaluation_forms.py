"""Evaluation forms: they check shape only; the evaluation services check meaning.

Score sheets have one score and one rationale per question of the model, so
they are read by ``sheet_entries`` rather than declared as WTForms fields;
radios are written in the templates (one per scale point, labelled with its
descriptor) and the services refuse any value that is not a point.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

ACTIONS = ("draft", "submit")


class AssignForm(FlaskForm):
    """Add one evaluator or moderator to a lot's panel (sections are read with ``sections_from``)."""

    user_id = IntegerField("Person", validators=[InputRequired("Choose a person to add to the panel")])


class WithdrawForm(FlaskForm):
    """Take one person off a lot's panel, with the reason."""

    user_id = IntegerField("Person", validators=[InputRequired("Choose the person to take off the panel")])
    reason = TextAreaField("Reason", validators=[DataRequired("Enter the reason for taking this person off the panel"),
                                                 Length(max=2000)])
    version = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])


class DeclarationForm(FlaskForm):
    """A panel member's declaration of interest for one lot."""

    has_conflict = StringField("Conflict", validators=[
        InputRequired("Choose yes if you have a conflict of interest with any bidder, or no if you do not"),
        AnyOf(["yes", "no"], message="Choose yes or no")])
    details = TextAreaField("Details", validators=[Optional(), Length(max=4000)])


class ConfirmForm(FlaskForm):
    """A button with nothing to fill in (opening prices): CSRF only."""


def sections_from(form) -> list[str]:
    """The criterion ids ticked on the assignment form."""
    return [s for s in form.getlist("sections") if s]


def sheet_entries(form, question_ids) -> dict[str, tuple[str, str]]:
    """question id -> (score as text, rationale) from a posted score or moderation sheet."""
    return {qid: (form.get(f"score-{qid}", ""), form.get(f"rationale-{qid}", ""))[:2] for qid in question_ids}


def sheet_versions(form, question_ids, missing: int | None = 0) -> dict[str, int]:
    """question id -> the row version the page showed (0: none yet; -1: unreadable, so it never matches).

    ``missing`` is what a question without a version field counts as: 0 (the
    sender saw no row) for consensus scores, or None to leave it unchecked for
    a person's own drafts, where the only rival is their own other tab.
    """
    versions = {}
    for qid in question_ids:
        raw = form.get(f"version-{qid}")
        if raw is None:
            if missing is not None:
                versions[qid] = missing
            continue
        versions[qid] = int(raw) if raw.isdigit() and len(raw) < 10 else -1
    return versions


def sheet_action(form) -> str | None:
    """"draft" or "submit", from the button pressed; None if neither."""
    action = form.get("action", "draft")
    return action if action in ACTIONS else None


def field_id(question_id: str) -> str:
    """An HTML id for a question (ids like Q1.1 would need escaping in CSS selectors)."""
    return question_id.replace(".", "-")
