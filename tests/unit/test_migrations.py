"""The migrations, on the real PostgreSQL of production and on the SQLite of `make run`:
every step goes up and down again, and the migrated schema is exactly what the models declare
(so a model changed without a migration, or a migration that drifts from the model, fails here)."""

from __future__ import annotations

from typing import Iterator, List

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from bot.settings import get_settings
from bot.storage.models import Base
from tests.databases import fresh_database


def alembic_config(url: str) -> Config:
    config = Config(str(get_settings().project_root / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    return config


def revisions_oldest_first(config: Config) -> List[str]:
    return [script.revision for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path, "guidance_migrations") as url:
        yield url


def schema_differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def app_tables(url: str) -> set:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_the_migrated_schema_is_what_the_models_declare(empty_database: str) -> None:
    command.upgrade(alembic_config(empty_database), "head")
    assert schema_differences(empty_database) == []
    assert app_tables(empty_database) == set(Base.metadata.tables)


def test_every_migration_goes_down_and_up_again(empty_database: str) -> None:
    config = alembic_config(empty_database)
    revisions = revisions_oldest_first(config)
    assert revisions[0] == "0001_initial" and len(revisions) >= 6
    for revision in revisions:
        command.upgrade(config, revision)
        command.downgrade(config, "-1" if revision != revisions[0] else "base")
        command.upgrade(config, revision)
    assert schema_differences(empty_database) == []
    command.downgrade(config, "base")
    assert app_tables(empty_database) == set()
    command.upgrade(config, "head")
    assert schema_differences(empty_database) == []


def test_a_model_change_without_a_migration_is_noticed(tmp_path) -> None:
    """The check above can fail: a column the models have and the migrations do not."""
    from sqlalchemy import Column, MetaData, String, Table

    url = f"sqlite:///{tmp_path / 'drift.db'}"
    command.upgrade(alembic_config(url), "head")
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    Table("reports", drifted, Column("extra_note", String(50)), extend_existing=True)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), drifted)
    finally:
        engine.dispose()
    assert [(kind, column.name) for kind, _schema, _table, column in differences] == [("add_column", "extra_note")]
