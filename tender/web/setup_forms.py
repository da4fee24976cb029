"""Forms for setting a procurement up: they check shape only; the setup services check meaning.

Choices read from data (procedures, users, suppliers, evaluation models) are
plain text fields here, rendered as radios or selects by the templates; the
service says in plain English if a value is not one it accepts.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DateTimeLocalField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from tender.domain import bounds
from tender.services.procurement.setup import REGIME_LABELS
from tender.web.validators import AmountWithinBounds, DateWithinBounds, WholeWithin

MONEY = r"^\s*£?\s*[0-9][0-9,]*(\.[0-9]{1,2})?\s*$"
WHOLE = r"^\s*[0-9]+\s*$"
YEARS = r"^\s*[0-9]+\s*(,\s*[0-9]+\s*)*$"
PERCENT = r"^\s*[0-9]+(\.[0-9]{1,3})?\s*%?\s*$"


def whole(text: str | None) -> int | None:
    """A whole number the form has already checked, or None if it was left blank."""
    return int(text) if text and text.strip() else None


def years(text: str | None) -> list[int]:
    """Extension options typed as "2" or "1, 1"."""
    return [int(part) for part in (text or "").split(",") if part.strip()]


class NewProcurementForm(FlaskForm):
    """What a procurement is: reference, procedure, regime, value, term and the facts that shorten periods."""

    reference = StringField("Reference", validators=[
        DataRequired("Enter a reference for the procurement, like KCC-22/00033"),
        Length(max=40, message="Enter a reference of 40 characters or fewer")])
    title = StringField("Title", validators=[DataRequired("Enter the title of the procurement"),
                                             Length(max=300, message="Enter a title of 300 characters or fewer")])
    description = TextAreaField("Description (optional)", validators=[Optional(), Length(max=4000)])
    procedure = StringField("Procedure", validators=[InputRequired("Choose the procedure the procurement will follow")])
    regime = RadioField("Regime", choices=list(REGIME_LABELS), validators=[InputRequired("Choose the regime")],
                        invalid_choice_message="Choose one of the regimes listed")
    estimated_value = StringField("Estimated value (£)", validators=[
        DataRequired("Enter the estimated value of the contract"),
        Regexp(MONEY, message="Enter the estimated value in pounds, like 1250000.00"),
        AmountWithinBounds("an estimated value")])
    initial_term_years = StringField("Initial contract term (years)", validators=[
        DataRequired("Enter the initial contract term in years"),
        Regexp(WHOLE, message="Enter the initial contract term as a whole number of years, like 3"),
        WholeWithin(1, bounds.MAX_TERM_YEARS,
                    f"Enter an initial contract term from 1 to {bounds.MAX_TERM_YEARS} years")])
    extension_years = StringField("Extension options (years, optional)", validators=[
        Optional(),
        Regexp(YEARS, message="Enter the extension options as whole years separated by commas, like 2 or 1, 1")])
    electronic_submission = BooleanField("Tenders are submitted electronically")
    qualifying_pin = BooleanField("A qualifying prior information notice was published")
    urgency = BooleanField("A state of urgency is duly substantiated")
    award_on_initial_reserved = BooleanField("The documents reserve the right to award on initial tenders")
    lead_officer = StringField("Lead officer", validators=[
        InputRequired("Choose the lead officer"), Regexp(WHOLE, message="Choose the lead officer from the list"),
        WholeWithin(1, bounds.MAX_ID, "Choose the lead officer from the list")])


class LotForm(FlaskForm):
    """A lot: its number, title, annual budget and evaluation model."""

    number = StringField("Lot number", validators=[
        DataRequired("Enter the lot number"), Regexp(WHOLE, message="Enter the lot number as a whole number, like 1"),
        WholeWithin(1, bounds.MAX_LOT_NUMBER, f"Enter a lot number from 1 to {bounds.MAX_LOT_NUMBER}")])
    title = StringField("Lot title", validators=[DataRequired("Enter the lot title"), Length(max=300)])
    annual_budget = StringField("Annual budget (£, optional)", validators=[
        Optional(), Regexp(MONEY, message="Enter the annual budget in pounds, like 250000.00"),
        AmountWithinBounds("an annual budget")])
    evaluation_model = StringField("Evaluation model", validators=[Optional(), Length(max=120)])


class FunderForm(FlaskForm):
    """A funder and its yearly contribution."""

    name = StringField("Funder", validators=[DataRequired("Enter the funder's name"), Length(max=200)])
    annual_amount = StringField("Annual contribution (£)", validators=[
        DataRequired("Enter the funder's annual contribution"),
        Regexp(MONEY, message="Enter the annual contribution in pounds, like 250000.00"),
        AmountWithinBounds("an annual contribution")])
    annual_uplift_percent = StringField("Annual uplift (%, optional)", validators=[
        Optional(), Regexp(PERCENT, message="Enter the annual uplift as a percentage, like 2.5")])
    is_lead = BooleanField("This is the lead funder")


class PlanMilestoneForm(FlaskForm):
    """A milestone's first planned date and its owner."""

    planned_date = DateField("Planned date", validators=[InputRequired("Enter the planned date"), DateWithinBounds()],
                             invalid_value_message="Enter the planned date as a real date, like 4 April 2022")
    owner = StringField("Owner", validators=[InputRequired("Choose who owns the milestone"),
                                             Regexp(WHOLE, message="Choose the owner from the list"),
                                             WholeWithin(1, bounds.MAX_ID, "Choose the owner from the list")])


class SQResponseForm(FlaskForm):
    """A selection questionnaire response: who sent it and when it arrived."""

    supplier_name = StringField("Supplier", validators=[DataRequired("Enter the supplier's name"), Length(max=200)])
    received_at = DateTimeLocalField("Received (UK time)", validators=[
        InputRequired("Enter the date and time the response was received"), DateWithinBounds()],
        invalid_value_message="Enter when the response was received as a date and time, like 3 May 2022 11:00")


class BidForm(FlaskForm):
    """A tender: lot, supplier, round, when it arrived and its price."""

    lot_number = StringField("Lot", validators=[InputRequired("Choose the lot"),
                                                Regexp(WHOLE, message="Choose the lot from the list"),
                                                WholeWithin(1, bounds.MAX_LOT_NUMBER, "Choose the lot from the list")])
    supplier = StringField("Supplier", validators=[InputRequired("Choose the supplier"),
                                                   Regexp(WHOLE, message="Choose the supplier from the list"),
                                                   WholeWithin(1, bounds.MAX_ID, "Choose the supplier from the list")])
    round = StringField("Round", validators=[InputRequired("Choose the round of tenders")])
    received_at = DateTimeLocalField("Received (UK time)", validators=[
        InputRequired("Enter the date and time the tender was received"), DateWithinBounds()],
        invalid_value_message="Enter when the tender was received as a date and time, like 8 July 2022 11:00")
    price = StringField("Price (£)", validators=[
        DataRequired("Enter the tender price"),
        Regexp(MONEY, message="Enter the tender price in pounds, like 1395000.00"),
        AmountWithinBounds("a tender price")])
    received_via = StringField("How it was received", validators=[Optional()])
