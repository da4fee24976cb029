"""Forms for people's own accounts: choosing, changing and resetting a password (issue 19).

Shape only; the service checks the rules (length, the common-passwords list).
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from tender.domain.passwords import MAX_LENGTH
from tender.domain.roles import STAFF_ROLES

STAFF_CHOICES = [role.value for role in STAFF_ROLES]


class NewPasswordForm(FlaskForm):
    """A new password, twice."""

    password = PasswordField("New password", validators=[DataRequired("Enter a new password"),
                                                          Length(max=MAX_LENGTH)])
    confirm = PasswordField("Confirm the new password", validators=[DataRequired("Enter the new password again"),
                                                                    Length(max=MAX_LENGTH)])


class ChangePasswordForm(NewPasswordForm):
    """The current password, then the new one twice."""

    current = PasswordField("Current password", validators=[DataRequired("Enter your current password"),
                                                            Length(max=MAX_LENGTH)])


class ForgotPasswordForm(FlaskForm):
    """The e-mail address of the account."""

    email = StringField("E-mail address", validators=[DataRequired("Enter your e-mail address"), Length(max=254)])


class RoleForm(FlaskForm):
    """A person's new role, and the role the page showed (so a change made meanwhile is not overwritten)."""

    role = RadioField("Role", choices=STAFF_CHOICES, validators=[InputRequired("Choose a role")])
    expected = RadioField("Role shown", choices=STAFF_CHOICES, validators=[InputRequired("Reload the page")])
