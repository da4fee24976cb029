"""The contract form: shape only (the domain checks meaning), messages as instructions."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from tender.domain import bounds
from tender.web.fields import WholeNumberField
from tender.web.validators import AmountWithinBounds, DateWithinBounds, WholeWithin, id_field_validators


class ContractForm(FlaskForm):
    """One lot's contract as signed."""

    version = IntegerField(widget=HiddenField.widget, validators=[Optional(), *id_field_validators()])
    reference = StringField("Contract reference", validators=[
        InputRequired("Enter the contract reference, like KCC-LWK-2022-01"),
        Length(max=100, message="Enter a contract reference of 100 characters or fewer")])
    signed_on = DateField("Date signed", validators=[InputRequired("Enter the date the contract was signed"),
                                                     DateWithinBounds("date the contract was signed")])
    value = StringField("Contract value", validators=[
        InputRequired("Enter the contract value in pounds, like 1250000.00"),
        Length(max=40, message="Enter the contract value in pounds, like 1250000.00"),
        Regexp(r"^\s*£?\s*\d[\d,]*(\.\d{1,2})?\s*$", message="Enter the contract value in pounds, like 1250000.00"),
        AmountWithinBounds("the contract value")])
    starts_on = DateField("Start date", validators=[InputRequired("Enter the contract start date"),
                                                    DateWithinBounds("contract start date")])
    ends_on = DateField("End date", validators=[InputRequired("Enter the contract end date"),
                                                DateWithinBounds("contract end date")])
    extension_years = WholeNumberField(
        "Extension options, in years", default=0,
        invalid_message=f"Enter the extension options as a whole number of years from 0 to "
                        f"{bounds.MAX_EXTENSION_YEARS}",
        validators=[Optional(), WholeWithin(0, bounds.MAX_EXTENSION_YEARS,
                                            f"Enter the extension options as a whole number of years from 0 to "
                                            f"{bounds.MAX_EXTENSION_YEARS}")])
