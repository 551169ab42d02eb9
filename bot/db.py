"""Database engine, one session per incoming message, and migrations applied from code."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import event, inspect, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import migrations

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(migrations.__file__).parent
# Set on a pooled SQLite connection whose transaction erased a person: see `_on_checkin`.
_CHECKPOINT_WANTED = "padome_checkpoint_wanted"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A page cache of up to 64 MB (the default is 2 MB): survey results scan an index of
    # a million rows, which then stays in memory instead of being read from the file again.
    cursor.execute("PRAGMA cache_size=-65536")
    # Deleted rows are overwritten with zeros, not only marked free: erased personal data
    # must not stay readable in the file's unused space.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    """After a transaction that erased a person has ended (committed or rolled back), copy
    the write-ahead log into the database file and empty it: the log still holds earlier
    images of the pages with the erased data."""
    if not record.info.pop(_CHECKPOINT_WANTED, False) or dbapi_connection is None:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = cursor.fetchone()[0]
        finally:
            cursor.close()
    except Exception as error:
        logger.error("the write-ahead log was not checkpointed: %s", type(error).__name__)
        return
    if busy:
        logger.error("the write-ahead log was not checkpointed: the database was busy")


async def checkpoint_after_commit(session: AsyncSession) -> None:
    """On SQLite, empty the write-ahead log once this session's transaction has ended, so
    that no earlier image of what it erased stays in the database's files."""
    if session.bind.dialect.name != "sqlite":
        return
    connection = await session.connection()
    connection.info[_CHECKPOINT_WANTED] = True


async def vacuumed_since(engine: AsyncEngine, tables: Sequence[str], since: datetime) -> bool:
    """Whether every one of these PostgreSQL tables was VACUUMed (by hand, not by
    autovacuum) after `since`; the server keeps that time across restarts."""
    async with engine.connect() as connection:
        due = await connection.scalar(
            text(
                "SELECT count(*) FROM unnest(CAST(:tables AS text[])) AS wanted(name) "
                "LEFT JOIN pg_stat_user_tables AS stats "
                "ON stats.relname = wanted.name AND stats.schemaname = current_schema() "
                "WHERE stats.last_vacuum IS NULL OR stats.last_vacuum < :since"
            ),
            {"tables": list(tables), "since": since},
        )
    return not due


async def vacuum(engine: AsyncEngine, tables: Sequence[str]) -> None:
    """VACUUM tables on PostgreSQL, so that the space of deleted and updated rows is reused,
    and ANALYZE them, so that the planner's samples of column values (kept in the catalog)
    are taken again from the rows there are now. VACUUM cannot run inside a transaction."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables:
            await autocommit.execute(text(f'VACUUM (ANALYZE) "{table}"'))


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


async def sqlite_driver_connection(connection: AsyncConnection) -> sqlite3.Connection:
    """The sqlite3 connection under a connection of `create_engine`'s pool, for statements
    run so often that SQLAlchemy's handling costs more than they do (a broadcast's marks).
    Its statements run inline (see InlineSQLiteConnection); a DML statement opens the
    transaction, which the caller commits or rolls back on it."""
    driver = (await connection.get_raw_connection()).driver_connection
    assert isinstance(driver, InlineSQLiteConnection)
    return driver._conn


def open_sqlite_writer(engine: AsyncEngine) -> sqlite3.Connection | None:
    """A second connection to the SQLite file of `engine`, for a few statements run at
    once and committed without giving the event loop away (a broadcast's marks and outcomes):
    checking the pooled connection out and back in costs more than they do.

    It never waits for the file's write lock: while another connection holds it (a
    transaction of the bot's that has written and not yet committed, a command-line
    process), `BEGIN IMMEDIATE` on it fails at once with SQLITE_BUSY, and the caller goes
    through the pool instead. In autocommit between its own transactions, so it holds no
    snapshot of the file. None for an in-memory database, which has no second connection.
    """
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if database in (None, "", ":memory:") or "mode=memory" in database:
        return None
    connection = sqlite3.connect(
        database, check_same_thread=False, uri=database.startswith("file:"), isolation_level=None
    )
    _sqlite_pragmas(connection, None)
    connection.execute("PRAGMA busy_timeout=0")
    return connection


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
        event.listen(engine.sync_engine.pool, "checkin", _on_checkin)
        return engine
    return create_async_engine(url, hide_parameters=True, pool_pre_ping=True, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run_alembic(
    connection: Connection, action: str, revision: str, territory_from_file: bool = False
) -> None:
    config = alembic_config(str(connection.engine.url))
    config.attributes["connection"] = connection
    config.attributes["territory_from_file"] = territory_from_file
    getattr(command, action)(config, revision)


def _is_new(connection: Connection) -> bool:
    """Whether no migration has run on this database yet."""
    if not inspect(connection).has_table("alembic_version"):
        return True
    return connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0


async def upgrade(
    engine: AsyncEngine, revision: str = "head", territory_file: Path | None = None
) -> None:
    """Apply migrations. A new database brought to the newest revision gets its territory
    from `territory_file` (by default the one that ships with Padome, Alūksne's); one set up
    before keeps its own. A bad file leaves the database as it was
    (TerritoryFileError names what is wrong)."""
    # Imported here: the models import the dialog layer, which needs this module.
    from models.territory_file import DEFAULT_TERRITORY_FILE, import_territory, read_territory

    async with engine.connect() as connection:
        from_file = revision == "head" and await connection.run_sync(_is_new)
    # Read first: a bad file is told before anything is created.
    spec = (
        await asyncio.to_thread(read_territory, territory_file or DEFAULT_TERRITORY_FILE)
        if from_file
        else None
    )
    async with engine.begin() as connection:
        await connection.run_sync(_run_alembic, "upgrade", revision, spec is not None)
        if spec is not None:
            session = AsyncSession(bind=connection, expire_on_commit=False)
            try:
                await import_territory(session, spec)
                await session.flush()
            finally:
                await session.close()


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_run_alembic, "downgrade", revision)
