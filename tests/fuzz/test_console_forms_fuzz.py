"""Random form posts to every form of the staff console (sign-in, report status/assign/note/message,
account and admin forms), through Flask's test client, as an admin, a reviewer and a stranger,
with a valid CSRF token, a wrong one or none. Whatever is posted, the answer is never a 5xx.

The forms are found in the app's URL map (every rule taking POST), so a form added later is
fuzzed without touching this file; ``/logout`` is left out of the walk (it would end the
session the rest depends on) and checked on its own.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

import console.forms
from bot.storage.db import transaction
from console import auth
from console.forms import FlaskForm
from tests.console import support
from tests.fuzz.cases import CASES
from tests.fuzz.console_app import Console, running_console

FORM_FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The accounts the admin forms act on (<username>): a victim account that exists, and names that
# do not. Not the acting admin (a reset of its own password or second factor would send every
# later case to the "finish signing in first" page) nor the reviewer (whose walk comes next).
VICTIM = ("victim.user", "victim-password-123")
USERNAMES = [VICTIM[0], "nobody", "a", "x" * 300, "../admin", "%00", "ana.admin2", "VICTIM.USER"]


def form_field_names() -> List[str]:
    """Every field of every form the console defines, plus the CSRF token's."""
    names = {"csrf_token"}
    for value in vars(console.forms).values():
        if isinstance(value, type) and issubclass(value, FlaskForm):
            for klass in value.__mro__:
                names.update(name for name, field in vars(klass).items() if isinstance(field, UnboundField))
    return sorted(names)


FIELD_NAMES = form_field_names()
# What a browser can send: any text but unpaired surrogates (those arrive as invalid UTF-8 bytes,
# see RAW_JUNK), NUL and control characters included.
form_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
FIELD_VALUES = (
    form_text
    | st.text(st.characters(exclude_categories=["Cs"]), min_size=900, max_size=1100)
    | st.just("x" * 20_000)
    | st.sampled_from(
        [
            "",
            " ",
            "admin",
            "reviewer",
            "new",
            "in_review",
            "escalated",
            "resolved",
            "dismissed",
            "bnp2mi",
            "123456",
            "000000",
            support.ADMIN[1],
            support.REVIEWER[0],
            "\x00",
            "<script>",
        ]
    )
)


@pytest.fixture(scope="module")
def console_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with running_console(Path(tmp_path_factory.mktemp("console-forms-fuzz"))) as running:
        yield running


def csrf_of(client: FlaskClient, page: str) -> str:
    return support.csrf_token(client.get(page).get_data(as_text=True))


@pytest.fixture(scope="module")
def clients(console_app: Console) -> Dict[str, Tuple[FlaskClient, str]]:
    """Each caller with the CSRF token of its own session."""
    with transaction(console_app.database_url) as session:
        auth.create_user(session, VICTIM[0], VICTIM[1], "reviewer")
    admin, reviewer, stranger = (console_app.app.test_client() for _ in range(3))
    assert support.sign_in(admin, *support.ADMIN).status_code == 302
    assert support.sign_in(reviewer, *support.REVIEWER).status_code == 302
    return {
        "admin": (admin, csrf_of(admin, "/")),
        "reviewer": (reviewer, csrf_of(reviewer, "/")),
        "stranger": (stranger, csrf_of(stranger, "/login")),
    }


def post_rules(console_app: Console) -> List[Rule]:
    return sorted(
        (
            rule
            for rule in console_app.app.url_map.iter_rules()
            if "POST" in (rule.methods or ()) and rule.endpoint != "auth.logout"
        ),
        key=lambda rule: rule.rule,
    )


@st.composite
def form_posts(draw: st.DrawFn, rules: List[Rule], report_ids: List[int]) -> Tuple[Rule, str, Dict[str, str], str, str]:
    rule = draw(st.sampled_from(rules))
    values: Dict[str, object] = {}
    for argument in sorted(rule.arguments):
        converter = rule._converters[argument]
        if type(converter).__name__ == "IntegerConverter":
            values[argument] = draw(st.sampled_from(report_ids + [1, 2, 0, 99999]) | st.integers(1, 2**70))
        elif type(converter).__name__ == "AnyConverter":
            values[argument] = draw(
                st.sampled_from(sorted(converter.items) if hasattr(converter, "items") else ["enable", "disable"])
            )
        else:
            values[argument] = urllib.parse.quote(draw(st.sampled_from(USERNAMES) | form_text.filter(bool)), safe="")
    path = rule.rule
    for argument, value in values.items():
        path = path.replace(f"<{_placeholder(rule, argument)}>", str(value))
    fields = draw(st.dictionaries(st.sampled_from(FIELD_NAMES) | form_text, FIELD_VALUES, max_size=6))
    csrf = draw(st.sampled_from(["valid", "wrong", "none"]))
    junk = draw(st.sampled_from(["", ""] + RAW_JUNK))
    return rule, path, fields, csrf, junk


