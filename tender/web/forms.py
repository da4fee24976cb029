"""WTForms forms: they check shape only; meaning is the services' job.

Messages are instructions ("Enter your e-mail address"), as the GOV.UK
Design System recommends.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, IntegerField, PasswordField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from tender.domain import audit_actions
from tender.domain.bounds import MAX_LOT_NUMBER
from tender.web.validators import DateWithinBounds, IdWithin


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = StringField("E-mail address", validators=[DataRequired("Enter your e-mail address"),
                                                       Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=128)])


class CreateUserForm(FlaskForm):
    """An invitation: the person chooses their own password from the e-mailed link (issue 19)."""

    email = StringField("E-mail address", validators=[DataRequired("Enter an e-mail address"), Length(max=254)])
    name = StringField("Full name", validators=[DataRequired("Enter the person's full name"), Length(max=200)])
    role = RadioField("Role", choices=["administrator", "procurement_officer", "evaluator", "moderator", "approver",
                                       "legal_reviewer"], validators=[InputRequired("Choose a role")])


class AdvanceForm(FlaskForm):
    """One transition: the version the officer saw, and a reason where required."""

    trigger = HiddenField(validators=[DataRequired()])
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), IdWithin()])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=4000)])


class ShortlistDecisionForm(FlaskForm):
    """Shortlist or reject one candidate, with reasons."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional(), IdWithin()])

    decision = RadioField("Decision", choices=["shortlisted", "rejected"],
                          validators=[InputRequired("Choose whether to shortlist or reject the candidate")])
    reason = TextAreaField("Reasons", validators=[DataRequired("Enter the reasons for the decision"),
                                                  Length(max=4000)])


class JustificationForm(FlaskForm):
    """Why fewer candidates than the minimum are shortlisted."""

    justification = TextAreaField("Justification", validators=[
        DataRequired("Enter why fewer candidates than the minimum are shortlisted"), Length(max=4000)])


class MilestoneMetForm(FlaskForm):
    """The date a milestone was met."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional(), IdWithin()])

    actual_date = DateField("Date met", validators=[InputRequired("Enter the date the milestone was met"),
                                                    DateWithinBounds()])


class MilestoneReplanForm(FlaskForm):
    """A new planned date and the reason."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional(), IdWithin()])

    planned_date = DateField("New planned date", validators=[InputRequired("Enter the new planned date"),
                                                             DateWithinBounds()])
    reason = TextAreaField("Reason", validators=[DataRequired("Enter the reason for re-planning"), Length(max=4000)])


EXPORT_FORMATS = {"pdf": "PDF report", "csv": "CSV (spreadsheet)", "jsonl": "JSON Lines",
                  "bundle": "Evidence bundle (ZIP with checksums)"}


class AuditExportForm(FlaskForm):
    """Which export format a legal reviewer wants."""

    format = RadioField("Format", choices=list(EXPORT_FORMATS), validators=[InputRequired("Choose an export format")])


class AuditFilterForm(FlaskForm):
    """Filters for the audit trail (GET, so no CSRF)."""

    class Meta:
        csrf = False

    procurement = StringField("Procurement reference", validators=[Optional(), Length(max=40)])
    lot = IntegerField("Lot", validators=[Optional(), NumberRange(1, MAX_LOT_NUMBER, message=(
        f"Enter a lot number from 1 to {MAX_LOT_NUMBER}"))])
    actor = StringField("Actor", validators=[Optional(), Length(max=254)])
    action = SelectField("Action", choices=[SelectChoice("", "Any action"), *(
                             SelectChoice(code, description) for code, description in audit_actions.ACTIONS.items())],
                         validate_choice=False, validators=[Optional(), AnyOf(
                             list(audit_actions.ACTIONS), message="Choose an action from the list")])
    since = DateField("From", validators=[Optional(), DateWithinBounds("start of the period")])
    until = DateField("To", validators=[Optional(), DateWithinBounds("end of the period")])


__all__ = ["Email"]
