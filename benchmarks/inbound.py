"""Inbound throughput and latency: residents onboarding over Telegram, against a bare echo bot.

    .venv/bin/python -m benchmarks.inbound [--residents 300] [--concurrency 20]
        [--preload 100000] [--database-url sqlite+aiosqlite:///bench.db]

A fake Bot API server runs in a second process with the simulated residents: each resident
goes through onboarding (/start, language, privacy notice, unit: four updates) and sends the
next update only when the bot has answered the previous one; `--concurrency` residents do so at
once. Handling is timed in the bot, from the update reaching its handler to the replies sent
and the button answered; the residents' wait is timed from the update being queued to the reply.
The same load then runs against a bare python-telegram-bot echo bot on the same fake server.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot import db
from bot.app import open_app
from bot.channels.telegram import TelegramChannel
from bot.settings import Settings
from models import Identity, Resident
from models.base import utcnow

TOKEN = "123456:BENCH"
FIRST_USER_ID = 5_000_000_000
STEPS = ("/start", "lang:lv", "privacy:agree", "unit:alsviku")


# ------------------------------------------------------------------ residents' process


def residents_process(pipe: Connection, residents: int, concurrency: int) -> None:
    asyncio.run(_residents(pipe, residents, concurrency))


async def _residents(pipe: Connection, residents: int, concurrency: int) -> None:
    from tests.fakes.telegram_api import FakeTelegramAPI

    api = FakeTelegramAPI()
    pipe.send(await api.start())
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            await api.stop()
            return
        offset = command  # user ids already used by an earlier round
        pipe.send(await _one_round(api, residents, concurrency, offset))


async def _one_round(api: Any, residents: int, concurrency: int, offset: int) -> dict[str, Any]:
    latencies: list[float] = []
    per_step: list[list[float]] = [[] for _ in STEPS]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(residents):
        queue.put_nowait(FIRST_USER_ID + offset + number)

    async def resident_loop() -> None:
        while not queue.empty():
            user_id = queue.get_nowait()
            for index, step in enumerate(STEPS):
                started = time.perf_counter()
                if step.startswith("/"):
                    api.push_message(user_id, step)
                else:
                    api.push_callback(user_id, step)
                await api.wait_for(chat_id=user_id, count=index + 1, timeout=30)
                latencies.append(time.perf_counter() - started)
                per_step[index].append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(resident_loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "updates": len(latencies),
        "seconds": elapsed,
        "latencies": latencies,
        "per_step_ms": [round(statistics.mean(items) * 1000, 1) for items in per_step],
    }


# ------------------------------------------------------------------ the bots


HANDLING: list[float] = []


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bare bot: answer every message and button with its text."""
    started = time.perf_counter()
    try:
        await _echo(update, context)
    finally:
        HANDLING.append(time.perf_counter() - started)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, update.callback_query.data)
    elif update.message is not None:
        await update.message.reply_text(update.message.text or "?")


async def run_round(pipe: Connection, offset: int) -> dict[str, Any]:
    HANDLING.clear()
    loop = asyncio.get_running_loop()
    pipe.send(offset)
    result = await loop.run_in_executor(None, pipe.recv)
    result["handling"] = list(HANDLING)
    return result


async def measure_padome(pipe: Connection, base_url: str, database_url: str) -> dict[str, Any]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        log_level="WARNING",
    )
    async with open_app(settings) as app:
        channel = TelegramChannel(settings=settings, engine=app.dialog, senders=app.senders)
        on_update = channel._on_update

        async def timed_on_update(update: Update, context: Any) -> None:
            """The same part as the echo bot's handler: engine, replies sent, button answered."""
            started = time.perf_counter()
            try:
                await on_update(update, context)
            finally:
                HANDLING.append(time.perf_counter() - started)

        channel.application.handlers[0][0].callback = timed_on_update
        await channel.start()
        await channel.start_polling()
        try:
            return await run_round(pipe, 0)
        finally:
            await channel.stop()


async def measure_echo(pipe: Connection, base_url: str, offset: int) -> dict[str, Any]:
    application: Application = ApplicationBuilder().token(TOKEN).base_url(f"{base_url}/bot").build()
    application.add_handler(TypeHandler(Update, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()
        try:
            return await run_round(pipe, offset)
        finally:
            await application.updater.stop()
            await application.stop()


async def preload(database_url: str, count: int) -> None:
    """Fill the database with `count` registered residents, as a municipality would have."""
    engine = db.create_engine(database_url)
    await db.upgrade(engine)
    now = utcnow()
    batch = 5_000
    async with engine.begin() as connection:
        for start in range(0, count, batch):
            size = min(batch, count - start)
            result = await connection.execute(
                insert(Resident).returning(Resident.id),
                [
                    {
                        "language": "lv",
                        "unit_id": 1 + (start + i) % 16,
                        "consented_at": now,
                        "created_at": now,
                        "subscribed": True,
                    }
                    for i in range(size)
                ],
            )
            ids = list(result.scalars())
            await connection.execute(
                insert(Identity),
                [
                    {
                        "resident_id": rid,
                        "channel": "telegram",
                        "external_id": str(1_000_000 + start + i),
                        "active": True,
                        "created_at": now,
                    }
                    for i, rid in enumerate(ids)
                ],
            )
    await engine.dispose()


def summary(name: str, result: dict[str, Any]) -> tuple[str, float, float, float]:
    latencies = sorted(result["latencies"])
    throughput = result["updates"] / result["seconds"]
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    handling = sorted(result["handling"])
    h50 = statistics.median(handling) * 1000
    h95 = handling[int(len(handling) * 0.95) - 1] * 1000
    print(
        f"{name:<10} {result['updates']:>6} updates {throughput:>7.1f} updates/s | "
        f"handling p50 {h50:5.1f} ms p95 {h95:5.1f} ms | "
        f"resident waits p50 {p50:6.1f} ms p95 {p95:6.1f} ms"
    )
    return name, throughput, h50, h95


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        await preload(database_url, args.preload)
        print(
            f"database: {database_url.split('://')[0]}, {args.preload} residents preloaded "
            f"in {time.perf_counter() - started:.1f} s"
        )
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=residents_process, args=(child, args.residents, args.concurrency)
        )
        process.start()
        base_url = parent.recv()
        print(f"{args.residents} residents x {len(STEPS)} updates, {args.concurrency} at once")
        padome = summary("padome", await measure_padome(parent, base_url, database_url))
        bare = summary("echo bot", await measure_echo(parent, base_url, args.residents))
        parent.send("stop")
        process.join(10)
        print(
            f"padome/echo throughput: {padome[1] / bare[1]:.2f} (target at least 0.50); "
            f"handling p95 {padome[3]:.1f} ms (target under 25 ms)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--preload", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))