# Bytes no browser form would encode: invalid UTF-8, a lone surrogate's bytes, repeated keys.
RAW_JUNK = ["text=%ED%A0%80", "username=%FF%FE", "csrf_token=%C3%28", "status=new&status=resolved", "%00=%00", "=&&="]


def _placeholder(rule: Rule, argument: str) -> str:
    """The text between < and > for ``argument`` in the rule, e.g. "int:report_id"."""
    for part in rule.rule.split("<")[1:]:
        inside = part.split(">")[0]
        if inside.split(":")[-1] == argument:
            return inside
    raise AssertionError(f"{argument} not in {rule.rule}")


def post_form(clients: Dict[str, Tuple[FlaskClient, str]], who: str, case: Tuple[Rule, str, Dict[str, str], str, str]):
    rule, path, fields, csrf, junk = case
    client, token = clients[who]
    data = dict(fields)
    data.pop("csrf_token", None)
    if csrf == "valid":
        data["csrf_token"] = token
    elif csrf == "wrong":
        data["csrf_token"] = token[::-1]
    CASES.hit("console_forms", f"{who} {rule.endpoint}")
    body = "&".join(part for part in (urllib.parse.urlencode(data), junk) if part)
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500, (who, path, sorted(data), response.status_code)
    if who != "stranger":
        # The walk must keep its signed-in session, or it would test only redirects to /login.
        assert client.get("/account").status_code == 200, (path, sorted(data))
    return response


def test_forms_on_an_id_past_the_databases_integers_are_no_server_error(console_app: Console, clients) -> None:
    """Found by the API fuzzing (GET /api/reports/9223372036854775808 was a 500 on SQLite): the
    same id in every form route that takes one, with a form that is otherwise valid."""
    client, token = clients["admin"]
    valid = {"status": "in_review", "assignee": "", "text": "catatan", "reason": "", "institution": ""}
    server_errors = []
    for rule in post_rules(console_app):
        if "<int:" not in rule.rule:
            continue
        for huge in (2**31, 2**63, 10**30):
            path = rule.rule.replace(f"<{_placeholder(rule, next(iter(rule.arguments)))}>", str(huge))
            CASES.hit("console_forms", f"admin {rule.endpoint} huge id")
            status = client.post(path, data={**valid, "csrf_token": token}).status_code
            if status >= 500:
                server_errors.append((path, status))
    assert not server_errors, "\n".join(f"{path}: {status}" for path, status in server_errors)


def test_the_walk_covers_the_consoles_forms(console_app: Console) -> None:
    endpoints = {rule.endpoint for rule in post_rules(console_app)}
    assert {
        "auth.login",
        "reports.change_status",
        "reports.add_note",
        "reports.message_reporter",
        "reports.assign",
        "admin.users",
        "admin.tokens",
    } <= endpoints


@pytest.mark.parametrize("who, examples", [("admin", 150), ("reviewer", 60), ("stranger", 60)])
def test_random_form_posts_never_get_a_server_error(console_app: Console, clients, who: str, examples: int) -> None:
    strategy = form_posts(post_rules(console_app), console_app.report_ids)

    @settings(FORM_FUZZ, max_examples=examples)
    @given(case=strategy)
    def run(case) -> None:
        post_form(clients, who, case)

    run()


def test_logout_without_or_with_a_wrong_csrf_token_keeps_the_session(console_app: Console) -> None:
    with transaction(console_app.database_url) as session:
        auth.create_user(session, "logout.check", "logout-password-123", "reviewer")
    client = console_app.app.test_client()
    assert support.sign_in(client, "logout.check", "logout-password-123").status_code == 302
    token = csrf_of(client, "/")
    for data in ({}, {"csrf_token": token[::-1]}, {"csrf_token": "\x00"}, {"csrf_token": "x" * 20_000}):
        CASES.hit("console_forms", "reviewer console.logout")
        assert client.post("/logout", data=data).status_code == 400
        assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302
