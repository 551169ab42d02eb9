"""Broadcast pacing, overhead and memory: one council message to every resident over Telegram.

    .venv/bin/python -m benchmarks.broadcast pacing [--recipients 1500]
    .venv/bin/python -m benchmarks.broadcast overhead [--recipients 20000]
    .venv/bin/python -m benchmarks.broadcast scale [--recipients 100000]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
    common options: [--parallel-sends 8] [--no-report] [--timeout SECONDS]
        [--bare-sends 20000] (0: no bare client run)

- pacing: the fake server enforces Telegram's limits (30/s overall, 1/s per chat), the bot
  paces at its defaults; target at least 97% of 30/s and no 429 answer.
- overhead: no limits on the fake server, the bot's pacing settings at their upper bounds;
  SQLite; deliveries per second and peak memory.
- scale: as overhead, on PostgreSQL; peak memory of the bot process under 300 MB.

Every run also times a bare python-telegram-bot send loop against the same fake server, in
a process of its own just before and just after Padome's run: the project's aiohttp request
class, as many sends at once as the bot, no database, the same texts to chats of its own.
Its rate is what this machine allows at that moment; Padome's is printed as a ratio to it
(targets: at least 0.8 on SQLite, 0.6 on PostgreSQL), since the machine's speed drifts.

A fake Bot API server runs in a second process, so that its CPU does not count against the
bot; it counts every message each chat got (duplicates and missing) and every 429. The bot
process runs the real App, TelegramChannel (python-telegram-bot over HTTP) and
BroadcastService, nothing else: residents are seeded and the broadcast scheduled by a third
process beforehand, so the bot's peak memory is its own. The broadcast is composed as in chat,
with a status message to the sender's chat that the dispatcher edits as it goes (`--no-report`
for one from the command line). For PostgreSQL a fresh database is created on the server of
`--database-url` and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import logging
import multiprocessing
import resource
import secrets
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, insert, make_url, select, text

from bot import db
from bot.channels.telegram import TelegramChannel
from bot.settings import Settings
from broadcasts.compose import Audience, create_broadcast
from models import Identity, Resident
from models.base import utcnow
from models.broadcasts import Broadcast, Delivery, Status
from padome.app import open_app, settle_heap

TOKEN = "123456:BENCH"
FIRST_CHAT = 1_000_000
BARE_FIRST_CHAT = 50_000_000  # the bare client's chats, apart from the residents'
logger = logging.getLogger(__name__)
SENDER_CHAT = 999  # the staff member who composed the broadcast follows its progress here
LANGUAGES = ("lv", "ru", "en")
TEXTS = {
    "lv": "Iedzīvotāju sapulce notiks piektdien plkst. 18:00 kultūras namā.",
    "ru": "Собрание жителей состоится в пятницу в 18:00 в доме культуры.",
    "en": "The residents' meeting is on Friday at 18:00 in the culture house.",
}
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Scenario:
    recipients: int
    database: str  # "sqlite" or "postgresql"
    flood_limits: bool  # the fake server answers 429 beyond Telegram's limits
    lifted: bool  # the bot's pacing settings at their upper bounds
    target: str


SCENARIOS = {
    "pacing": Scenario(1_500, "sqlite", True, False, "at least 97% of 30/s, zero 429"),
    "overhead": Scenario(20_000, "sqlite", False, True, "at least 0.8x the bare client's rate"),
    "scale": Scenario(
        100_000, "postgresql", False, True, "peak RSS under 300 MB, 0.6x the bare client's rate"
    ),
}
RATIO_TARGETS = {"sqlite": 0.8, "postgresql": 0.6}


def lifted_pacing() -> dict[str, float]:
    """The highest pacing the settings accept: their `le` bounds."""
    fields = Settings.model_fields
    names = (
        "telegram_messages_per_second",
        "telegram_private_chat_per_second",
        "telegram_group_per_minute",
    )
    return {name: _upper_bound(fields[name].metadata) for name in names}


def _upper_bound(metadata: list[Any]) -> float:
    for item in metadata:
        bound = getattr(item, "le", None)
        if bound is not None:
            return float(bound)
    raise ValueError("no upper bound")


# ------------------------------------------------------------------ the fake server's process


def server_process(pipe: Connection, flood_limits: bool, recipients: int) -> None:
    asyncio.run(_server(pipe, flood_limits, recipients))


async def _server(pipe: Connection, flood_limits: bool, recipients: int) -> None:
    from tests.fakes.telegram_api import FakeTelegramAPI, FloodLimits

    api = FakeTelegramAPI(token=TOKEN, flood_limits=FloodLimits() if flood_limits else None)
    pipe.send(await api.start())
    loop = asyncio.get_running_loop()
    cpu_started = _cpu_seconds()
    assert await loop.run_in_executor(None, pipe.recv) == "report"
    pipe.send(_server_report(api, recipients, _cpu_seconds() - cpu_started))
    assert await loop.run_in_executor(None, pipe.recv) == "stop"
    await api.stop()


def _server_report(api: Any, recipients: int, cpu: float) -> dict[str, Any]:
    """What the residents got, as the server saw it."""
    expected = range(FIRST_CHAT, FIRST_CHAT + recipients)
    per_chat = Counter(message["chat_id"] for message in api.messages)
    refused = [call for call in api.calls if call.refused == "flood"]
    arrivals = sorted(
        call.at
        for call in api.calls
        if call.status == 200
        and call.method.lower() in ("sendmessage", "sendphoto", "senddocument")
        and call.params.get("chat_id") != SENDER_CHAT
        and int(call.params.get("chat_id") or 0) < BARE_FIRST_CHAT
    )
    return {
        "messages": sum(per_chat[chat] for chat in expected),
        "duplicates": sum(1 for chat in expected if per_chat[chat] > 1),
        "missing": sum(1 for chat in expected if per_chat[chat] == 0),
        "strangers": sum(
            1
            for chat in per_chat
            if chat not in expected and chat != SENDER_CHAT and chat < BARE_FIRST_CHAT
        ),
        "sender_messages": per_chat[SENDER_CHAT],
        "edits": len([call for call in api.calls if call.method.lower() == "editmessagetext"]),
        "rate_limited": api.rate_limited,
        "rate_limited_sender": sum(
            1 for call in refused if call.params.get("chat_id") == SENDER_CHAT
        ),
        "first": arrivals[0] if arrivals else 0.0,
        "last": arrivals[-1] if arrivals else 0.0,
        "busiest_second": _busiest_second(arrivals),
        "cpu": cpu,
    }


def _busiest_second(times: list[float]) -> int:
    """The most messages that arrived within any one second."""
    return max(
        (bisect.bisect_left(times, at + 1.0, lo=index) - index for index, at in enumerate(times)),
        default=0,
    )


# ------------------------------------------------------------------ the bare client's process


def bare_process(pipe: Connection, base_url: str, sends: int, parallel: int) -> None:
    pipe.send(asyncio.run(_bare(base_url, sends, parallel)))


async def _bare(base_url: str, sends: int, parallel: int) -> dict[str, float]:
    """python-telegram-bot alone: `sends` messages, `parallel` at once, nothing else."""
    from telegram import Bot

    from bot.channels.telegram import HTTP_POOL_SIZE
    from bot.channels.telegram_http import AiohttpRequest

    bot = Bot(TOKEN, base_url=f"{base_url}/bot", request=AiohttpRequest(pool_size=HTTP_POOL_SIZE))
    async with bot:
        numbers = iter(range(sends))

        async def worker() -> None:
            for number in numbers:
                language = LANGUAGES[number % len(LANGUAGES)]
                await bot.send_message(chat_id=BARE_FIRST_CHAT + number, text=TEXTS[language])

        cpu_started = _cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(parallel)))
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_started
    return {"sends": sends, "rate": sends / elapsed, "cpu_ms": cpu / sends * 1000}


async def measure_bare(base_url: str, sends: int, parallel: int) -> dict[str, float]:
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = _in_process(bare_process, child, base_url, sends, parallel)
    try:
        return await asyncio.get_running_loop().run_in_executor(None, parent.recv)
    finally:
        process.join(10)


# ------------------------------------------------------------------ setting up the database


def setup_process(database_url: str, recipients: int, report: bool) -> None:
    asyncio.run(_setup(database_url, recipients, report))


async def _setup(database_url: str, recipients: int, report: bool) -> None:
    """Migrate, register the residents in bulk and schedule one council message to all."""
    engine = db.create_engine(database_url)
    await db.upgrade(engine)
    now = utcnow()
    batch = 5_000
    async with engine.begin() as connection:
        for start in range(0, recipients, batch):
            size = min(batch, recipients - start)
            result = await connection.execute(
                insert(Resident).returning(Resident.id),
                [
                    {
                        "language": LANGUAGES[(start + i) % len(LANGUAGES)],
                        "unit_id": 1 + (start + i) % 16,
                        "consented_at": now,
                        "created_at": now,
                        "subscribed": True,
                    }
                    for i in range(size)
                ],
            )
            await connection.execute(
                insert(Identity),
                [
                    {
                        "resident_id": resident_id,
                        "channel": "telegram",
                        "external_id": str(FIRST_CHAT + start + i),
                        "active": True,
                        "created_at": now,
                    }
                    for i, resident_id in enumerate(result.scalars())
                ],
            )
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load. The test server runs without it, and
        # without statistics PostgreSQL plans the audience query in quadratic time.
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    sessionmaker = db.create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        await create_broadcast(
            session,
            roles=None,
            created_by_id=None,
            audience=Audience(),
            texts=TEXTS,
            due_at=now,
            now=now,
            report_to=("telegram", str(SENDER_CHAT)) if report else None,
        )
    await engine.dispose()


def _plain_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _postgres(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_plain_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


# ------------------------------------------------------------------ the bot's process


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


async def run_bot(settings: Settings, seconds_allowed: float) -> dict[str, Any]:
    """Start the bot's broadcasting, wait until the broadcast is done, and say what it took."""
    async with open_app(settings) as app:
        channel = TelegramChannel(settings=settings, engine=app.dialog, senders=app.senders)
        await channel.start()
        settle_heap()  # as `padome run` does once started
        service = app.broadcasting()
        rss_ready = _memory_mb("VmRSS")
        cpu_started = _cpu_seconds()
        started = time.perf_counter()
        status = "timed out"
        try:
            async with asyncio.timeout(seconds_allowed):
                # start() already starts what is due: the audience becomes delivery rows
                await service.start()
                status = await _until_done(app.sessionmaker)
        except TimeoutError:
            logger.warning("the broadcast did not finish within %.0f s", seconds_allowed)
        finally:
            elapsed = time.perf_counter() - started
            cpu = _cpu_seconds() - cpu_started
            if service.scheduler.running:
                await service.stop()
            await channel.stop()
        async with app.sessionmaker() as session:
            broadcast = (await session.scalars(select(Broadcast))).one()
            states = dict(
                (
                    await session.execute(
                        select(Delivery.status, func.count()).group_by(Delivery.status)
                    )
                ).all()
            )
    sending = None
    if broadcast.started_at is not None and broadcast.finished_at is not None:
        sending = (broadcast.finished_at - broadcast.started_at).total_seconds()
    started_at = broadcast.started_at.timestamp() if broadcast.started_at else None
    return {
        "status": status,
        "elapsed": elapsed,
        "sending": sending,
        "started_at": started_at,
        "states": states,
        "cpu": cpu,
        "rss_ready": rss_ready,
        "rss_peak": _memory_mb("VmHWM"),
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def _until_done(sessionmaker: Any) -> str:
    # The rate is taken from the broadcast's own start and finish times, so looking less
    # often only delays noticing the end; each look costs the bot's process a query.
    while True:
        async with sessionmaker() as session:
            status = await session.scalar(select(Broadcast.status))
        if status in (Status.DONE.value, Status.CANCELLED.value):
            return str(status)
        await asyncio.sleep(0.5)


# ------------------------------------------------------------------ the run


def _in_process(target: Any, *args: Any) -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    return process


async def main(args: argparse.Namespace) -> None:
    scenario = SCENARIOS[args.scenario]
    recipients = args.recipients or scenario.recipients
    seconds_allowed = args.timeout or (recipients / 30 * 2 + 60 if scenario.flood_limits else 900)
    with tempfile.TemporaryDirectory() as folder:
        base_url = args.database_url or (
            POSTGRES_URL if scenario.database == "postgresql" else None
        )
        dropped: str | None = None
        if base_url is None:
            database_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        elif base_url.startswith("postgresql"):
            name = f"padome_bench_{secrets.token_hex(5)}"
            await _postgres(base_url, f'CREATE DATABASE "{name}"')
            dropped = name
            database_url = (
                make_url(base_url).set(database=name).render_as_string(hide_password=False)
            )
        else:
            database_url = base_url
        try:
            await _measure(args, scenario, recipients, seconds_allowed, database_url)
        finally:
            if dropped is not None:
                await _postgres(base_url or "", f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


async def _measure(
    args: argparse.Namespace,
    scenario: Scenario,
    recipients: int,
    seconds_allowed: float,
    database_url: str,
) -> None:
    began = time.perf_counter()
    setup = _in_process(setup_process, database_url, recipients, not args.no_report)
    await asyncio.get_running_loop().run_in_executor(None, setup.join)
    if setup.exitcode != 0:
        raise SystemExit("setting up the database failed")
    backend = make_url(database_url).get_backend_name()
    print(
        f"{args.scenario}: {recipients:,} residents on {backend}, seeded in "
        f"{time.perf_counter() - began:.1f} s; target {scenario.target}"
    )

    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = _in_process(server_process, child, scenario.flood_limits, recipients)
    pacing = lifted_pacing() if scenario.lifted else {}
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=parent.recv(),
        quiet_hours="off",
        broadcast_parallel_sends=args.parallel_sends,
        log_level="WARNING",
        **pacing,
    )
    print(
        f"bot pacing: {settings.telegram_messages_per_second:g}/s overall, "
        f"{settings.telegram_private_chat_per_second:g}/s per chat, "
        f"{settings.broadcast_parallel_sends} sends at once; fake server limits: "
        f"{'30/s overall, 1/s per chat' if scenario.flood_limits else 'none'}"
    )
    base_url = settings.telegram_api_base_url
    # Against a server that enforces the limits the bare loop would only meet 429s.
    sends = 0 if scenario.flood_limits else min(args.bare_sends, recipients)
    try:
        bare = (
            [await measure_bare(base_url, sends, settings.broadcast_parallel_sends)]
            if sends
            else []
        )
        bot = await run_bot(settings, seconds_allowed)
        if sends:
            bare.append(await measure_bare(base_url, sends, settings.broadcast_parallel_sends))
        parent.send("report")
        wire = await asyncio.get_running_loop().run_in_executor(None, parent.recv)
        parent.send("stop")
    finally:
        server.join(10)
        if server.is_alive():
            server.terminate()
    _print(scenario, recipients, bot, wire)
    if bare:
        _print_side_by_side(scenario, bot, wire, bare)


def _print_side_by_side(
    scenario: Scenario, bot: dict[str, Any], wire: dict[str, Any], bare: list[dict[str, float]]
) -> None:
    delivered = wire["messages"]
    sending = bot["sending"] or bot["elapsed"]
    rate = delivered / sending if sending else 0.0
    cpu_ms = bot["cpu"] / max(delivered, 1) * 1000
    bare_rate = statistics.mean(item["rate"] for item in bare)
    bare_cpu = statistics.mean(item["cpu_ms"] for item in bare)
    runs = ", ".join(f"{item['rate']:,.0f}/s at {item['cpu_ms']:.2f} ms" for item in bare)
    print(f"bare client ({bare[0]['sends']:,.0f} sends, before and after): {runs}")
    target = RATIO_TARGETS[scenario.database]
    print(
        f"side by side: padome {rate:,.0f}/s at {cpu_ms:.2f} ms CPU per delivery | bare client "
        f"{bare_rate:,.0f}/s at {bare_cpu:.2f} ms per send | padome/bare {rate / bare_rate:.2f} "
        f"(target at least {target:.1f}), CPU per message {cpu_ms / bare_cpu:.2f}x"
    )


def _print(scenario: Scenario, recipients: int, bot: dict[str, Any], wire: dict[str, Any]) -> None:
    delivered = wire["messages"]
    span = wire["last"] - wire["first"]
    on_wire = (delivered - 1) / span if span > 0 and delivered > 1 else 0.0
    sending = bot["sending"] or bot["elapsed"]
    end_to_end = delivered / sending if sending else 0.0
    partial = " (the figures below are partial)" if bot["status"] == "timed out" else ""
    print(f"broadcast: {bot['status']}{partial}; delivery rows: {bot['states']}")
    print(
        f"recipients {recipients:,} | messages {delivered:,} | duplicates {wire['duplicates']} "
        f"| missing {wire['missing']} | to other chats {wire['strangers']}"
    )
    first_message = (
        f"{wire['first'] - bot['started_at']:.2f} s" if bot["started_at"] and wire["first"] else "-"
    )
    print(
        f"elapsed {sending:.2f} s (started to done, bot's clock; {bot['elapsed']:.2f} s "
        f"from service start to seen done) | started to first message {first_message} "
        f"| first to last message {span:.2f} s"
    )
    share = f" | share of 30/s {end_to_end / 30:.1%} / {on_wire / 30:.1%}"
    print(
        f"deliveries/s {end_to_end:,.1f} started to done, {on_wire:,.1f} first to last message"
        f"{share if scenario.flood_limits else ''} | busiest second {wire['busiest_second']}"
    )
    print(
        f"429 answers {wire['rate_limited']} ({wire['rate_limited_sender']} to the sender's "
        f"chat) | sender's chat: {wire['sender_messages']} messages, {wire['edits']} edits"
    )
    print(
        f"bot process: RSS {bot['rss_ready']:.0f} MB ready, peak {bot['rss_peak']:.0f} MB "
        f"(ru_maxrss {bot['maxrss']:.0f} MB) | CPU {bot['cpu']:.1f} s = "
        f"{bot['cpu'] / max(delivered, 1) * 1000:.2f} ms per delivery, "
        f"{bot['cpu'] / bot['elapsed']:.0%} of one core"
    )
    print(f"fake server process: CPU {wire['cpu']:.1f} s, {wire['cpu'] / bot['elapsed']:.0%} busy")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--recipients", type=int, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--parallel-sends",
        type=int,
        default=Settings.model_fields["broadcast_parallel_sends"].default,
    )
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument(
        "--bare-sends",
        type=int,
        default=20_000,
        help="messages the bare client sends before and after Padome's run (at most the "
        "recipients; 0: none)",
    )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main(parser.parse_args()))
