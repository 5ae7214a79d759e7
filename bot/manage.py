"""Operations commands: `python -m bot.manage migrate` and `python -m bot.manage import-registry FILE.csv`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from alembic import command
from alembic.config import Config

from bot.recruitment.registry import RegistryError, load_registry_csv
from bot.settings import get_settings
from bot.storage.db import transaction
from bot.storage.registry import registry_size, replace_registry


def migrate(database_url: Optional[str] = None) -> None:
    """Bring the database named by DATABASE_URL (or ``database_url``) to the newest schema."""
    settings = get_settings()
    url = database_url or settings.database_url
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    config = Config(str(settings.project_root / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


def import_registry(path: Path, database_url: Optional[str] = None) -> int:
    entries = load_registry_csv(path)
    with transaction(database_url) as session:
        return replace_registry(session, entries)


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
    importer = sub.add_parser("import-registry", help="import a CSV export of licensed LPK/SO/P3MI")
    importer.add_argument("csv", type=Path)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("database is up to date")
        return 0
    try:
        count = import_registry(args.csv)
    except (OSError, RegistryError) as error:
        print(f"import failed: {error}", file=sys.stderr)
        return 1
    print(f"imported {count} registry entries from {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
