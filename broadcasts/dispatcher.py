"""The dispatcher: starts due broadcasts and sends their rows, paced, retried, crash-safe.

A row's life: pending -> claimed (a batch, by one dispatcher) -> sending (committed once the
pacer lets its request go, just before the platform is called) -> delivered, blocked or
failed; a temporary failure puts it back to pending with a later attempt time. When a
dispatcher dies, its claimed rows go back to pending (they never left), and a row still
"sending" may or may not have arrived: it becomes "unknown" and is not sent again unless its
sender chooses so. So nobody gets a message twice unasked, and only the requests on the wire
at the moment of the crash (at most `broadcast_parallel_sends` a channel) can be missed.

About a thousand lines on purpose: the row's life above is one set of promises (claiming,
marking, sending, recording, recovering), and its hot path is tuned as a whole; split, each
part would have to re-state what the others hold.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import socket
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels import (
    Blocked,
    DeliveryError,
    NeedsTemplate,
    PermanentFailure,
    RateLimited,
    Senders,
    TemporaryFailure,
    messengers,
)
from bot.db import open_sqlite_writer, sqlite_driver_connection
from bot.dialog.messages import Address, Button, Reply
from bot.errors import failure_summary
from bot.i18n import Translator
from bot.settings import Settings
from broadcasts.compose import places_of, still_allowed
from broadcasts.pacing import Pacer, Window
from broadcasts.quiet_hours import in_quiet_hours
from broadcasts.render import render
from models.audit import audit
from models.base import utcnow
from models.broadcasts import (
    Broadcast,
    Delivery,
    DeliveryStatus,
    Status,
    apply_message_status,
    create_deliveries,
    delivery_counts,
)
from models.conversations import show_options
from models.messaging import lock_statuses, statuses_of
from models.residents import Identity, Resident
from models.roles import load_roles

logger = logging.getLogger(__name__)

# How often the sender's status message is edited while a broadcast runs.
PROGRESS_EVERY = 3.0
MAX_RETRY_DELAY = 300.0
MAX_BATCH = 500
# Rows passed over in one look for the next ones to send, while their own chat must wait.
MAX_PASSED = 64
# A broadcast of this many rows or more has PostgreSQL's statistics of the rows updated as
# it starts (`_analyze_deliveries`).
ANALYZE_FROM = 1_000
# The payload of the final report's button that sends again to the rows left unknown.
RESEND_UNKNOWN = "bcu"

# Built once and run on the session's connection, past the ORM: these run for every few
# rows sent (building them cost a tenth of a delivery's time, the ORM's handling as much).
_deliveries = Delivery.__table__
MARK_SENDING = (
    _deliveries.update()
    .where(
        _deliveries.c.id.in_(bindparam("ids", expanding=True)),
        _deliveries.c.claimed_by == bindparam("dispatcher"),
        _deliveries.c.status == DeliveryStatus.CLAIMED.value,
    )
    .values(status=DeliveryStatus.SENDING.value)
    .returning(_deliveries.c.id)
)
RECORD_OUTCOME = (
    _deliveries.update()
    .where(
        _deliveries.c.id == bindparam("row_id"),
        _deliveries.c.claimed_by == bindparam("dispatcher"),
    )
    .values(
        status=bindparam("new_status"),
        parts_done=bindparam("new_parts_done"),
        error=bindparam("new_error"),
        attempts=bindparam("new_attempts"),
        next_attempt_at=bindparam("new_next_attempt_at"),
        finished_at=bindparam("new_finished_at"),
        provider_message_id=bindparam("new_message_id"),
        claimed_by=None,
    )
)
# The two above as the drivers take them, for the groups of rows that need nothing but
# their rows written (most): SQLAlchemy's handling of a statement cost more than running it.
_SQLITE_RECORD = (
    f"UPDATE {_deliveries.name} SET status = ?, parts_done = ?, error = ?, attempts = ?, "
    "next_attempt_at = ?, finished_at = ?, provider_message_id = ?, claimed_by = NULL "
    "WHERE id = ? AND claimed_by = ?"
)
_SQLITE_MARK = (
    f"UPDATE {_deliveries.name} SET status = '{DeliveryStatus.SENDING.value}' "
    f"WHERE claimed_by = ? AND +status = '{DeliveryStatus.CLAIMED.value}' AND id IN ({{}}) "
    "RETURNING id"
)
# On PostgreSQL both in one statement: one round trip and one commit (one wait for the
# disk) on the path of every send. The rows to mark are found by id alone: given the status
# as such, the planner also read the status index, where every row ever claimed keeps an
# entry until the table is vacuumed (0.2 ms after 8,000 rows, growing with each).
_POSTGRES_RECORD_AND_MARK = f"""
WITH finished AS (
    UPDATE {_deliveries.name} AS row SET
        status = outcome.status, parts_done = outcome.parts_done, error = outcome.error,
        attempts = outcome.attempts, next_attempt_at = outcome.next_attempt_at,
        finished_at = outcome.finished_at, provider_message_id = outcome.message_id,
        claimed_by = NULL
    FROM unnest(
        $2::integer[], $3::varchar[], $4::integer[], $5::varchar[], $6::integer[],
        $7::timestamptz[], $8::timestamptz[], $9::varchar[]
    ) AS outcome(
        id, status, parts_done, error, attempts, next_attempt_at, finished_at, message_id
    )
    WHERE row.id = outcome.id AND row.claimed_by = $1
)
UPDATE {_deliveries.name} SET status = '{DeliveryStatus.SENDING.value}'
WHERE id = ANY($10::integer[]) AND claimed_by = $1
    AND coalesce(status, '') = '{DeliveryStatus.CLAIMED.value}'
