"""Shared fixtures: a fresh migrated database per test (SQLite, or PostgreSQL when asked)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot import db
from bot.settings import Settings
from padome.app import App, open_app
from tests.chat import Chat

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def _plain_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _pg_execute(statement: str) -> None:
    connection = await asyncpg.connect(_plain_dsn(TEST_DATABASE_URL))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine)
    finally:
        await engine.dispose()


def pg_url(database: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per test run; every test then starts from a copy of this."""
    if ON_POSTGRES:
        name = f"padome_template_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
        asyncio.run(_migrate(pg_url(name)))
        yield name
        asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    yield str(path)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of the backend under test."""
    if ON_POSTGRES:
        name = f"padome_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{database_template}"'))
        yield pg_url(name)
        asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    path = tmp_path / "padome.db"
    shutil.copyfile(database_template, path)
    yield f"sqlite+aiosqlite:///{path}"


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test: nothing read from the environment or a .env file.

    Quiet hours are off unless a test sets them, so that no test depends on the hour it runs.
    """
    values: dict[str, object] = {
        "database_url": database_url,
        "admins": "console:admin",
        "quiet_hours": "off",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    async with open_app(settings) as opened:
        yield opened


@pytest.fixture
def chat(app: App) -> Chat:
    """Talk to the dialog engine directly, as console users."""
    return Chat(app)
