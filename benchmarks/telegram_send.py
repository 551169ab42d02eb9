"""One Bot API send three ways, in turns in one process: where a broadcast's time is not.

    .venv/bin/python -m benchmarks.telegram_send [--sends 8000] [--parallel 8] [--rounds 2]

A fake Bot API server runs in a second process (as in `benchmarks.broadcast`). This process
sends the same council message (heading and text) to chats of its own, `--parallel` at once:

- bare: python-telegram-bot's `Bot` with the project's aiohttp request class, nothing else;
- app bot: the `ExtBot` of Padome's Telegram channel, as built and started by `padome run`;
- channel: `TelegramChannel.send`, what the broadcast dispatcher calls for each delivery.

Each round times the three one after the other and prints the rates and the processor time
per send, with the channel's as a ratio to the bare client's from the same round. The
difference between the channel and a whole delivery in `benchmarks.broadcast overhead` is
the dispatcher's own work (claiming, marking, pacing, recording outcomes).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchmarks.broadcast import TEXTS, TOKEN, _cpu_seconds, _in_process, server_process
from bot import db
from bot.channels.telegram import HTTP_POOL_SIZE, TelegramChannel
from bot.channels.telegram_http import AiohttpRequest
from bot.dialog.messages import Address, Reply
from bot.settings import Settings
from padome.app import open_app

MESSAGE = "Ziņa no iedzīvotāju padomes\n\n" + TEXTS["lv"]


async def timed(
    send: Callable[[int], Awaitable[object]], *, first_chat: int, sends: int, parallel: int
) -> tuple[float, float]:
    """Sends per second and milliseconds of processor time per send."""
    chats = iter(range(first_chat, first_chat + sends))

    async def worker() -> None:
        for chat in chats:
            await send(chat)

    cpu_started = _cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(parallel)))
    elapsed = time.perf_counter() - started
    return sends / elapsed, (_cpu_seconds() - cpu_started) / sends * 1000


async def main(args: argparse.Namespace) -> None:
    from telegram import Bot

    parent, child = multiprocessing.get_context("spawn").Pipe()
    server = _in_process(server_process, child, False, 0)
    base_url = await asyncio.get_running_loop().run_in_executor(None, parent.recv)
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'padome.db'}"
            engine = db.create_engine(url)
            await db.upgrade(engine)
            await engine.dispose()
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=url,
                telegram_bot_token=TOKEN,
                telegram_api_base_url=base_url,
            )
            async with open_app(settings) as app:
                channel = TelegramChannel(settings=settings, engine=app.dialog, senders=app.senders)
                await channel.start()
                bare = Bot(
                    TOKEN,
                    base_url=f"{base_url}/bot",
                    request=AiohttpRequest(pool_size=HTTP_POOL_SIZE),
                )
                ways: dict[str, Callable[[int], Awaitable[object]]] = {
                    "bare": lambda chat: bare.send_message(chat_id=chat, text=MESSAGE),
                    "app bot": lambda chat: channel.bot.send_message(chat_id=chat, text=MESSAGE),
                    "channel": lambda chat: channel.send(
                        Address("telegram", str(chat)), Reply(MESSAGE)
                    ),
                }
                try:
                    async with bare:
                        for number in range(1, args.rounds + 1):
                            figures = {}
                            for index, (name, send) in enumerate(ways.items()):
                                figures[name] = await timed(
                                    send,
                                    first_chat=(60 + 10 * index + number) * 1_000_000,
                                    sends=args.sends,
                                    parallel=args.parallel,
                                )
                            (channel_rate, channel_cpu), (bare_rate, bare_cpu) = (
                                figures["channel"],
                                figures["bare"],
                            )
                            print(
                                f"round {number}: "
                                + " | ".join(
                                    f"{name} {rate:,.0f}/s at {cpu:.3f} ms"
                                    for name, (rate, cpu) in figures.items()
                                )
                                + f" | channel/bare rate {channel_rate / bare_rate:.2f}"
                                + f", CPU {channel_cpu / bare_cpu:.2f}x"
                            )
                finally:
                    await channel.stop()
    finally:
        parent.send("report")
        parent.recv()
        parent.send("stop")
        server.join(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=8000)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    asyncio.run(main(parser.parse_args()))
