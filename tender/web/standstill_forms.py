"""Forms for recording the award notices' sending and legal challenges: shape only, messages as instructions."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError


class RecordNoticesForm(FlaskForm):
    """When the last award decision letter or assessment summary was sent, and how."""

    sent_on = DateField("Date sent", validators=[InputRequired("Enter the date the last one was sent")])
    sent_time = StringField("Time sent", validators=[DataRequired("Enter the time the last one was sent, like 14:30")])
    electronic = RadioField("Sent electronically", choices=["yes", "no"], default="yes",
                            validators=[InputRequired("Choose whether they were sent electronically")])
    received_on = DateField("Date the last one was received", validators=[Optional()])

    def validate_sent_time(self, field) -> None:
        """24-hour UK time, like 09:05 or 14:30."""
        match = re.fullmatch(r"\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*", field.data or "")
        if not match:
            raise ValidationError("Enter the time sent in 24-hour format, like 14:30")
        field.data = f"{int(match.group(1)):02d}:{match.group(2)}"


class ChallengeForm(FlaskForm):
    """A claim form issued against the award decision."""

    reference = StringField("Claim number", validators=[DataRequired("Enter the claim number from the claim form"),
                                                        Length(max=100, message="Enter 100 characters or fewer")])
    issued_on = DateField("Date issued", validators=[InputRequired("Enter the date the claim form was issued")])
    aware_on = DateField("Date you became aware", validators=[InputRequired("Enter the date you became aware of it")])
    note = TextAreaField("Note", validators=[Optional(), Length(max=4000)])


class LiftSuspensionForm(FlaskForm):
    """What lifted the suspension, and when."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    lifted_on = DateField("Date lifted", validators=[InputRequired("Enter the date the suspension was lifted")])
    reason = TextAreaField("What lifted it", validators=[
        DataRequired("Enter what lifted the suspension, like the court order and its date"), Length(max=4000)])
