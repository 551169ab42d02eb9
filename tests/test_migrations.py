"""Migrations: every revision up, down and up again; models and migrations agree."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection

from bot import db
from models import Base, Unit
from tests.conftest import ON_POSTGRES, _pg_execute, pg_url


@pytest.fixture
async def empty_database_url(tmp_path: Path) -> AsyncIterator[str]:
    if ON_POSTGRES:
        name = f"padome_empty_{uuid.uuid4().hex[:12]}"
        await _pg_execute(f'CREATE DATABASE "{name}"')
        yield pg_url(name)
        await _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(db.alembic_config("sqlite+aiosqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_stairway_up_down_up(empty_database_url: str) -> None:
    engine = db.create_engine(empty_database_url)
    try:
        revisions = _revisions()
        assert revisions, "no migrations found"
        previous = ["base", *revisions[:-1]]
        for revision, down_to in zip(revisions, previous, strict=True):
            await db.upgrade(engine, revision)
            await db.downgrade(engine, down_to)
            await db.upgrade(engine, revision)
        await db.downgrade(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
        await db.upgrade(engine, "head")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set(Base.metadata.tables)
    finally:
        await engine.dispose()


async def test_models_match_migrations(database_url: str) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_sixteen_units_are_seeded(app) -> None:
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Unit)) == 16
        names = set(await session.scalars(select(Unit.name)))
    assert {"Alūksnes pilsēta", "Alsviķu pagasts", "Mālupes pagasts", "Zeltiņu pagasts"} <= names
