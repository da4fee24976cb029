"""WTForms forms: they check shape only; meaning is the services' job.

Messages are instructions ("Enter your e-mail address"), as the GOV.UK
Design System recommends.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = StringField("E-mail address", validators=[DataRequired("Enter your e-mail address"),
                                                       Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=128)])


class CreateUserForm(FlaskForm):
    """A new account: the service checks the password rules and the role."""

    email = StringField("E-mail address", validators=[DataRequired("Enter an e-mail address"), Length(max=254)])
    name = StringField("Full name", validators=[DataRequired("Enter the person's full name"), Length(max=200)])
    role = RadioField("Role", choices=["administrator", "procurement_officer", "evaluator", "moderator", "approver",
                                       "legal_reviewer"], validators=[InputRequired("Choose a role")])
    password = PasswordField("Password", validators=[DataRequired("Enter a password"), Length(max=128)])


class AdvanceForm(FlaskForm):
    """One transition: the version the officer saw, and a reason where required."""

    trigger = HiddenField(validators=[DataRequired()])
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=4000)])


class ShortlistDecisionForm(FlaskForm):
    """Shortlist or reject one candidate, with reasons."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])

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

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])

    actual_date = DateField("Date met", validators=[InputRequired("Enter the date the milestone was met")])


class MilestoneReplanForm(FlaskForm):
    """A new planned date and the reason."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])

    planned_date = DateField("New planned date", validators=[InputRequired("Enter the new planned date")])
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
    lot = IntegerField("Lot", validators=[Optional()])
    actor = StringField("Actor", validators=[Optional(), Length(max=254)])
    action = StringField("Action", validators=[Optional(), Length(max=80)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])


__all__ = ["Email"]
