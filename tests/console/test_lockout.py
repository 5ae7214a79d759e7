"""The sign-in lock-out through bot.storage.counters: counted per (username, address) and per
address, atomically, and unusable against the owner from elsewhere."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest
from flask import Flask

from bot.settings import get_settings
from bot.storage import counters
from bot.storage.db import transaction
from console import auth
from console.app import create_app
from tests.console import support
from tests.console.support import csrf_token

NOW = dt.datetime(2026, 11, 28, 10, 0)
HERE, ELSEWHERE = "192.0.2.10", "198.51.100.20"
PARALLEL = 8


@support.BOTH_DATABASES
def test_parallel_wrong_guesses_are_all_counted(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight guesses at once, each its own request and transaction, count as eight: the
    increment is done by the database, not read-modify-write in Python (which counts fewer)."""
    policy = auth.LockPolicy(max_failures=100, lock_minutes=15)
    # All eight transactions are open and past their reads before any of them counts.
    barrier = threading.Barrier(PARALLEL, timeout=20)
    first_hit = threading.local()
    real_hit = counters.hit

    def hit_together(*args, **kwargs):
        if not getattr(first_hit, "done", False):
            first_hit.done = True
            barrier.wait()
        return real_hit(*args, **kwargs)

    monkeypatch.setattr(counters, "hit", hit_together)

    def guess(number: int) -> str:
        with transaction(database_url) as session:
            return auth.authenticate(session, support.REVIEWER[0], f"guess-{number}", HERE, NOW, policy).outcome

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes: List[str] = list(pool.map(guess, range(PARALLEL)))
    assert outcomes == ["invalid"] * PARALLEL
    pair, whole_address = auth.login_keys(support.REVIEWER[0], HERE)
    with transaction(database_url) as session:
        assert counters.current(session, pair, policy.window_seconds, NOW) == PARALLEL
        assert counters.current(session, whole_address, policy.window_seconds, NOW) == PARALLEL


# --- through the sign-in page -----------------------------------------------------------------


def _client_from(app: Flask, address: str, **environ: str):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, **environ})
    return client


def _try(client, username: str, password: str, headers=None):
    token = csrf_token(client.get("/login", headers=headers).get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, headers=headers
    )


def test_the_owner_signs_in_from_elsewhere_while_a_guesser_is_locked_out(app: Flask, frozen_now) -> None:
    guesser = _client_from(app, HERE)
    for _ in range(get_settings().console_max_login_failures):
        _try(guesser, support.REVIEWER[0], "guess")
    response = _try(guesser, *support.REVIEWER)
    assert response.status_code == 401 and "Too many failed sign-ins" in response.get_data(as_text=True)
    owner = _client_from(app, ELSEWHERE)
    assert _try(owner, *support.REVIEWER).status_code == 302
    assert owner.get("/").status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_reply(app: Flask) -> None:
    def reply(username: str) -> tuple:
        response = _try(app.test_client(), username, "not-the-password")
        body = response.get_data(as_text=True)
        return response.status_code, body.replace(csrf_token(body), "TOKEN").replace(username, "NAME")

    assert reply(support.REVIEWER[0]) == reply("nobody.here")
    assert reply(support.REVIEWER[0])[0] == 401


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(database_url: str, frozen_now) -> None:
    """Without TRUSTED_PROXY_HOPS a guesser cannot dodge the lock by inventing X-Forwarded-For."""
    client = _client_from(create_app(get_settings()), HERE)
    for number in range(get_settings().console_max_login_failures):
        _try(client, support.REVIEWER[0], "guess", headers={"X-Forwarded-For": f"203.0.113.{number}"})
    fresh = {"X-Forwarded-For": "203.0.113.200"}
    assert "Too many failed sign-ins" in _try(client, *support.REVIEWER, headers=fresh).get_data(as_text=True)


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(
    database_url: str, frozen_now, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    proxy = _client_from(create_app(get_settings()), "127.0.0.1")  # every request comes from the proxy
    guesser, owner = {"X-Forwarded-For": "203.0.113.5"}, {"X-Forwarded-For": "203.0.113.6"}
    for _ in range(get_settings().console_max_login_failures):
        _try(proxy, support.REVIEWER[0], "guess", headers=guesser)
    assert "Too many failed sign-ins" in _try(proxy, *support.REVIEWER, headers=guesser).get_data(as_text=True)
    assert _try(proxy, *support.REVIEWER, headers=owner).status_code == 302
    pair, _ = auth.login_keys(support.REVIEWER[0], "203.0.113.5")
    with transaction(database_url) as session:
        window = get_settings().console_lock_minutes * 60
        # Every try from the guesser's address was counted, the refused one too (counted before checked).
        assert counters.current(session, pair, window, frozen_now) == get_settings().console_max_login_failures + 1


def test_parallel_guesses_beyond_the_limit_are_not_even_checked(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each try is counted before its password is checked: of eight guesses at once against a
    limit of five, only five reach the password hash (counting after checking let all eight)."""
    policy = auth.LockPolicy(max_failures=5, lock_minutes=15)
    checked = []
    real_matches = auth._password_matches
    monkeypatch.setattr(
        auth, "_password_matches", lambda user, password: checked.append(1) or real_matches(user, password)
    )

    def guess(number: int) -> str:
        with transaction(database_url) as session:
            return auth.authenticate(session, support.REVIEWER[0], f"guess-{number}", HERE, NOW, policy).outcome

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes: List[str] = list(pool.map(guess, range(PARALLEL)))
    assert len(checked) == policy.max_failures
    assert outcomes.count("locked") == PARALLEL - policy.max_failures + 1  # the fifth failure locks, too
