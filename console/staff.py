"""The signed-in staff account as the console's views see it, and the step a browser must finish
before anything else. Its own module: the app factory (console/app.py) loads users into it and
the blueprints (console/blueprints/) read it, and neither imports the other for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from flask_login import UserMixin

from bot.storage.models import StaffUser


@dataclass(frozen=True)
class Staff(UserMixin):
    """The signed-in account as the views see it (a plain value, not a database row)."""

    id: int
    username: str
    role: str
    # The server-side session's token (Flask-Login's "alternative token": what get_id() returns
    # and the cookie carries). Empty when the request came with an API token instead.
    session_token: str = field(default="", repr=False)
    must_change_password: bool = False
    totp_enabled: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def via_api_token(self) -> bool:
        return not self.session_token

    def get_id(self) -> str:
        return self.session_token

    @classmethod
    def of(cls, user: StaffUser, session_token: str = "") -> "Staff":
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,
            session_token=session_token,
            must_change_password=bool(user.must_change_password),
            totp_enabled=user.totp_enabled_at is not None,
        )


def required_step(user: Any) -> Optional[str]:
    """The page a signed-in browser must finish before any other: a new password after an admin's
    reset, then (admins) enrolling a second factor. None when there is nothing to do."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "via_api_token", True):
        return None
    if user.must_change_password:
        return "auth.change_password"
    if user.is_admin and not user.totp_enabled:
        return "auth.totp_setup"
    return None
