"""Form fields whose own errors are instructions, as the GOV.UK Design System asks.

WTForms' ``IntegerField`` answers "abc" with "Not a valid integer value." and
then runs the other validators too, so the page showed that next to the
plain-English range message. ``WholeNumberField`` says one thing: its own
instruction, and nothing else.
"""
from __future__ import annotations

from wtforms import IntegerField
from wtforms.validators import StopValidation


class WholeNumberField(IntegerField):
    """A whole number; anything else gets ``invalid_message`` as the only error."""

    def __init__(self, label=None, validators=None, invalid_message: str = "Enter a whole number", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.invalid_message) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the instruction is already there; range checks would only repeat it
