"""Flask-WTF forms: each carries the CSRF token that CSRFProtect checks on every POST."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from bot.storage.models import STAFF_ROLES
from console.workflow import INSTITUTIONS, MAX_TEXT


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class CodeForm(FlaskForm):
    """The second sign-in step: a 6-digit code from the app, or a recovery code."""

    code = StringField(
        "Code from your authenticator app (or a recovery code)", validators=[DataRequired(), Length(max=40)]
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("New password (12+ characters)", validators=[DataRequired(), Length(max=1000)])
    repeat = PasswordField("New password again", validators=[DataRequired(), Length(max=1000)])


class TotpConfirmForm(FlaskForm):
    code = StringField("6-digit code the app shows now", validators=[DataRequired(), Length(max=20)])


class TotpDisableForm(FlaskForm):
    code = StringField("Current 6-digit code", validators=[DataRequired(), Length(max=20)])


class CsrfOnlyForm(FlaskForm):
    """A button that changes something (log out, disable, revoke): only the CSRF token."""


class StatusForm(FlaskForm):
    status = SelectField("New status", validators=[DataRequired()], choices=[])
    institution = SelectField(
        "Institution (when escalating)",
        validators=[Optional()],
        choices=[("", "—")] + [(code, name) for code, name in INSTITUTIONS.items()],
    )
    reason = TextAreaField("Reason / note (required to resolve or dismiss)", validators=[Length(max=MAX_TEXT)])


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", validators=[Optional()], choices=[])


class NoteForm(FlaskForm):
    text = TextAreaField("Internal note (staff only)", validators=[DataRequired(), Length(max=MAX_TEXT)])


class MessageForm(FlaskForm):
    text = TextAreaField(
        "Message to the reporter (shown at their next status check)", validators=[DataRequired(), Length(max=MAX_TEXT)]
    )


class UserCreateForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("Password (12+ characters)", validators=[DataRequired(), Length(max=1000)])
    role = SelectField("Role", choices=[(role, role) for role in STAFF_ROLES])


class TokenCreateForm(FlaskForm):
    username = SelectField("For user", validators=[DataRequired()], choices=[])
    name = StringField("What it is for", validators=[DataRequired(), Length(max=80)])