RETURNING id
"""


# What an outcome writes on its row: id, status, parts done, error, attempts, next attempt,
# finished at, the platform's message id.
_Values = tuple[int, str, int, str | None, int, datetime | None, datetime | None, str | None]


@dataclass(frozen=True)
class Row:
    id: int
    broadcast_id: int
    channel: str
    chat_id: str
    is_group: bool
    language: str
    attempts: int
    parts_done: int


@dataclass(frozen=True)
class Outcome:
    row: Row
    status: DeliveryStatus
    parts_done: int
    error: str | None = None
    retry_in: float | None = None  # back to pending, tried again after this many seconds
    counts_as_attempt: bool = True
    message_id: str | None = None  # the platform's id of the message sent last


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Dispatcher:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        senders: Senders,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.senders = senders
        self.clock = clock
        self.name = f"{socket.gethostname()[:16]}:{os.getpid()}:{secrets.token_hex(4)}"
        # Each messenger declares its platform's limits.
        self.pacers: dict[str, Pacer] = {}
        for item in messengers().values():
            if item.pacing is not None:
                limits = item.pacing(settings)
                self.pacers[item.name] = Pacer(
                    per_second=limits.per_second,
                    private_chat_per_second=limits.private_chat_per_second,
                    group_per_minute=limits.group_per_minute,
                )
        self.wake = asyncio.Event()
        self._finished: list[Outcome] = []
        self._broadcasts: dict[int, Broadcast] = {}
        # An announcement's place by language, for its heading (`places_of`).
        self._places: dict[int, dict[str, str]] = {}
        self._rendered: dict[tuple[int, str], list[Reply]] = {}
        self._last_progress: dict[int, float] = {}
        # Where this process's last claim of a broadcast's rows not tried yet ended, by
        # broadcast and channel (`_claim`).
        self._claimed_to: dict[tuple[int, str], int] = {}
        self.engine: AsyncEngine = sessionmaker.kw["bind"]
        self._is_sqlite = self.engine.dialect.name == "sqlite"
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        # On PostgreSQL, the asyncpg connections kept (in autocommit) while a batch is sent,
        # those not in use at the moment.
        self._held: list[Any] = []
        # On SQLite, the connection of its own the marks are written on while a batch is sent.
        self._writer: sqlite3.Connection | None = None
        # How the engine stores a datetime (a text on SQLite), for the driver's statements.
        self._stored_time = _deliveries.c.finished_at.type.bind_processor(self.engine.dialect)

    # ------------------------------------------------------------------ starting

    async def recover(self, *, at_start: bool = False) -> int:
        """Take over the rows of a dispatcher that is gone.

        Its claimed rows never left: they go back to pending. Its sending rows may have
        arrived: they become "unknown", never re-sent. On SQLite only one process sends, so at
        start every such row is left over; on PostgreSQL, once its claim is older than the
        lease. Returns the rows marked unknown.
        """
        now = self.clock()
        lease = timedelta(seconds=self.settings.broadcast_claim_lease_seconds)
        left_over = Delivery.claimed_by.is_not(None)
        if not (at_start and self._is_sqlite):
            left_over = Delivery.claimed_at < now - lease
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Delivery)
                .where(Delivery.status == DeliveryStatus.CLAIMED.value, left_over)
                .values(
                    status=DeliveryStatus.PENDING.value,
                    attempts=Delivery.attempts - 1,
                    claimed_by=None,
                )
            )
            result = await session.execute(
                update(Delivery)
                .where(Delivery.status == DeliveryStatus.SENDING.value, left_over)
                .values(
                    status=DeliveryStatus.UNKNOWN.value,
                    error="interrupted",
                    finished_at=now,
                    claimed_by=None,
                )
            )
        if result.rowcount:
            logger.warning(
                "%d broadcast rows were interrupted while sending; sent again only if chosen",
                result.rowcount,
            )
        return result.rowcount

    async def start_due(self) -> list[int]:
        """Start the broadcasts whose time has come; each is started by one process only."""
        now = self.clock()
        query = select(Broadcast.id).where(
            Broadcast.status == Status.SCHEDULED.value, Broadcast.due_at <= now
        )
        if in_quiet_hours(self.settings, now):
            query = query.where(Broadcast.urgent.is_(True))
        async with self.sessionmaker() as session:
            due = list(await session.scalars(query.order_by(Broadcast.due_at, Broadcast.id)))
        started = []
        for broadcast_id in due:
            async with self.sessionmaker() as session, session.begin():
                won = await session.execute(
                    update(Broadcast)
                    .where(Broadcast.id == broadcast_id, Broadcast.status == Status.SCHEDULED.value)
                    .values(status=Status.SENDING.value, started_at=now)
                )
                if won.rowcount != 1:
                    continue
                broadcast = await session.get(Broadcast, broadcast_id)
                assert broadcast is not None
                if not await self._sender_still_allowed(session, broadcast):
                    # The sender lost the right to reach this audience since scheduling it.
                    broadcast.status = Status.CANCELLED.value
                    broadcast.finished_at = now
                    await audit(
                        session,
                        action="broadcast_refused",
                        actor_id=broadcast.created_by_id,
                        broadcast=broadcast.id,
                    )
                    logger.warning(
                        "broadcast %d refused: its sender may no longer send it", broadcast_id
                    )
                    continue
                total = await create_deliveries(session, broadcast, channels=self.senders.channels)
                # In the same transaction: made once, with the rows they copy.
                from broadcasts.helper_copies import copy_for_helpers

                await copy_for_helpers(
                    session,
                    broadcast,
                    channels=self.senders.channels,
                    timezone=self.settings.tz,
                    now=now,
                )
            started.append(broadcast_id)
            logger.info("broadcast %d started: %d recipients", broadcast_id, total)
            if total >= ANALYZE_FROM and not self._is_sqlite:
                await self._analyze_deliveries()
            await self._open_progress(broadcast_id, total)
        if started:
            self.wake.set()
        return started

    async def _analyze_deliveries(self) -> None:
        """Bring PostgreSQL's statistics of the delivery rows up to date after many were
        made at once. Planned on the statistics from before, the claims of the new rows
        read every row of the table (a tenth of a second each at 100,000 rows) until
        autovacuum looked again, if it runs at all."""
        try:
            async with self._autocommit.connect() as connection:
                await connection.execute(text(f"ANALYZE {_deliveries.name}"))
        except Exception as error:
            logger.warning("updating the delivery rows' statistics failed: %s", error)

    async def _sender_still_allowed(self, session: AsyncSession, broadcast: Broadcast) -> bool:
        if broadcast.created_by_id is None:
            return True  # sent from the command line by the operators
        sender = await session.get(Resident, broadcast.created_by_id)
        if sender is None or sender.erased_at is not None:
            return False
        roles = await load_roles(session, sender, admins=self.settings.admins)
        return await still_allowed(session, broadcast, roles)

    # ------------------------------------------------------------------ sending

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; sleeps while there is nothing to send."""
        while not stop.is_set():
            # Cleared before looking, so a wake-up during the look is not lost.
            self.wake.clear()
            try:
                sent = await self.run_once()
            except Exception as error:
                logger.error("broadcast dispatch failed: %s", failure_summary(error))
                sent = 0
            if sent:
                continue
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
            await asyncio.wait(waiters, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def run_once(self) -> int:
        """Claim a batch of due rows on each channel, send them, record what happened.

        Each channel's batch is about a second of its pace and has its own share of parallel
        sends, so a slow channel (SMS) does not hold up a fast one. Returns the rows.
        """
        batches = [await self._claim(channel) for channel in sorted(self.senders.channels)]
        rows = [row for batch in batches for row in batch]
        if not rows:
            await self._finish()
            return 0
        claimed = len(rows)
        broadcast_ids = {row.broadcast_id for row in rows}

        async def refill(channel: str) -> list[Row]:
            nonlocal claimed
            await self._progress(broadcast_ids)
            more = await self._claim(channel)
            claimed += len(more)
            broadcast_ids.update(row.broadcast_id for row in more)
            return more

        if self._is_sqlite:
            # A connection of its own for the batch's marks and outcomes, committed at once
            # (see `open_sqlite_writer`); the pool's while another connection is writing.
            self._writer = open_sqlite_writer(self.engine)
            try:
                await self._send_batches(batches, refill)
            finally:
                writer, self._writer = self._writer, None
                if writer is not None:
                    writer.close()
        else:
            # A connection for each channel's marks, not one checked out (and pinged) for each
            # group: in autocommit they hold no lock between them.
            async with AsyncExitStack() as stack:
                for _ in [batch for batch in batches if batch]:
                    connection = await stack.enter_async_context(self._autocommit.connect())
                    self._held.append((await connection.get_raw_connection()).driver_connection)
                try:
                    await self._send_batches(batches, refill)
                finally:
                    self._held = []
        outcomes, self._finished = self._finished, []
        try:
            await self._commit(outcomes, [])
        except BaseException:
            self._finished[:0] = outcomes
            raise
        await self._progress(broadcast_ids)
        return claimed

    async def _send_batches(
        self, batches: list[list[Row]], refill: Callable[[str], Awaitable[list[Row]]]
    ) -> None:
        await asyncio.gather(
            *(
                self._send_batch(batch[0].channel, batch, refill=partial(refill, batch[0].channel))
                for batch in batches
                if batch
            )
        )

    def _batch_size(self, channel: str) -> int:
        """About a second of sending: claimed rows wait on the wire's pace, and a row
        claimed but not yet sent is held back from other processes meanwhile."""
        pacer = self.pacers.get(channel)
        per_second = pacer.overall.limit / pacer.overall.seconds if pacer else MAX_BATCH
        return max(1, min(MAX_BATCH, int(per_second)))

    async def _claim(self, channel: str) -> list[Row]:
        """Claim this channel's next due rows: urgent broadcasts first, then the oldest; in
        each, the rows whose retry is due, then the rows not tried yet, in order.

        A claim costs the rows it takes, not the rows already sent: the rows not tried yet
        are read on from where this process's last claim of the broadcast ended. When none
        is left there, it looks again from the start, for rows put back meanwhile (a claim
        of a process that stopped, a send chosen again).
        """
        now = self.clock()
        wanted = self._batch_size(channel)
        sending = select(Broadcast.id).where(Broadcast.status == Status.SENDING.value)
        if in_quiet_hours(self.settings, now):
            sending = sending.where(Broadcast.urgent.is_(True))
        rows: list[Row] = []
        async with self.sessionmaker() as session, session.begin():
            order = sending.order_by(Broadcast.urgent.desc(), Broadcast.id)
            broadcast_ids = list(await session.scalars(order))
            for broadcast_id in broadcast_ids:
                of_broadcast = (
                    Delivery.broadcast_id == broadcast_id,
                    Delivery.channel == channel,
                    Delivery.status == DeliveryStatus.PENDING.value,
                )
                rows += await self._take(
                    session,
                    (*of_broadcast, Delivery.next_attempt_at <= now),
                    wanted - len(rows),
                    now,
                )
                key = (broadcast_id, channel)
                after = self._claimed_to.pop(key, 0)
                while len(rows) < wanted:
                    fresh = await self._take(
                        session,
                        (*of_broadcast, Delivery.next_attempt_at.is_(None), Delivery.id > after),
                        wanted - len(rows),
                        now,
                    )
                    rows += fresh
                    if fresh and len(rows) >= wanted:
                        self._claimed_to[key] = fresh[-1].id
                    if len(rows) >= wanted or after == 0:
                        break
                    after = 0  # none left after the last claim: once more from the start
                if len(rows) >= wanted:
                    break
        for key in [key for key in self._claimed_to if key[0] not in broadcast_ids]:
            del self._claimed_to[key]
        return rows

    async def _take(
        self, session: AsyncSession, where: tuple[Any, ...], limit: int, now: datetime
    ) -> list[Row]:
        """Claim at most `limit` rows matching `where`, in order, skipping those another
        process holds."""
        picked = (
            select(Delivery.id)
            .where(*where)
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
        )
        result = await session.execute(
            update(Delivery)
            .where(Delivery.id == picked.c.id)
            .values(
                status=DeliveryStatus.CLAIMED.value,
                claimed_by=self.name,
                claimed_at=now,
                attempts=Delivery.attempts + 1,
            )
            .returning(
                Delivery.id,
                Delivery.broadcast_id,
                Delivery.channel,
                Delivery.chat_id,
                Delivery.is_group,
                Delivery.language,
                Delivery.attempts,
                Delivery.parts_done,
            ),
            execution_options={"synchronize_session": False},
        )
        return sorted((Row(*item) for item in result), key=lambda row: row.id)

    async def _broadcast(self, broadcast_id: int) -> Broadcast:
        broadcast = self._broadcasts.get(broadcast_id)
        if broadcast is None:
            async with self.sessionmaker() as session:
                broadcast = await session.get(Broadcast, broadcast_id)
                assert broadcast is not None
                self._places[broadcast_id] = await places_of(session, broadcast)
                session.expunge(broadcast)
            self._broadcasts[broadcast_id] = broadcast
        return broadcast

    async def _send_batch(
        self,
        channel: str,
        batch: list[Row],
        *,
        refill: Callable[[], Awaitable[list[Row]]] | None = None,
    ) -> None:
        """Send one channel's rows, at most `broadcast_parallel_sends` at once; with
        `refill`, the next rows are claimed while the last ones are sent, until none is left,
        so that the sends never stop for a claim.

        The rows the pacer lets go together are committed "sending" together, with the
        outcomes of the rows finished meanwhile; a row waiting for its turn stays "claimed".
        So only the requests on the wire are "sending" at any moment, and only they can end
        "unknown" after a crash.
        """
        pacer = self.pacers.get(channel)
        parallel = self.settings.broadcast_parallel_sends
        waiting = deque(batch)
        running: set[asyncio.Task[None]] = set()
        # While enough sends are on their way, freed places are let go together, half of
        # them at least: a group's commit costs several rows' worth of statements on SQLite
        # and a wait for the disk on PostgreSQL, and on a machine whose processor is the
        # limit, fewer commits leave more of it to the sends (on PostgreSQL 0.60-0.64 of the
        # bare client, against 0.47-0.52 with groups of two, two commits at once).
        grouping = max(1, parallel // 2)
        claiming: asyncio.Task[list[Row]] | None = None
        # The next rows are claimed while half a batch is still to go: a claim (and the
        # progress edit before it) takes a while, and the sends must not wait for it.
        refill_at = max(parallel, self._batch_size(channel) // 2)
        loop = asyncio.get_running_loop()
        woken = loop.create_future()

        def wake(task: asyncio.Task[Any]) -> None:
            running.discard(task)  # type: ignore[arg-type]
            if not woken.done():
                woken.set_result(None)

        def start(going: list[tuple[Row, Window | None]]) -> None:
            for row, place in going:
                task = asyncio.create_task(self._send_and_record(row, place))
                running.add(task)
                task.add_done_callback(wake)

        while True:
            if refill is not None and claiming is None and len(waiting) < refill_at:
                claiming = asyncio.create_task(refill())
                claiming.add_done_callback(wake)
            elif claiming is not None and claiming.done():
                try:
                    more = claiming.result()
                except Exception as error:
                    logger.error("claiming broadcast rows failed: %s", failure_summary(error))
                    more = []
                claiming = None
                waiting.extend(more)
                if not more:
                    refill = None
            places = parallel - len(running)
            holding = bool(running) and places < min(grouping, len(waiting))
            wave = [] if holding else self._admit(pacer, waiting, places)
            if wave:
                start(await self._mark_sending(wave, self._take_finished(channel)))
                continue
            if not waiting and not running and claiming is None:
                return
            if running or claiming is not None:
                timeout = None
                if waiting and not holding and len(running) < parallel and pacer is not None:
                    head = waiting[0]
                    wait = pacer.wait(head.chat_id, is_group=head.is_group)
                    timeout = max(wait, 0.001) if wait < math.inf else None
                if not woken.done():
                    timer = None if timeout is None else loop.call_later(timeout, _settle, woken)
                    await woken
                    if timer is not None:
                        timer.cancel()
                woken = loop.create_future()
            elif pacer is not None:
                head = waiting[0]
                await pacer.until_free(head.chat_id, is_group=head.is_group)

    def _take_finished(self, channel: str) -> list[Outcome]:
        """The outcomes of this channel's finished rows, to be recorded by the caller."""
        taken = [outcome for outcome in self._finished if outcome.row.channel == channel]
        if len(taken) == len(self._finished):
            self._finished = []
        else:
            self._finished = [o for o in self._finished if o.row.channel != channel]
        return taken

    def _admit(
        self, pacer: Pacer | None, waiting: deque[Row], places: int
    ) -> list[tuple[Row, Window | None]]:
        """The next rows the pacer lets go now, at most `places`; a row whose own chat must
        wait (a second message to one person) is passed over, not waited for."""
        wave: list[tuple[Row, Window | None]] = []
        passed: list[Row] = []
        while waiting and len(wave) < places and len(passed) < MAX_PASSED:
            row = waiting.popleft()
            if pacer is None:
                wave.append((row, None))
                continue
            place = pacer.admit(row.chat_id, is_group=row.is_group)
            if place is not None:
                wave.append((row, place))
            elif pacer.chat_waits(row.chat_id, is_group=row.is_group):
                passed.append(row)
            else:
                waiting.appendleft(row)
                break
        waiting.extendleft(reversed(passed))
        return wave

    async def _mark_sending(
        self, wave: list[tuple[Row, Window | None]], outcomes: list[Outcome]
    ) -> list[tuple[Row, Window | None]]:
        """Commit "sending" for rows whose requests go now, with the outcomes of finished
        rows; returns the rows that may go (not cancelled meanwhile)."""
        try:
            marked = await self._commit(outcomes, [row.id for row, _ in wave])
        except Exception as error:
            # The rows go back to pending for a later try: none of them has left.
            logger.error("marking broadcast rows as sending failed: %s", failure_summary(error))
            self._finished[:0] = outcomes
            for row, place in wave:
                if place is not None:
                    self.pacers[row.channel].release(place)
                self._finished.append(
                    Outcome(
                        row,
                        DeliveryStatus.PENDING,
                        row.parts_done,
                        "not_marked",
                        retry_in=self.settings.broadcast_retry_seconds,
                        counts_as_attempt=False,
                    )
                )
            return []
        going = []
        for row, place in wave:
            if row.id in marked:
                going.append((row, place))
                continue
            if place is not None:
                self.pacers[row.channel].release(place)
            self._finished.append(
                Outcome(row, DeliveryStatus.CANCELLED, row.parts_done, "cancelled")
            )
        return going

    async def _send_and_record(self, row: Row, place: Window | None) -> None:
        outcome = await self._send(row, place)
        # Kept before the task ends, so that the next commit records it: a row that is over
        # never adds to the rows a crash would find "sending".
        self._finished.append(outcome)

    async def _send(self, row: Row, place: Window | None) -> Outcome:
        """Send a row already marked "sending"; its first part was let go by the pacer
        (`place`), the next ones wait for their turn."""
        replies = self._rendered.get((row.broadcast_id, row.language))
        if replies is None:
            broadcast = await self._broadcast(row.broadcast_id)
            replies = render(
                broadcast,
                row.language,
                timezone=self.settings.tz,
                places=self._places.get(row.broadcast_id),
            )
            self._rendered[(row.broadcast_id, row.language)] = replies
        pacer = self.pacers.get(row.channel)
        address = Address(row.channel, row.chat_id)
        done = row.parts_done
        try:
            message_id = None
            for reply in replies[done:]:
                if pacer is not None and place is not None:
                    admitted, place = place, None
                    try:
                        message_id = await self.senders.send(address, reply)
                    finally:
                        pacer.answered(admitted)
                else:
                    paced = (
                        pacer.sending(row.chat_id, is_group=row.is_group)
                        if pacer is not None
                        else nullcontext()
                    )
                    async with paced:
                        message_id = await self.senders.send(address, reply)
                done += 1
        except RateLimited as limited:
            if pacer is not None:
                pacer.pause(limited.retry_after)
            return Outcome(
                row,
                DeliveryStatus.PENDING,
                done,
                "rate_limited",
                retry_in=limited.retry_after,
                counts_as_attempt=False,
            )
        except Blocked as blocked:
            return Outcome(row, DeliveryStatus.BLOCKED, done, blocked.reason)
        except NeedsTemplate as needs:
            return Outcome(row, DeliveryStatus.NEEDS_TEMPLATE, done, needs.reason)
        except TemporaryFailure as failure:
            if row.attempts >= self.settings.broadcast_max_attempts:
                return Outcome(row, DeliveryStatus.FAILED, done, failure.reason)
            delay = min(
                self.settings.broadcast_retry_seconds * 2 ** (row.attempts - 1), MAX_RETRY_DELAY
            )
            return Outcome(row, DeliveryStatus.PENDING, done, failure.reason, retry_in=delay)
        except PermanentFailure as failure:
            return Outcome(row, DeliveryStatus.FAILED, done, failure.reason)
        except DeliveryError as failure:
            return Outcome(row, DeliveryStatus.FAILED, done, failure.reason)
        except Exception as error:
            logger.error("a broadcast send failed: %s", failure_summary(error))
            return Outcome(row, DeliveryStatus.FAILED, done, type(error).__name__[:100])
        finally:
            if pacer is not None and place is not None:
                pacer.release(place)  # nothing was left to send
        if self.senders.confirms_later(row.channel):
            return Outcome(row, DeliveryStatus.SENT, done, message_id=message_id)
        return Outcome(row, DeliveryStatus.DELIVERED, done, message_id=message_id)

    async def _commit(self, outcomes: list[Outcome], ids: list[int]) -> set[int]:
        """Record the outcomes of finished rows and mark the rows `ids` "sending", in one
        commit; returns the rows marked (a row cancelled meanwhile is not)."""
        if not outcomes and not ids:
            return set()
        if self._needs_session(outcomes):
            async with self.engine.begin() as connection:
                await self._write_finished(connection, outcomes)
                if not ids:
                    return set()
                result = await connection.execute(
                    MARK_SENDING, {"ids": ids, "dispatcher": self.name}
                )
                return set(result.scalars())
        values = self._outcome_values(outcomes)
        if any(outcome.retry_in for outcome in outcomes):
            self.wake.set()
        if self._is_sqlite:
            return await self._commit_on_sqlite(values, ids)
        if self._held:
            driver = self._held.pop()
            try:
                return await self._commit_on_postgres(driver, values, ids)
            finally:
                self._held.append(driver)
        async with self._autocommit.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            return await self._commit_on_postgres(driver, values, ids)

    async def _commit_on_sqlite(self, values: list[_Values], ids: list[int]) -> set[int]:
        writer = self._writer
        if writer is not None:
            try:
                writer.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # its extended codes too
                    raise
                writer = None  # another connection is writing: wait for it in the pool
            if writer is not None:
                try:
                    marked = self._write_on_sqlite(writer, values, ids)
                    writer.execute("COMMIT")
                except BaseException:
                    if writer.in_transaction:
                        writer.execute("ROLLBACK")
                    raise
                return marked
        async with self.engine.connect() as connection:
            driver = await sqlite_driver_connection(connection)
            try:
                marked = self._write_on_sqlite(driver, values, ids)
                driver.commit()
            except BaseException:
                driver.rollback()
                raise
        return marked

    def _write_on_sqlite(
        self, driver: sqlite3.Connection, values: list[_Values], ids: list[int]
    ) -> set[int]:
        """Record outcomes and mark rows "sending" in the caller's transaction."""
        stored = self._stored_time
        assert stored is not None
        if values:
            driver.executemany(
                _SQLITE_RECORD,
                [
                    (status, done, error, tries, stored(retry), stored(end), sid, key, self.name)
                    for key, status, done, error, tries, retry, end, sid in values
                ],
            )
        if not ids:
            return set()
        cursor = driver.execute(_SQLITE_MARK.format(",".join("?" * len(ids))), [self.name, *ids])
        return {row_id for (row_id,) in cursor}

    async def _commit_on_postgres(
        self, driver: Any, values: list[_Values], ids: list[int]
    ) -> set[int]:
        columns = list(zip(*values, strict=True)) if values else [()] * 8
        return {
            record[0]
            for record in await driver.fetch(_POSTGRES_RECORD_AND_MARK, self.name, *columns, ids)
        }

    def _outcome_values(self, outcomes: list[Outcome]) -> list[_Values]:
        """What each outcome writes on its row, in the order of `_Values`."""
        now = self.clock()
        return [
            (
                outcome.row.id,
                outcome.status.value,
                outcome.parts_done,
                outcome.error,
                outcome.row.attempts if outcome.counts_as_attempt else outcome.row.attempts - 1,
                now + timedelta(seconds=outcome.retry_in) if outcome.retry_in is not None else None,
                now if outcome.status is not DeliveryStatus.PENDING else None,
                outcome.message_id,
            )
            for outcome in outcomes
        ]

    def _needs_session(self, outcomes: list[Outcome]) -> bool:
        """Outcomes that need more than their rows written: an early status callback to
        apply, a button to offer, an account to mark inactive."""
        for outcome in outcomes:
            if outcome.status is DeliveryStatus.SENT or outcome.status is DeliveryStatus.BLOCKED:
                return True
            broadcast = self._broadcasts.get(outcome.row.broadcast_id)
            if broadcast is None or broadcast.action_payload:
                return True
        return False

    async def _write_finished(self, connection: AsyncConnection, outcomes: list[Outcome]) -> None:
        """Record the outcomes of finished rows, in the caller's transaction."""
        if not outcomes:
            return
        params = [
            {
                "row_id": key,
                "dispatcher": self.name,
                "new_status": status,
                "new_parts_done": done,
                "new_error": error,
                "new_attempts": tries,
                "new_next_attempt_at": retry,
                "new_finished_at": end,
                "new_message_id": sid,
            }
            for key, status, done, error, tries, retry, end, sid in self._outcome_values(outcomes)
        ]
        blocked = [
            (outcome.row.channel, outcome.row.chat_id)
            for outcome in outcomes
            if outcome.status is DeliveryStatus.BLOCKED and not outcome.row.is_group
        ]
        # Statuses the platform reported before the row had its message id: only a row
        # waiting for the platform's callback can have had its callback first.
        confirmed = [
            outcome.message_id
            for outcome in outcomes
            if outcome.message_id and outcome.status is DeliveryStatus.SENT
        ]
        if confirmed:
            # Before the message ids are written: a callback running meanwhile then either
            # finds them or has stored its status for the lines below to find.
            await lock_statuses(connection)
        await connection.execute(RECORD_OUTCOME, params)
        # Most groups of rows need nothing more, and so no ORM session (a fifth of the cost
        # of their transaction).
        if self._needs_session(outcomes):
            session = AsyncSession(bind=connection)
            try:
                for early in await statuses_of(session, confirmed):
                    await apply_message_status(
                        session, message_id=early.message_id, status=early.status, error=early.error
                    )
                await self._offer_actions(session, outcomes)
                for channel, chat_id in blocked:
                    await session.execute(
                        update(Identity)
                        .where(Identity.channel == channel, Identity.external_id == chat_id)
                        .values(active=False)
                    )
                await session.flush()
            finally:
                await session.close()
        if any(outcome.retry_in for outcome in outcomes):
            self.wake.set()

    async def _offer_actions(self, session: AsyncSession, outcomes: list[Outcome]) -> None:
        """A broadcast's buttons become the options its recipients last saw, so that typing
        a number (on WhatsApp or SMS) presses one as a tap does on Telegram; not for those
        the bot has answered since the row was claimed (just before it went)."""
        offered: list[Row] = []
        for outcome in outcomes:
            row = outcome.row
            if row.is_group or outcome.status not in (
                DeliveryStatus.DELIVERED,
                DeliveryStatus.SENT,
            ):
                continue
            broadcast = self._broadcasts.get(row.broadcast_id) or await session.get(
                Broadcast, row.broadcast_id
            )
            if broadcast is not None and broadcast.actions:
                offered.append(row)
        if not offered:
            return
        claimed = dict(
            (
                await session.execute(
                    select(Delivery.id, Delivery.claimed_at).where(
                        Delivery.id.in_([row.id for row in offered])
                    )
                )
            ).all()
        )
        reached: dict[tuple[int, str, str, datetime], list[str]] = {}
        for row in offered:
            shown_at = claimed.get(row.id) or self.clock()
            key = (row.broadcast_id, row.channel, row.language, shown_at)
            reached.setdefault(key, []).append(row.chat_id)
        for (broadcast_id, channel, language, shown_at), chat_ids in reached.items():
            broadcast = self._broadcasts.get(broadcast_id) or await session.get(
                Broadcast, broadcast_id
            )
            assert broadcast is not None
            t = Translator(language, timezone=self.settings.tz)
            await show_options(
                session,
                channel=channel,
                external_ids=chat_ids,
                options=[[t._(label), payload] for label, payload in broadcast.actions],
                shown_at=shown_at,
            )

    # ------------------------------------------------------------------ the sender's view

    async def _report_address(self, broadcast: Broadcast) -> tuple[Address, Translator] | None:
        if broadcast.report_channel is None or broadcast.report_chat_id is None:
            return None
        language = self.settings.default_language
        if broadcast.created_by_id is not None:
            async with self.sessionmaker() as session:
                language = (
                    await session.scalar(
                        select(Resident.language).where(Resident.id == broadcast.created_by_id)
                    )
                    or language
                )
        address = Address(broadcast.report_channel, broadcast.report_chat_id)
        return address, Translator(language, timezone=self.settings.tz)

    async def _send_to_sender(self, address: Address, reply: Reply) -> str | None:
        """Send the status message or the report, within the platform's limits: the first
        one goes out just before the recipients' first burst, the report just after the last."""
        pacer = self.pacers.get(address.channel)
        if pacer is None:
            return await self.senders.send(address, reply)
        async with pacer.sending(address.chat_id):  # the sender's own chat
            return await self.senders.send(address, reply)

    async def _open_progress(self, broadcast_id: int, total: int) -> None:
        broadcast = await self._broadcast(broadcast_id)
        where = await self._report_address(broadcast)
        if where is None:
            return
        address, t = where
        text = progress_text(t, broadcast_id, 0, total)
        try:
            message_id = await self._send_to_sender(address, Reply(text))
        except DeliveryError as error:
            logger.info("the sender's status message failed: %s", error.reason)
            return
        if message_id is not None:
            async with self.sessionmaker() as session, session.begin():
                await session.execute(
                    update(Broadcast)
                    .where(Broadcast.id == broadcast_id)
                    .values(report_message_id=message_id)
                )
            broadcast.report_message_id = message_id
        self._last_progress[broadcast_id] = time.monotonic()

    async def _progress(self, broadcast_ids: set[int]) -> None:
        for broadcast_id in broadcast_ids:
            last = self._last_progress.get(broadcast_id, 0.0)
            if time.monotonic() - last < PROGRESS_EVERY:
                continue
            self._last_progress[broadcast_id] = time.monotonic()
            await self._edit_progress(broadcast_id)

    async def _edit_progress(self, broadcast_id: int) -> None:
        broadcast = await self._broadcast(broadcast_id)
        if broadcast.report_message_id is None:
            async with self.sessionmaker() as session:
                broadcast.report_message_id = await session.scalar(
                    select(Broadcast.report_message_id).where(Broadcast.id == broadcast_id)
                )
        where = await self._report_address(broadcast)
        if where is None or broadcast.report_message_id is None:
            return
        address, t = where
        async with self.sessionmaker() as session:
            counts = await delivery_counts(session, broadcast_id)
        total = sum(counts.values()) - counts[DeliveryStatus.CANCELLED.value]
        done = total - sum(
            counts[state.value]
            for state in (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING)
        )
        try:
            await self.senders.edit(
                address, broadcast.report_message_id, progress_text(t, broadcast_id, done, total)
            )
        except DeliveryError as error:
            logger.info("editing the sender's status message failed: %s", error.reason)

    async def _finish(self) -> None:
        """Mark broadcasts with nothing left to send as done and send the final report."""
        async with self.sessionmaker() as session:
            open_rows = (
                select(Delivery.id)
                .where(
                    Delivery.broadcast_id == Broadcast.id,
                    Delivery.status.in_(
                        [
                            DeliveryStatus.PENDING.value,
                            DeliveryStatus.CLAIMED.value,
                            DeliveryStatus.SENDING.value,
                        ]
                    ),
                )
                .exists()
            )
            finished = list(
                await session.scalars(
                    select(Broadcast.id).where(Broadcast.status == Status.SENDING.value, ~open_rows)
                )
            )
        for broadcast_id in finished:
            async with self.sessionmaker() as session, session.begin():
                won = await session.execute(
                    update(Broadcast)
                    .where(Broadcast.id == broadcast_id, Broadcast.status == Status.SENDING.value)
                    .values(status=Status.DONE.value, finished_at=self.clock())
                )
            if won.rowcount == 1:
                await self._final_report(broadcast_id)

    async def _final_report(self, broadcast_id: int) -> None:
        await self._edit_progress(broadcast_id)
        broadcast = await self._broadcast(broadcast_id)
        where = await self._report_address(broadcast)
        self._broadcasts.pop(broadcast_id, None)
        self._places.pop(broadcast_id, None)
        self._rendered = {
            key: item for key, item in self._rendered.items() if key[0] != broadcast_id
        }
        self._last_progress.pop(broadcast_id, None)
        if where is None:
            return
        address, t = where
        async with self.sessionmaker() as session:
            counts = await delivery_counts(session, broadcast_id)
        unknown = counts[DeliveryStatus.UNKNOWN.value]
        buttons: tuple[tuple[Button, ...], ...] = ()
        if unknown:
            # A person decides: those residents may already have it.
            label = t.ngettext(
                "Send again to the {n} unknown one…", "Send again to the {n} unknown ones…", unknown
            )
            buttons = ((Button(label, f"{RESEND_UNKNOWN}:{broadcast_id}"),),)
            async with self.sessionmaker() as session, session.begin():
                await show_options(
                    session,
                    channel=address.channel,
                    external_ids=[address.chat_id],
                    options=[[label, f"{RESEND_UNKNOWN}:{broadcast_id}"]],
                    shown_at=self.clock(),
                )
        try:
            await self._send_to_sender(
                address, Reply(report_text(t, broadcast_id, counts), buttons=buttons)
            )
        except DeliveryError as error:
            logger.info("the sender's final report failed: %s", error.reason)


def progress_text(t: Translator, broadcast_id: int, done: int, total: int) -> str:
    return t._(
        "Broadcast #{id}: sent {done} of {total}",
        id=broadcast_id,
        done=t.number(done),
        total=t.number(total),
    )


def report_text(
    t: Translator, broadcast_id: int, counts: dict[str, int], *, finished: bool = True
) -> str:
    heading = (
        t._("Broadcast #{id} finished.", id=broadcast_id)
        if finished
        else t._("Broadcast #{id} is still going out.", id=broadcast_id)
    )
    lines = [
        heading,
        t._("Delivered: {n}", n=t.number(counts[DeliveryStatus.DELIVERED.value])),
        t._("Blocked the bot: {n}", n=t.number(counts[DeliveryStatus.BLOCKED.value])),
        t._("Failed: {n}", n=t.number(counts[DeliveryStatus.FAILED.value])),
    ]
    if counts[DeliveryStatus.UNKNOWN.value]:
        lines.append(
            t._(
                "Unknown (interrupted while on its way, maybe not received): {n}",
                n=t.number(counts[DeliveryStatus.UNKNOWN.value]),
            )
        )
    if counts[DeliveryStatus.SENT.value]:
        lines.append(
            t._(
                "Sent, delivery not yet confirmed: {n}",
                n=t.number(counts[DeliveryStatus.SENT.value]),
            )
        )
    if counts[DeliveryStatus.NEEDS_TEMPLATE.value]:
        lines.append(
            t._(
                "Not sent: WhatsApp needs an approved template outside 24 hours: {n}",
                n=t.number(counts[DeliveryStatus.NEEDS_TEMPLATE.value]),
            )
        )
    if counts[DeliveryStatus.CANCELLED.value]:
        lines.append(t._("Cancelled: {n}", n=t.number(counts[DeliveryStatus.CANCELLED.value])))
    return "\n".join(lines)
