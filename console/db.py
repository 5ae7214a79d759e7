"""One database session per console request.

The first code that needs the database in a request (the user loader, a view) opens the session;
it is committed once, after the view has built its response and before the response leaves, so a
commit that fails turns into an error page instead of a "saved" message for something that was
not saved. A request that ends in a server error, or raises, is rolled back. Either way the
session is closed when the request ends.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator, Optional

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask import session as cookie_session
from flask_babel import gettext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.storage.db import session_factory

logger = logging.getLogger("console")

_KEY = "_console_db_session"


def request_session() -> Session:
    """This request's session (opened on first use)."""
    session: Optional[Session] = g.get(_KEY)
    if session is None:
        session = session_factory(current_app.config["CONSOLE_SETTINGS"].database_url)()
        setattr(g, _KEY, session)
    return session


@contextlib.contextmanager
def change() -> Iterator[Session]:
    """A step that a rule may refuse (``WorkflowError``, ``AccountError``): when it raises, what
    the request wrote so far is rolled back, so a refused change leaves nothing half done."""
    session = request_session()
    try:
        yield session
        session.flush()  # constraint errors surface here, inside the step, not at the commit
    except BaseException:
        session.rollback()
        raise


def _unavailable() -> Response:
    if request.path.startswith("/api/"):
        return make_response(jsonify(error="the database is not available; nothing was saved, try again"), 503)
    return make_response(
        render_template(
            "error.html",
            title=gettext("Not saved"),
            message=gettext("The database did not answer, so nothing was saved. Wait a moment and try again."),
        ),
        503,
    )


def _commit(response: Response) -> Response:
    session: Optional[Session] = g.pop(_KEY, None)
    if session is None:
        return response
    try:
        if response.status_code < 500:  # a server error page: what the request wrote is dropped
            session.commit()
    except SQLAlchemyError as error:
        # The error's class only: its message can hold the statement's parameters (personal data).
        logger.error("console: commit failed (%s)", type(error).__name__)
        cookie_session.pop("_flashes", None)  # "Note added." would be untrue
        response = _unavailable()
    finally:
        session.close()  # rolls back whatever was not committed
    return response


def _close(_error: Optional[BaseException]) -> None:
    session: Optional[Session] = g.pop(_KEY, None)
    if session is not None:  # the request raised before _commit ran, or an error page used the database
        session.close()


def init_app(app: Flask) -> None:
    """Call after the other after_request functions are registered: Flask runs them in reverse
    order, so the commit runs first and the headers still go on a 503 it returns."""
    app.after_request(_commit)
    app.teardown_request(_close)
