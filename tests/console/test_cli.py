"""`python -m console users …` through its main function (same code path as the shell)."""

from __future__ import annotations

import io
import secrets
from typing import List

import pytest

from bot.storage.db import transaction
from bot.storage.models import utcnow
from console import auth
from console.cli import main


def _run(*argv: str, stdin: str = "") -> tuple:
    out = io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue()


def test_create_list_disable_and_token(database_url: str, capsys) -> None:
    assert _run("users", "create", "siti", "--role", "admin", "--password-stdin", stdin="siti-password-123\n") == (
        0,
        "created siti (admin)\n",
    )
    assert _run("users", "create", "siti", "--password-stdin", stdin="siti-password-123\n")[0] == 1
    assert "taken" in capsys.readouterr().err
    code, token = _run("users", "token", "siti", "--name", "dashboard export")
    assert code == 0 and token.startswith(auth.TOKEN_PREFIX)
    with transaction(database_url) as session:
        assert auth.user_for_token(session, token.strip(), utcnow()).username == "siti"
    assert _run("users", "disable", "siti") == (0, "siti disabled\n")
    code, listing = _run("users", "list")
    assert code == 0 and "siti\tadmin\tdisabled" in listing.splitlines()


def test_short_password_is_refused(database_url: str, capsys) -> None:
    assert _run("users", "create", "budi", "--password-stdin", stdin="short\n")[0] == 1
    assert "12 characters" in capsys.readouterr().err


# --- serve: start-up checks, address, request size ---------------------------------------------


@pytest.fixture
def fake_waitress(monkeypatch: pytest.MonkeyPatch) -> List[dict]:
    import waitress

    calls: List[dict] = []
    monkeypatch.setattr(waitress, "serve", lambda app, **options: calls.append(options))
    return calls


def test_serve_refuses_to_start_with_security_problems(
    database_url: str, monkeypatch, capsys, fake_waitress: List[dict]
) -> None:
    monkeypatch.setenv("CONSOLE_SECRET_KEY", "too-short")
    monkeypatch.setenv("APP_ENV", "staging")
    assert main(["serve"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert "error: CONSOLE_SECRET_KEY is too short: use at least 32 random characters." in errors
    assert any(line.startswith("error: APP_ENV must be") for line in errors)
    assert fake_waitress == []  # never listened


def test_serve_binds_bind_host_unless_told_otherwise(database_url: str, monkeypatch, fake_waitress: List[dict]) -> None:
    monkeypatch.setenv("CONSOLE_SECRET_KEY", secrets.token_hex(32))
    assert main(["serve", "--port", "9123"]) == 0
    monkeypatch.setenv("BIND_HOST", "10.1.2.3")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", secrets.token_hex(32))  # else BIND_HOST is refused
    assert main(["serve"]) == 0
    assert main(["serve", "--host", "127.0.0.2"]) == 0
    assert [(call["host"], call["port"]) for call in fake_waitress] == [
        ("127.0.0.1", 9123),
        ("10.1.2.3", 8080),
        ("127.0.0.2", 8080),
    ]
    assert {call["max_request_body_size"] for call in fake_waitress} == {1024 * 1024}
