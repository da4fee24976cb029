"""Forms of the Procurement Act pages: the conflicts assessment, abnormally low tenders, standstill and notices.

Shape only, messages as instructions; the services decide what the record allows.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

LONG = 20_000
VERSION = [Optional(), NumberRange(min=0, max=2**31 - 1)]


class AssessmentForm(FlaskForm):
    """The assessment itself: the risks identified and how each is prevented or mitigated."""

    assessment = TextAreaField("The conflicts assessment", validators=[
        DataRequired("Enter the risks of a conflict of interest you identified and how each is prevented or "
                     "mitigated"), Length(max=LONG, message=f"Enter {LONG:,} characters or fewer")])
    version = IntegerField(validators=VERSION)


class AddPersonForm(FlaskForm):
    """Someone acting for the authority whom the record does not show yet."""

    person = IntegerField("Person", validators=[InputRequired("Choose the person to add"),
                                                NumberRange(min=1, max=2**31 - 1, message="Choose the person to add")])


class DeclarationForm(FlaskForm):
    """The signed-in person's own declaration."""

    has_conflict = RadioField("Do you have a conflict of interest?", choices=["no", "yes"],
                              validators=[InputRequired("Choose whether you have a conflict of interest")])
    details = TextAreaField("Your conflict", validators=[Optional(), Length(max=LONG)])


class MitigationForm(FlaskForm):
    """How a declared conflict is prevented or mitigated."""

    mitigation = TextAreaField("Mitigation", validators=[
        DataRequired("Enter how the conflict is prevented or mitigated"), Length(max=LONG)])
    version = IntegerField(validators=VERSION)


class ReviewForm(FlaskForm):
    """The review (before the tender notice) or the revisit at award."""

    note = TextAreaField("Note", validators=[Optional(), Length(max=4000)])
    version = IntegerField(validators=VERSION)


class RequestForm(FlaskForm):
    """The request to the supplier to explain its price."""

    requested_on = DateField("Date the request was sent", validators=[
        InputRequired("Enter the date the request was sent")])
    request = TextAreaField("What you asked", validators=[
        DataRequired("Enter what you asked the supplier to explain"), Length(max=LONG)])


class ReplyForm(FlaskForm):
    """The supplier's explanation (or that none came)."""

    received_on = DateField("Date the reply was received", validators=[
        InputRequired("Enter the date the reply was received")])
    explanation = TextAreaField("The supplier's explanation", validators=[
        DataRequired("Enter the supplier's explanation, or that none was received by the deadline"),
        Length(max=LONG)])
    version = IntegerField(validators=VERSION)


class DecisionForm(FlaskForm):
    """Accept the explanation or reject the tender, with reasons."""

    decision = RadioField("Decision", choices=["accepted", "rejected"], validators=[
        InputRequired("Choose whether to accept the explanation or reject the tender")])
    reasons = TextAreaField("Reasons", validators=[DataRequired("Enter the reasons for the decision"),
                                                   Length(max=LONG)])
    version = IntegerField(validators=VERSION)


class ReasonForm(FlaskForm):
    """A reason kept on record: for a voluntary standstill, or for a notice published late."""

    reason = TextAreaField("Reason", validators=[DataRequired("Enter the reason"), Length(max=4000)])
