"""Runs broadcasting inside the bot process: the scheduler (one process) and a dispatcher (each).

The database says what is due, so a broadcast that fell due while the bot was down goes out
once when it starts. With several bot processes on one PostgreSQL, the one holding an advisory
lock runs the scheduler; every process dispatches, claiming rows with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels import Senders
from bot.errors import failure_summary
from bot.settings import Settings
from broadcasts.dispatcher import Dispatcher
from broadcasts.notices import attach_dispatcher, detach_dispatcher
from models.base import utcnow

logger = logging.getLogger(__name__)

# pg_try_advisory_lock key of the scheduler: "padome" in ASCII.
SCHEDULER_LOCK = 0x7061646F6D65
TICK_SECONDS = 2.0


@dataclass(frozen=True)
class JobContext:
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    now: datetime
    # The running channels, for a job that acts in a group (declines a join request) after
    # its transaction commits; None where a job is run without them.
    senders: Senders | None = None


@dataclass(frozen=True)
class Job:
    """Work the scheduler does on every tick, in the one process that runs it: opening and
    closing nomination rounds and surveys, reminders, digests. A job reads from the database
    what is due, does it, and records that it is done, so a restart neither skips nor repeats
    it; it may create broadcasts, which go out in the same tick."""

    name: str
    run: Callable[[JobContext], Awaitable[None]]


class Leadership:
    """Whether this process runs the scheduler. SQLite has one process; PostgreSQL, a lock."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None

    async def held(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None and not self._connection.closed:
            return True
        connection = await self.engine.connect()
        try:
            won = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK}
            )
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if won:
            self._connection = connection
            logger.info("this process runs the scheduler")
            return True
        await connection.close()
        return False

    async def release(self) -> None:
        if self._connection is not None:
            with suppress(Exception):
                await self._connection.close()
            self._connection = None


class BroadcastService:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        senders: Senders,
        jobs: Sequence[Job] = (),
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.dispatcher = Dispatcher(sessionmaker=sessionmaker, settings=settings, senders=senders)
        self.senders = senders
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.jobs = tuple(jobs)
        self.leadership = Leadership(engine)
        self.scheduler = AsyncIOScheduler(timezone=settings.tz)
        self.tick_seconds = tick_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Held while a tick runs, so that stopping waits for it instead of leaving it to be
        # cancelled half-way through a query when the engine is disposed.
        self._ticking = asyncio.Lock()

    async def start(self) -> None:
        await self.dispatcher.recover(at_start=True)
        await self.tick()
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            id="broadcasts",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        attach_dispatcher(self.dispatcher.wake)
        self._task = asyncio.create_task(self.dispatcher.run(self._stop))

    async def tick(self) -> None:
        """Start what is due (the scheduler's process only); take over abandoned rows."""
        async with self._ticking:
            if self._stop.is_set():
                return
            try:
                if await self.leadership.held():
                    await self.run_jobs()
                    await self.dispatcher.start_due()
                await self.dispatcher.recover()
            except Exception as error:
                logger.error("the broadcast scheduler failed: %s", failure_summary(error))

    async def run_jobs(self) -> None:
        """Run every job once; one failing job does not keep the others from running."""
        context = JobContext(self.sessionmaker, self.settings, utcnow(), self.senders)
        for job in self.jobs:
            try:
                await job.run(context)
            except Exception as error:
                logger.error("scheduled job %s failed: %s", job.name, failure_summary(error))

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        detach_dispatcher(self.dispatcher.wake)
        self._stop.set()
        async with self._ticking:
            pass
        if self._task is not None:
            await self._task
        await self.leadership.release()
