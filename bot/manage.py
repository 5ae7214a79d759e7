"""Operations commands: `python -m bot.manage migrate`, `python -m bot.manage import-registry FILE.csv`,
`python -m bot.manage retention [--dry-run]` (the retention policy, bot/privacy/retention.py) and
`python -m bot.manage wrap-legacy-pins` (after an upgrade from before the keyed PIN hash)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import SQLAlchemyError

from bot.privacy.retention import limit_problems, run_retention
from bot.recruitment.registry import RegistryError, load_registry_csv
from bot.settings import get_settings
from bot.storage.db import startup_lock, transaction
from bot.storage.models import utcnow
from bot.storage.registry import registry_size, replace_registry


def migrate(database_url: Optional[str] = None) -> None:
    """Bring the database named by DATABASE_URL (or ``database_url``) to the newest schema."""
    settings = get_settings()
    url = database_url or settings.database_url
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    config = Config(str(settings.project_root / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    # Replicas, containers and the migration Job may start together: one migrates, the others
    # wait and then find the schema current.
    with startup_lock(url):
        command.upgrade(config, "head")


def import_registry(path: Path, database_url: Optional[str] = None) -> int:
    entries = load_registry_csv(path)
    with transaction(database_url) as session:
        return replace_registry(session, entries)


def wrap_legacy_pins(database_url: Optional[str] = None) -> Optional[int]:
    """PIN hashes of earlier versions (scrypt, no key) get the key too, so that a copy of the
    database cannot test PINs (bot/reports/codes.py); returns how many, or None without a key.

    Not part of ``migrate``: during a rolling upgrade the previous release still answers status
    checks and cannot read a wrapped hash. Run it once every replica runs this version."""
    from bot.kept_secrets import REPORT_PIN_KEY_FILE, report_pin_key
    from bot.storage.reports import wrap_legacy_pin_hashes

    settings = get_settings()
    if not settings.report_pin_key and not (settings.var_dir / REPORT_PIN_KEY_FILE).exists():
        # No key yet: one made here (a Job's own empty volume, say) could differ from the services'
        # key and would make every wrapped PIN wrong.
        return None
    with transaction(database_url) as session:
        return wrap_legacy_pin_hashes(session, report_pin_key(settings))


def wrap_legacy_pins_command() -> int:
    try:
        wrapped = wrap_legacy_pins()
    except SQLAlchemyError as error:
        print(f"wrapping failed: {type(error).__name__} (is the database migrated and reachable?)", file=sys.stderr)
        return 1
    if wrapped is None:
        print(
            "no PIN key: set REPORT_PIN_KEY (or run where the services keep theirs in VAR_DIR); nothing changed",
            file=sys.stderr,
        )
        return 2
    print(f"{wrapped} PIN hash(es) of an earlier version wrapped with the key")
    return 0


def ensure_registry(database_url: Optional[str] = None) -> None:
    """An empty registry table gets the configured CSV (the sample file by default)."""
    with transaction(database_url) as session:
        empty = registry_size(session) == 0
    if empty:
        import_registry(get_settings().registry_csv, database_url)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.manage", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser(
        "wrap-legacy-pins",
        help="wrap PIN hashes of versions before the keyed hash with the key (once every replica runs this one)",
    )
    importer = sub.add_parser("import-registry", help="import a CSV export of licensed LPK/SO/P3MI")
    importer.add_argument("csv", type=Path)
    retention = sub.add_parser("retention", help="apply the retention policy once (UU 27/2022), printing the counts")
    retention.add_argument("--dry-run", action="store_true", help="count what would go, change nothing")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("database is up to date")
        return 0
    if args.command == "wrap-legacy-pins":
        return wrap_legacy_pins_command()
    if args.command == "retention":
        return retention_command(dry_run=args.dry_run)
    try:
        count = import_registry(args.csv)
    except (OSError, RegistryError) as error:
        print(f"import failed: {error}", file=sys.stderr)
        return 1
    print(f"imported {count} registry entries from {args.csv}")
    return 0


def retention_command(dry_run: bool) -> int:
    """One run of the retention policy; the counts on stdout, a failure as one polite line."""
    settings = get_settings()
    problems = limit_problems(settings)
    if problems:
        for problem in problems:
            print(f"retention refused: {problem}", file=sys.stderr)
        return 2
    try:
        result = run_retention(settings, utcnow(), dry_run=dry_run)
    except (SQLAlchemyError, OSError) as error:
        # The class only: database errors quote their SQL parameters (sender ids, report text).
        print(
            f"retention failed: {type(error).__name__} (is the database migrated and reachable?); "
            "nothing after the failure was changed, the next run tries again",
            file=sys.stderr,
        )
        return 1
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
