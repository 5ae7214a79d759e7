"""The sign-in's "next" never leaves the site (review of issue 10): browsers drop tabs and line
breaks from a Location, so "/\\t/evil.example" would become "//evil.example"."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.console import support


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/%0d%0aSet-Cookie:x=1",
        "javascript:alert(1)",
    ],
)
def test_next_cannot_point_off_site_nor_break_the_sign_in(client, target: str) -> None:
    token = support.csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=" + urllib.parse.quote(target, safe=""),
        data={"username": support.REVIEWER[0], "password": support.REVIEWER[1], "csrf_token": token},
    )
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    parts = urllib.parse.urlsplit(location)
    assert parts.netloc in ("", "localhost") and not location.startswith("//")
    assert "evil" not in location and "\n" not in location and "\t" not in location


def test_a_path_on_the_site_is_kept(client) -> None:
    token = support.csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=/dashboard",
        data={"username": support.REVIEWER[0], "password": support.REVIEWER[1], "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/dashboard")
