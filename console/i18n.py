"""The console's languages: Indonesian by default, English on request (Flask-Babel catalogues).

The staff are Indonesian, so a page without a choice is in Indonesian (``CONSOLE_LANGUAGE``). ``?lang=en`` (the link in
every page's header) switches, and a cookie keeps the choice for the next pages. The source strings
in the templates and the code are English; ``console/translations/id`` holds the Indonesian
catalogue (``make setup`` compiles it; ``tests/console/test_i18n.py`` fails on a missing entry).
Dates are shown in the staff's time zone (``CONSOLE_TIMEZONE``, WIB by default) and numbers in the
page's language ("30.000.000" in Indonesian, "30,000,000" in English).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional
from urllib.parse import urlencode

from flask import Flask, Response, current_app, has_request_context, request, url_for
from flask_babel import Babel, get_locale, get_timezone

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
LANGUAGE_COOKIE = "console_lang"
LANGUAGE_PARAMETER = "lang"
# A year: the choice is a preference, not a secret (it is not signed and carries nothing personal).
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def chosen_language(asked: Optional[str], remembered: Optional[str], default: str = DEFAULT_LANGUAGE) -> str:
    """The page's language: what this request asks for, else what the cookie remembers, else the
    console's default. Anything that is not one of ours is ignored rather than an error."""
    return _known(asked) or _known(remembered) or default


def _known(value: Optional[str]) -> Optional[str]:
    """``value`` as one of our language codes, or None."""
    code = (value or "").strip().lower()
    return code if code in LANGUAGES else None


def _select_locale() -> str:
    if not has_request_context():
        # Start-up work inside an app context (creating the first admin, say) has no page.
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    return chosen_language(
        request.args.get(LANGUAGE_PARAMETER),
        request.cookies.get(LANGUAGE_COOKIE),
        current_app.config["BABEL_DEFAULT_LOCALE"],
    )


def _remember_language(response: Response) -> Response:
    asked = _known(request.args.get(LANGUAGE_PARAMETER))
    if asked:
        response.set_cookie(
            LANGUAGE_COOKIE,
            asked,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def page_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def other_language() -> str:
    return "en" if page_language() == "id" else "id"


def language_switch_url(language: str) -> str:
    """This page in another language: a link relative to this page (only ``?query``, never the
    path, which the request chose: ``/%5Cevil.com`` would make ``/\\evil.com``, a link to another
    site), with the same query and ``lang`` replaced. A page that answered a form (a POST) has no address to show
    again: its link goes to the queue."""
    if request.method not in ("GET", "HEAD"):
        return url_for("reports.queue", **{LANGUAGE_PARAMETER: language})
    query = [(key, value) for key, value in request.args.items(multi=True) if key != LANGUAGE_PARAMETER]
    query.append((LANGUAGE_PARAMETER, language))
    return "?" + urlencode(query)


def init_app(app: Flask, timezone: str, default_language: str = DEFAULT_LANGUAGE) -> None:
    if default_language not in LANGUAGES:
        raise ValueError(f"CONSOLE_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {default_language!r}.")
    for language in LANGUAGES:
        compiled = Path(app.root_path) / "translations" / language / "LC_MESSAGES" / "messages.mo"
        if language != "en" and not compiled.is_file():
            # Flask-Babel would quietly fall back to English under lang="id".
            raise RuntimeError(f"{compiled} is missing: run `make setup` (pybabel compile -d console/translations).")
    app.config.update(BABEL_DEFAULT_LOCALE=default_language, BABEL_DEFAULT_TIMEZONE=timezone)
    Babel(app, locale_selector=_select_locale)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(
        page_language=page_language,
        other_language=other_language,
        language_switch_url=language_switch_url,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        page_timezone=lambda: str(get_timezone()),
    )
