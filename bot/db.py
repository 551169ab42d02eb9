"""Database engine, one session per incoming message, and migrations applied from code."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A page cache of up to 64 MB (the default is 2 MB): survey results scan an index of
    # a million rows, which then stays in memory instead of being read from the file again.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class InlineSQLiteConnection(aiosqlite.Connection):
    """An aiosqlite connection whose statements run at once, on the event loop's thread.

    aiosqlite hands every call (cursor, execute, fetch, close) to a worker thread and back,
    four round trips per statement; they cost more than the statements themselves, which
    take microseconds on a local file in WAL mode. The worker thread still opens and closes
    the connection. The engine keeps a single connection, so a transaction never waits on
    another one of this process while holding the event loop.
    """

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _inline_sqlite_creator(url: str) -> Any:
    database = make_url(url).database or ":memory:"

    async def connect() -> aiosqlite.Connection:
        def connector() -> sqlite3.Connection:
            return sqlite3.connect(
                database, check_same_thread=False, uri=database.startswith("file:")
            )

        connection = InlineSQLiteConnection(connector, iter_chunk_size=64)
        connection._thread.daemon = True
        return await connection

    return connect


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQL parameters never reach logs or error reports."""
    if url.startswith("sqlite"):
        # One connection, statements run inline: see InlineSQLiteConnection. A file cannot
        # drop a connection, so it is never pinged. (An in-memory database has one anyway.)
        one_connection = (
            {}
            if make_url(url).database in (None, "", ":memory:")
            else {
                "pool_size": 1,
                "max_overflow": 0,
            }
        )
        kwargs = {"async_creator": _inline_sqlite_creator(url), **one_connection, **kwargs}
        engine = create_async_engine(url, hide_parameters=True, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, hide_parameters=True, pool_pre_ping=True, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config(str(connection.engine.url))
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_run_alembic, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_run_alembic, "downgrade", revision)
