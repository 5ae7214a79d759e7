"""Flask-WTF forms: each carries the CSRF token that CSRFProtect checks on every POST.

Labels and messages are lazy translations: a form's text is in the language of the page it is on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from bot.storage.models import STAFF_ROLES
from console.workflow import INSTITUTIONS, MAX_TEXT

# WTForms' own words (every maximum here is above one, so its plural form), in our catalogue.
_TOO_LONG = _l("Field cannot be longer than %(max)d characters.")


def _at_most(characters: int) -> Length:
    return Length(max=characters, message=_TOO_LONG)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), _at_most(80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), _at_most(1000)])


class CodeForm(FlaskForm):
    """The second sign-in step: a 6-digit code from the app, or a recovery code."""

    code = StringField(
        _l("Code from your authenticator app (or a recovery code)"), validators=[DataRequired(), _at_most(40)]
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), _at_most(1000)])
    new = PasswordField(_l("New password (12+ characters)"), validators=[DataRequired(), _at_most(1000)])
    repeat = PasswordField(_l("New password again"), validators=[DataRequired(), _at_most(1000)])


class TotpConfirmForm(FlaskForm):
    code = StringField(_l("6-digit code the app shows now"), validators=[DataRequired(), _at_most(20)])


class TotpDisableForm(FlaskForm):
    code = StringField(_l("Current 6-digit code"), validators=[DataRequired(), _at_most(20)])


class CsrfOnlyForm(FlaskForm):
    """A button that changes something (log out, disable, revoke): only the CSRF token."""


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[DataRequired()], choices=[])
    institution = SelectField(
        _l("Institution (when escalating)"),
        validators=[Optional()],
        choices=[("", "—")] + [(code, name) for code, name in INSTITUTIONS.items()],
    )
    reason = TextAreaField(_l("Reason / note (required to resolve or dismiss)"), validators=[_at_most(MAX_TEXT)])


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), validators=[Optional()], choices=[])


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note (staff only)"), validators=[DataRequired(), _at_most(MAX_TEXT)])


class MessageForm(FlaskForm):
    text = TextAreaField(
        _l("Message to the reporter (shown at their next status check)"),
        validators=[DataRequired(), _at_most(MAX_TEXT)],
    )


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), _at_most(40)])
    password = PasswordField(_l("Password (12+ characters)"), validators=[DataRequired(), _at_most(1000)])
    # The stored role values ("admin", "reviewer"): staff know them by these names.
    role = SelectField(_l("Role"), choices=[(role, role) for role in STAFF_ROLES])


class TokenCreateForm(FlaskForm):
    username = SelectField(_l("For user"), validators=[DataRequired()], choices=[])
    name = StringField(_l("What it is for"), validators=[DataRequired(), _at_most(80)])
