"""The dispatcher's own work per delivery: a broadcast sent to an instant sender.

    .venv/bin/python -m benchmarks.dispatcher [--recipients 10000] [--latency-ms 0]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--parallel-sends 8]

The real Dispatcher claims, paces, marks "sending" and records outcomes on a fresh database
(a temporary SQLite file, or a `padome_bench_<hex>` database on the server of
`--database-url`, dropped afterwards), but its Telegram sender answers at once (or after
`--latency-ms`, to see how the marks' round trips hold the sends up). What it prints is what
`benchmarks.broadcast` cannot separate from python-telegram-bot's time: the processor time the
dispatcher spends per row, and how many sends were on their way on average.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, make_url, select

from benchmarks.broadcast import (
    POSTGRES_URL,
    TOKEN,
    _cpu_seconds,
    _postgres,
    _setup,
    lifted_pacing,
)
from bot import db
from bot.channels import Senders
from bot.dialog.messages import Address, Reply
from bot.settings import Settings
from broadcasts.dispatcher import Dispatcher
from models.broadcasts import Delivery, DeliveryStatus


async def measure(url: str, recipients: int, latency: float, parallel: int) -> None:
    await _setup(url, recipients, False)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        telegram_bot_token=TOKEN,
        quiet_hours="off",
        broadcast_parallel_sends=parallel,
        log_level="WARNING",
        **lifted_pacing(),
    )
    engine = db.create_engine(url)
    sessionmaker = db.create_sessionmaker(engine)
    on_the_way = 0
    area = 0.0
    last = time.perf_counter()

    def count(change: int) -> None:
        nonlocal on_the_way, area, last
        now = time.perf_counter()
        area += on_the_way * (now - last)
        last = now
        on_the_way += change

    async def send(address: Address, reply: Reply) -> str:
        count(1)
        await asyncio.sleep(latency)
        count(-1)
        return "1"

    senders = Senders()
    senders.register("telegram", send)
    dispatcher = Dispatcher(sessionmaker=sessionmaker, settings=settings, senders=senders)
    await dispatcher.start_due()
    open_states = [
        DeliveryStatus.PENDING.value,
        DeliveryStatus.CLAIMED.value,
        DeliveryStatus.SENDING.value,
    ]
    cpu_started = _cpu_seconds()
    started = last = time.perf_counter()
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    left = recipients
    while left:
        await asyncio.sleep(0.1)
        async with sessionmaker() as session:
            left = await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status.in_(open_states))
            )
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    stop.set()
    await task
    await engine.dispose()
    print(
        f"{make_url(url).get_backend_name()}, {recipients:,} rows, sender answering after "
        f"{latency * 1000:g} ms, {parallel} at once: {recipients / elapsed:,.0f} rows/s, "
        f"{cpu / recipients * 1000:.3f} ms CPU per row, {area / elapsed:.1f} sends on their "
        "way on average"
    )


async def main(args: argparse.Namespace) -> None:
    latency = args.latency_ms / 1000
    if args.database_url:
        name = f"padome_bench_{secrets.token_hex(5)}"
        await _postgres(args.database_url, f'CREATE DATABASE "{name}"')
        url = make_url(args.database_url).set(database=name)
        try:
            await measure(
                url.render_as_string(hide_password=False),
                args.recipients,
                latency,
                args.parallel_sends,
            )
        finally:
            await _postgres(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await measure(url, args.recipients, latency, args.parallel_sends)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument(
        "--database-url", default=None, help=f"a PostgreSQL server, e.g. {POSTGRES_URL}"
    )
    parser.add_argument("--parallel-sends", type=int, default=8)
    asyncio.run(main(parser.parse_args()))
