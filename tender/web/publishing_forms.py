"""Forms for what notices need; shape only: ``tender.services.publishing.details`` checks meaning."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError


class OrganisationForm(FlaskForm):
    """A party: legal name, identifier, address, contact point."""

    name = StringField("Legal name", validators=[Length(max=200)])
    scheme = StringField("Register the identifier comes from")
    identifier = StringField("Identifier", validators=[Length(max=40)])
    ppon = StringField("Public Procurement Organisation Number (PPON), if the identifier is another one (optional)",
                       validators=[Length(max=40)])
    street_address = StringField("Building and street", validators=[Length(max=300)])
    locality = StringField("Town or city", validators=[Length(max=100)])
    postal_code = StringField("Postcode", validators=[Length(max=10)])
    region = StringField("ITL region code (optional)", validators=[Length(max=5)])
    contact_name = StringField("Contact point (optional)", validators=[Length(max=200)])
    contact_email = StringField("Contact email address (optional)", validators=[Length(max=254)])
    contact_telephone = StringField("Contact telephone (optional)", validators=[Length(max=40)])
    url = StringField("Web site (optional)", validators=[Length(max=300)])
    authority_type = StringField("Type of contracting authority")
    vcse = BooleanField("A voluntary, community or social enterprise (VCSE)")
    illustrative = BooleanField("These identifiers are illustrative (demonstration data), not real")


class ClassificationForm(FlaskForm):
    """CPV codes, submission method and the enquiry deadline; one CPV field per lot is added by the view."""

    cpv_code = StringField("CPV code of the procurement", validators=[Length(max=10)])
    submission_method = StringField("How tenders are submitted")
    submission_url = StringField("E-tendering portal address (optional)", validators=[Length(max=300)])
    enquiry_deadline = DateField("Deadline for clarification questions (optional)", validators=[Optional()],
                                 format="%Y-%m-%d")
    vat_percent = DecimalField("VAT rate on the contract's value, in percent", places=2,
                               validators=[InputRequired("Enter the VAT rate, like 20, or 0 if no VAT is charged"),
                                           NumberRange(0, 100, "Enter the VAT rate as a percentage from 0 to 100")])


class ConfirmNoticeForm(FlaskForm):
    generated_at = HiddenField()
    sha256 = HiddenField()


class FtsNumbersForm(FlaskForm):
    fts_ocid = StringField("Find a Tender ocid", validators=[Length(max=60)])
    notice_number = StringField("Find a Tender notice number", validators=[Length(max=20)])


class RecordElsewhereForm(FlaskForm):
    """A notice published on Find a Tender directly: its notice number, ocid and when it was published there."""

    notice_number = StringField("Find a Tender notice number",
                                validators=[DataRequired("Enter the notice number, like 011531-2025"),
                                            Length(max=20, message="Enter the notice number, like 011531-2025")])
    fts_ocid = StringField("Find a Tender ocid (optional)", validators=[Optional(), Length(max=60)])
    published_on = DateField("Date published", validators=[InputRequired("Enter the date the notice was published")])
    published_time = StringField("Time published", validators=[
        DataRequired("Enter the time the notice was published, like 14:30")])

    def validate_published_time(self, field) -> None:
        """24-hour UK time, like 09:05 or 14:30."""
        match = re.fullmatch(r"\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*", field.data or "")
        if not match:
            raise ValidationError("Enter the time published in 24-hour format, like 14:30")
        field.data = f"{int(match.group(1)):02d}:{match.group(2)}"
