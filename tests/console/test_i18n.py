"""The console in Indonesian by default and in English on request (Flask-Babel, console/i18n.py)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Iterator

import pytest
from babel.dates import format_datetime
from babel.messages.extract import extract_from_dir
from flask import Flask

from bot.settings import get_settings
from console.app import create_app
from console.i18n import LANGUAGE_COOKIE, chosen_language
from tests.console import support

CONSOLE = get_settings().project_root / "console"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def ID(english: str) -> str:
    return support.translated(english, "id")


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def indonesian_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.delenv("CONSOLE_LANGUAGE")  # the product's default, not the page tests' English
    yield create_app(get_settings())


@pytest.fixture
def indonesian_admin(indonesian_app: Flask):
    client = indonesian_app.test_client()
    assert support.sign_in(client, *support.ADMIN).status_code == 302
    return client


def test_the_language_is_the_one_asked_for_then_the_remembered_one_then_the_default() -> None:
    assert chosen_language(None, None) == "id"
    assert chosen_language("en", None) == "en" and chosen_language(" EN ", "id") == "en"
    assert chosen_language(None, "en") == "en" and chosen_language("id", "en") == "id"
    assert chosen_language("fr", None) == "id" and chosen_language("", "xx") == "id"
    assert chosen_language("jp", "en") == "en"
    assert chosen_language(None, None, default="en") == "en"


def test_pages_are_indonesian_until_english_is_asked_for_and_the_choice_is_kept(indonesian_app: Flask) -> None:
    client = indonesian_app.test_client()
    login = page(client, "/login")
    assert '<html lang="id">' in login and f">{ID('Sign in')}</button>" in login and ">Sign in<" not in login
    assert 'href="?lang=en"' in login and ">English</a>" in login

    english = client.get("/login?lang=en")
    assert f"{LANGUAGE_COOKIE}=en" in english.headers["Set-Cookie"] and "HttpOnly" in english.headers["Set-Cookie"]
    assert '<html lang="en">' in english.get_data(as_text=True) and ">Sign in</button>" in english.get_data(
        as_text=True
    )
    assert '<html lang="en">' in page(client, "/login")  # the cookie remembers
    assert '<html lang="en">' in page(client, "/login?lang=fr")  # an unknown language changes nothing
    back = page(client, "/login?lang=id")
    assert '<html lang="id">' in back and ">Bahasa Indonesia</a>" not in back and ">English</a>" in back


def test_the_switch_link_keeps_the_page_and_its_filters(indonesian_admin) -> None:
    queue = page(indonesian_admin, "/?level=high&area=garut&page=1")
    assert 'href="?level=high&amp;area=garut&amp;page=1&amp;lang=en"' in queue
    assert f">{ID('Queue')}</a>" in queue


def test_the_switch_link_never_leaves_the_console(indonesian_app: Flask, indonesian_admin) -> None:
    # A crafted path (a backslash after the slash reads as "//" to browsers) must not become the link.
    crafted = indonesian_app.test_client().get("/%5Cevil.com")
    assert (
        crafted.status_code == 404
        and 'id="language-switch" class="language-switch" href="?lang=en"' in crafted.get_data(as_text=True)
    )
    # A page answering a form has no address to show again: its link goes to the queue.
    refused = indonesian_admin.post("/reports/1/note", data={"text": "x"})  # no CSRF token
    assert (
        refused.status_code == 400
        and 'id="language-switch" class="language-switch" href="/?lang=en"' in refused.get_data(as_text=True)
    )


def test_dates_numbers_labels_and_flashes_follow_the_language(indonesian_admin, database_url: str) -> None:
    received = dt.datetime(2026, 3, 5, 1, 30)  # stored in UTC: 08:30 in Jakarta
    report_id = support.add_report(
        database_url, created_at=received, money_text="30jt", money_idr=Decimal(30_000_000), level="urgent"
    )
    jakarta = dict(tzinfo="Asia/Jakarta")
    indonesian = page(indonesian_admin, f"/reports/{report_id}")
    assert format_datetime(received.replace(tzinfo=dt.timezone.utc), "medium", locale="id", **jakarta) in indonesian
    assert "Rp30.000.000" in indonesian and ID("Urgent") in indonesian and ">Urgent<" not in indonesian
    english = page(indonesian_admin, f"/reports/{report_id}?lang=en")
    assert format_datetime(received.replace(tzinfo=dt.timezone.utc), "medium", locale="en", **jakarta) in english
    assert "Rp30,000,000" in english and ">Urgent<" in english

    token = support.csrf_token(page(indonesian_admin, f"/reports/{report_id}?lang=id"))
    response = indonesian_admin.post(
        f"/reports/{report_id}/note", data={"csrf_token": token, "text": "Cek ke Disnaker Garut"}, follow_redirects=True
    )
    flashed = re.search(r'<p class="flash ok" role="status">([^<]+)</p>', response.get_data(as_text=True))
    assert flashed is not None and flashed.group(1) == ID("Note added.")


def test_the_api_and_its_errors_stay_english(indonesian_admin) -> None:
    response = indonesian_admin.get("/api/reports/987654?lang=id")
    assert response.status_code == 404 and response.get_json() == {"error": "not found"}


def test_a_language_or_time_zone_the_console_cannot_use_stops_it_at_start(database_url, monkeypatch) -> None:
    monkeypatch.setenv("CONSOLE_LANGUAGE", "fr")
    with pytest.raises(ValueError, match=r"CONSOLE_LANGUAGE must be one of id, en, not 'fr'"):
        create_app(get_settings())
    monkeypatch.setenv("CONSOLE_LANGUAGE", "id")
    monkeypatch.setenv("CONSOLE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match=r"CONSOLE_TIMEZONE must be a time zone name .* 'Mars/Olympus'"):
        create_app(get_settings())


def test_every_console_text_has_an_indonesian_translation_with_the_same_placeholders() -> None:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    extracted = {
        message if isinstance(message, str) else message[0]: filename
        for filename, _line, message, _comments, _context in extract_from_dir(
            str(CONSOLE), method_map=method_map, keywords=keywords
        )
    }
    assert len(extracted) > 150  # the pages, forms and flashes; a broken extraction finds few
    catalogue = support.indonesian_catalogue()
    missing = sorted(f"{where}: {text!r}" for text, where in extracted.items() if not (catalogue.get(text) or 0))
    assert missing == []
    for message in catalogue:
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, message.id
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(ids[0])), message.id


def test_texts_made_outside_a_request_are_in_the_default_language(indonesian_app: Flask) -> None:
    from console.auth import password_problem

    with indonesian_app.app_context():  # start-up work (the first admin) runs like this
        assert password_problem("short", "x") == ID("The password needs at least %(count)s characters.") % {"count": 12}
    assert password_problem("short", "x") == "The password needs at least 12 characters."  # the CLI
