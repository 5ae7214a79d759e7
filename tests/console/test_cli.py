"""`python -m console users …` through its main function (same code path as the shell)."""
from __future__ import annotations

import io

from bot.storage.db import transaction
from bot.storage.models import utcnow
from console import auth
from console.cli import main


def _run(*argv: str, stdin: str = "") -> tuple:
    out = io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue()


def test_create_list_disable_and_token(database_url: str, capsys) -> None:
    assert _run("users", "create", "siti", "--role", "admin", "--password-stdin",
                stdin="siti-password-123\n") == (0, "created siti (admin)\n")
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
