"""What the console's blueprints share: settings, the signed-in user, labels, the admin check."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Callable, Dict, Optional

from flask import abort, current_app, jsonify, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from bot.recruitment.risk import FLAG_CODES
from bot.reports.texts import ReportTexts, load_report_texts
from bot.settings import Settings
from bot.storage import models
from bot.storage.models import Report
from console import queries
from console.i18n import page_language
from console.staff import Staff

# WTForms and Flask-WTF have no Indonesian catalogue of their own: their messages that can reach a
# page (form_problem, the CSRF error page) are listed here so that the extraction puts them in ours.
FORM_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("CSRF Token"),
    _l("The CSRF token is missing."),
    _l("The CSRF session token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF token is invalid."),
    _l("The CSRF tokens do not match."),
    _l("The referrer header is missing."),
    _l("The referrer does not match the host."),
)


def utcnow() -> dt.datetime:
    """Now, in naive UTC: the one clock of the console's pages (tests move it here)."""
    return models.utcnow()


def settings() -> Settings:
    return current_app.config["CONSOLE_SETTINGS"]


def staff() -> Staff:
    return current_user._get_current_object()  # the Staff value, not the proxy


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def report_texts() -> ReportTexts:
    return load_report_texts(str(settings().content_dir))


def flag_titles() -> Dict[str, str]:
    texts = report_texts()
    language = page_language()  # content/ has each title in "id" and "en"
    return {code: texts.flags[code]["title"].get(language, texts.flags[code]["title"]["en"]) for code in FLAG_CODES}


def admin_required(view: Callable) -> Callable:
    @functools.wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not staff().is_admin:
            if is_api_request():
                return jsonify(error="admins only"), 403
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def form_problem(form: Any) -> Optional[str]:
    """None when the submitted form (CSRF token included) is valid, else what is wrong, per field."""
    if form.validate_on_submit():
        return None
    # gettext(str(...)) also translates WTForms' own English messages (FORM_MESSAGES); a text that
    # is already in the page's language is not in the catalogue and comes back as it is.
    return "; ".join(
        f"{gettext(str(getattr(form, name).label.text))}: {' '.join(gettext(str(problem)) for problem in problems)}"
        for name, problems in form.errors.items()
    )


def report_or_404(session: Session, report_id: int) -> Report:
    report = queries.get_report(session, report_id)
    if report is None:
        abort(404)
    return report
