"""Migrations: every revision up, down and up again; models and migrations agree."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection

from bot import db
from models import Base, Locality, Unit
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


async def test_place_names_and_forms_keep_the_localities_and_roles_there_were(
    empty_database_url: str,
) -> None:
    # On SQLite, a table copy of `units` would delete its localities and role grants.
    engine = db.create_engine(empty_database_url)
    try:
        await db.upgrade(engine, "0009")
        async with engine.begin() as connection:
            alsviku = await connection.scalar(text("SELECT id FROM units WHERE slug = 'alsviku'"))
            for name in ("Kolberģis", "Jānis"):
                await connection.execute(
                    text("INSERT INTO localities (unit_id, name) VALUES (:unit, :name)"),
                    {"unit": alsviku, "name": name},
                )
            await connection.execute(
                text(
                    "INSERT INTO residents (language, unit_id, subscribed, created_at) "
                    "VALUES ('lv', :unit, :yes, CURRENT_TIMESTAMP)"
                ),
                {"unit": alsviku, "yes": True},
            )
        await db.upgrade(engine, "head")
        async with engine.connect() as connection:
            unit = (
                await connection.execute(select(Unit.forms).where(Unit.slug == "ziemera"))
            ).scalar_one()
            localities = dict(
                (await connection.execute(select(Locality.name, Locality.forms))).all()
            )
            homes = list(await connection.scalars(text("SELECT unit_id FROM residents")))
        assert unit["lv"]["loc"] == "Ziemera pagastā"
        assert unit["ru"]["gen"] == "Зиемерской волости"
        assert localities == {
            "Kolberģis": {
                "lv": {"gen": "Kolberģa", "dat": "Kolberģim", "loc": "Kolberģī", "acc": "Kolberģi"}
            },
            "Jānis": {},
        }
        assert homes == [alsviku]
        await db.downgrade(engine, "0009")
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM localities")) == 2
    finally:
        await engine.dispose()
