"""Forms of the submission and tender box pages: shape only, messages as instructions; the services decide."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from tender.web.validators import DateWithinBounds

VERSION = [Optional(), NumberRange(min=0, max=2**31 - 1, message="Reload the page and try again")]
#: The prefix of each answer's field name: ``answer-Q1.1``.
ANSWER = "answer-"


class VersionForm(FlaskForm):
    """A button that acts on what the page showed (the version it saw)."""

    version = IntegerField(validators=VERSION)


class AnswersForm(VersionForm):
    """The answers: one ``answer-<question id>`` text area per question, read by the view (the questions vary)."""


class PriceForm(VersionForm):
    """The price envelope."""

    price = StringField("Your price (£)", validators=[Optional(), Length(max=40, message="Enter an amount like 1250000.00")])


class DocumentForm(VersionForm):
    """One document, for the whole response or one question ("" for the whole)."""

    question = StringField(validators=[Optional(), Length(max=80, message="Choose a question from the list")])


class ExtendForm(VersionForm):
    """The officer's extension of a round's deadline for every invited supplier."""

    new_deadline = DateField("New deadline", validators=[Optional(), DateWithinBounds("new deadline")])
    reason = TextAreaField("Reason (every invited supplier is told)",
                           validators=[Optional(), Length(max=2000, message="Enter 2,000 characters or fewer")])
