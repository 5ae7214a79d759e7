"""`python -m console` serves the console (waitress, BIND_HOST:CONSOLE_PORT); `python -m console users …`
manages staff accounts and API tokens from a shell."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import logging
import sys
from typing import Optional, Sequence, TextIO

from bot.safe_logging import configure_logging
from bot.settings import get_settings
from bot.startup import MAX_REQUEST_BYTES
from bot.storage.db import transaction
from bot.storage.models import utcnow
from console import auth

logger = logging.getLogger("console")


def serve(host: Optional[str], port: int, err: Optional[TextIO] = None) -> int:
    """Serve on ``host`` (default BIND_HOST, loopback unless set), after the start-up checks."""
    err = err or sys.stderr
    settings = get_settings()
    # --host is checked like BIND_HOST: off loopback only on purpose, with the tokens set.
    problems = (
        dataclasses.replace(settings, bind_host=host).security_problems() if host else settings.security_problems()
    )
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=err)
        print("The staff console did not start: fix the settings above.", file=err)
        return 2
    from waitress import serve as waitress_serve

    from bot.manage import migrate
    from console.app import create_app

    host = host or settings.bind_host
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrate()  # idempotent; the console may be started on its own, before the bot
    with transaction() as session:
        created = auth.ensure_first_admin(session, settings.staff_admin_user, settings.staff_admin_password)
        if created is not None:
            logger.info("created the first admin account %s from STAFF_ADMIN_USER", created.username)
        elif auth.count_users(session) == 0:
            logger.warning(
                "no staff accounts yet: set STAFF_ADMIN_USER and STAFF_ADMIN_PASSWORD, "
                "or run `python -m console users create NAME --role admin`"
            )
    logger.info("staff console on http://%s:%s", host, port)
    # Waitress refuses bodies over MAX_REQUEST_BYTES before Flask sees them (Flask's own
    # MAX_CONTENT_LENGTH is smaller still): nobody can make the server buffer a huge upload.
    waitress_serve(
        create_app(settings), host=host, port=port, threads=8, ident="console", max_request_body_size=MAX_REQUEST_BYTES
    )
    return 0


def _read_password(from_stdin: bool, stdin: TextIO) -> str:
    if from_stdin:
        return stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise auth.AccountError("The passwords differ.")
    return first


CLI_ACTOR = "cli"  # the audit log's actor for what is done from a shell on the server


def users_command(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    now = utcnow()
    with transaction() as session:
        if args.action == "create":
            user = auth.create_user(
                session, args.username, _read_password(args.password_stdin, stdin), args.role, actor=CLI_ACTOR, now=now
            )
            print(f"created {user.username} ({user.role})", file=out)
        elif args.action in ("disable", "enable"):
            user = auth.set_active(session, args.username, args.action == "enable", CLI_ACTOR, now)
            print(f"{user.username} {args.action}d", file=out)
        elif args.action == "reset-password":
            user, password = auth.reset_password(session, args.username, CLI_ACTOR, now)
            print(
                f"temporary password for {user.username} (shown once; they choose their own at sign-in; "
                f"their sessions have ended):",
                file=out,
            )
            print(password, file=out)
        elif args.action == "reset-2fa":
            user = auth.reset_totp(session, args.username, CLI_ACTOR, now)
            then = "must set it up again at the next sign-in" if user.role == "admin" else "can set it up again"
            print(f"two-factor sign-in of {user.username} reset, sessions ended; {then}", file=out)
        elif args.action == "list":
            for user in auth.list_users(session):
                state = "active" if user.active else "disabled"
                print(f"{user.username}\t{user.role}\t{state}", file=out)
        elif args.action == "token":
            token = auth.create_token(
                session, args.username, args.name, created_by=CLI_ACTOR, now=now, days=get_settings().console_token_days
            )
            print(token, file=out)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m console", description=__doc__)
    sub = root.add_subparsers(dest="command")
    server = sub.add_parser("serve", help="serve the console (the default)")
    server.add_argument("--host", default=None, help="default: BIND_HOST (127.0.0.1)")
    server.add_argument("--port", type=int, default=None, help="default: CONSOLE_PORT (8080)")
    users = sub.add_parser("users", help="manage staff accounts")
    actions = users.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="add an account (asks for the password)")
    create.add_argument("username")
    create.add_argument("--role", choices=("reviewer", "admin"), default="reviewer")
    create.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    for name, text in (("disable", "stop an account signing in"), ("enable", "allow a disabled account again")):
        actions.add_parser(name, help=text).add_argument("username")
    actions.add_parser("reset-password", help="give an account a temporary password (printed once)").add_argument(
        "username"
    )
    actions.add_parser("reset-2fa", help="remove an account's two-factor sign-in (lost phone)").add_argument("username")
    actions.add_parser("list", help="list accounts")
    token = actions.add_parser("token", help="create an API token for an account (printed once)")
    token.add_argument("username")
    token.add_argument("--name", required=True, help="what the token is for")
    return root


def main(argv: Optional[Sequence[str]] = None, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    configure_logging(get_settings().log_level)
    args = parser().parse_args(argv)
    if args.command in (None, "serve"):
        port = getattr(args, "port", None) or get_settings().console_port
        return serve(getattr(args, "host", None), port)
    from bot.manage import migrate

    migrate()  # the account tables must exist before the first account is added
    try:
        return users_command(args, stdin, out)
    except auth.AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
