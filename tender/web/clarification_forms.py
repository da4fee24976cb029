"""Forms of the clarifications pages: shape only, messages as instructions; the service decides the rest."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from tender.domain.clarifications import MAX_TEXT
from tender.web.validators import DateWithinBounds

VERSION = [Optional(), NumberRange(min=0, max=2**31 - 1, message="Reload the page and try again")]
TOO_LONG = f"Enter {MAX_TEXT:,} characters or fewer"


class AskForm(FlaskForm):
    """A supplier's clarification question."""

    text = TextAreaField("Your question", validators=[DataRequired("Enter your question"),
                                                      Length(max=MAX_TEXT, message=TOO_LONG)])


class AnswerForm(FlaskForm):
    """The officer's answer to one question, with the question as it will be published."""

    version = IntegerField(validators=VERSION)
    question = TextAreaField("Question as it will be published", validators=[
        DataRequired("Enter the question as it will be published"), Length(max=MAX_TEXT, message=TOO_LONG)])
    answer = TextAreaField("Answer", validators=[DataRequired("Enter the answer"),
                                                 Length(max=MAX_TEXT, message=TOO_LONG)])


class NoticeForm(FlaskForm):
    """A clarification the officer publishes without a question: an answer of their own, or a change to the documents."""

    kind = RadioField("What are you publishing?", choices=["answer", "document_change"],
                      validators=[InputRequired("Choose whether this is a clarification or a change to the documents")])
    question = TextAreaField("Subject", validators=[DataRequired("Enter the subject, or what changes"),
                                                    Length(max=MAX_TEXT, message=TOO_LONG)])
    answer = TextAreaField("Details", validators=[DataRequired("Enter the details"),
                                                  Length(max=MAX_TEXT, message=TOO_LONG)])


class ExtensionForm(FlaskForm):
    """Accept the proposed extension (the proposed date or later), or keep the deadline with the reason."""

    version = IntegerField(validators=VERSION)
    decision = RadioField("Extend the deadline?", choices=["accept", "decline"],
                          validators=[InputRequired("Choose whether to extend the deadline")])
    new_deadline = DateField("New deadline", validators=[Optional(), DateWithinBounds("new deadline")])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])
