"""The console's JSON API fuzzed from its own OpenAPI description (console/openapi.yaml, served at
GET /api/openapi.json) with schemathesis, in process through WSGI: with an admin's and a
reviewer's real bearer token, and with none. Every answer must be no server error and exactly
what the description promises (status code documented, body of the documented shape).
"""

from __future__ import annotations

import contextlib
import urllib.parse
from pathlib import Path
from typing import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from console.blueprints.api import openapi_document
from tests.console import support
from tests.databases import PostgresUnavailable, missing_service, throwaway_postgres
from tests.fuzz.cases import CASES
from tests.fuzz.console_app import Console, running_console

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Two operations, three callers: together about 10 s (schemathesis adds its own coverage cases,
# boundary values and other methods, to the generated ones).
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with running_console(Path(tmp_path_factory.mktemp("console-api-fuzz"))) as running:
        yield running


@pytest.fixture(scope="module")
def api_schema(console: Console):
    """All of schemathesis' phases: its coverage cases (boundary values, missing and duplicate
    parameters, other methods) and generated ones."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", console.app)


@pytest.fixture(scope="module")
def generated_only_schema(console: Console):
    """Generated cases only: the coverage cases do not depend on who asks, and run once above."""
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
    return schemathesis.openapi.from_wsgi("/api/openapi.json", console.app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")
generated_only = schemathesis.pytest.from_fixture("generated_only_schema")


@schema.parametrize()
@FUZZ
def test_the_api_keeps_its_description_for_an_admin(case, console: Console) -> None:
    CASES.hit("console_api", f"admin {case.operation.label}")
    case.call_and_validate(headers=console.bearer(console.admin_token), checks=CHECKS)


@generated_only.parametrize()
@settings(FUZZ, max_examples=25)
def test_the_api_keeps_its_description_for_a_reviewer(case, console: Console) -> None:
    CASES.hit("console_api", f"reviewer {case.operation.label}")
    response = case.call_and_validate(headers=console.bearer(console.reviewer_token), checks=CHECKS)
    if (
        response.status_code == 200
        and case.path == "/api/reports/{id}"
        and response.json()["id"] == console.report_ids[-1]
    ):
        assert response.json()["reporter_contact"] is None  # no consent to be contacted: hidden from reviewers


@generated_only.parametrize()
@settings(FUZZ, max_examples=10)
def test_the_api_without_a_valid_token_answers_401_as_described(case, console: Console) -> None:
    CASES.hit("console_api", f"no token {case.operation.label}")
    for headers in ({}, {"Authorization": "Bearer sct_not-a-token"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if case.method.upper() != case.operation.method.upper():
            continue  # one of schemathesis' other-method probes: 405
        # An id that is no route ("0", "-1", "abc") is a 404 before anything is read; the rest 401.
        expected = {401} if case.path == "/api/reports" else {401, 404}
        assert response.status_code in expected and response.json()["error"]


def test_the_description_is_served_without_sign_in_and_matches_the_file(console: Console) -> None:
    response = console.app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.get_json() == openapi_document()
    assert set(response.get_json()["paths"]) == {"/api/reports", "/api/reports/{id}"}


def test_every_api_route_of_the_app_is_described(console: Console) -> None:
    """A new /api/ route must be added to console/openapi.yaml, or the fuzzing never sees it."""
    import re

    def shape(path: str) -> str:  # "/api/reports/{id}" and "/api/reports/<int(min=1):report_id>" alike
        return re.sub(r"\{[^}]*\}|<[^>]*>", "{}", path)

    described = {shape(path) for path in openapi_document()["paths"]}
    routes = {
        shape(rule.rule)
        for rule in console.app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.endpoint != "api.openapi_json"
    }
    assert routes <= described, routes - described


# --- the queue filters, on SQLite and on PostgreSQL --------------------------------------------------
#
# The same filters drive the API, the queue page and the CSV export (console.queries.QueueFilter).
# PostgreSQL is where production runs, and it refuses things SQLite takes (NUL in a string).

FILTER_NAMES = ["status", "level", "flag", "channel", "area", "from", "to", "q", "page"]
FILTER_VALUES = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    [
        "0001-01-01",
        "9999-12-31",
        "9999-12-30",
        "2026-02-30",
        "+10000-01-01",
        "2026-11-27",
        "\x00",
        "a\x00b",
        "%",
        "_",
        "\\",
        "JP-7Q2K",
        "0812-3456-7890",
        "9" * 5000,
        "-1",
        "0",
        "open",
        "all",
        "urgent",
        "upfront_fee",
        "whatsapp",
        "x" * 500,
    ]
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def filter_console(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    folder = Path(tmp_path_factory.mktemp(f"console-filters-{request.param}"))
    with contextlib.ExitStack() as stack:
        database_url = None
        if request.param == "postgresql":
            try:
                database_url = stack.enter_context(throwaway_postgres("console_fuzz"))
            except PostgresUnavailable as error:
                missing_service(str(error))
        running = stack.enter_context(running_console(folder, database_url))
        reviewer = running.app.test_client()
        assert support.sign_in(reviewer, *support.REVIEWER).status_code == 302
        yield running, reviewer, request.param


@given(st.dictionaries(st.sampled_from(FILTER_NAMES), FILTER_VALUES, max_size=5))
@example({"to": "9999-12-31"})
@example({"q": "\x00"})
@example({"area": "a\x00b"})
@settings(FUZZ, max_examples=40)
def test_queue_filters_never_give_a_server_error(filter_console, filters: dict) -> None:
    console, reviewer, database = filter_console
    CASES.hit("console_filters", database)
    query = urllib.parse.urlencode(filters)
    api = console.app.test_client().get(f"/api/reports?{query}", headers=console.bearer(console.admin_token))
    assert api.status_code < 500, (database, filters, api.status_code)
    for page in ("/", "/export.csv"):
        status = reviewer.get(f"{page}?{query}").status_code
        assert status < 500, (database, page, filters, status)
