"""Assembly and lifecycle: database, dialog engine, channels, web app."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.error import InvalidToken, NetworkError

from bot import db
from bot.channels import Senders
from bot.channels.console import ConsoleChannel, ConsoleMailbox
from bot.channels.telegram import TelegramChannel
from bot.channels.twilio import TwilioChannel
from bot.dialog.engine import DialogEngine
from bot.settings import Settings
from broadcasts.service import TICK_SECONDS, BroadcastService
from handlers import build_flows, scheduled_jobs
from models.base import utcnow
from models.console import prune_console_messages
from models.messaging import prune_messaging
from models.staff_console import prune_console_sign_ins
from models.updates import prune_processed_updates
from padome.web import create_web_app

logger = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    dialog: DialogEngine
    senders: Senders

    def broadcasting(self, *, tick_seconds: float = TICK_SECONDS) -> BroadcastService:
        """The scheduler (with every feature's jobs) and the dispatcher, sending through the
        channels registered so far."""
        return BroadcastService(
            engine=self.engine,
            sessionmaker=self.sessionmaker,
            settings=self.settings,
            senders=self.senders,
            jobs=scheduled_jobs(),
            tick_seconds=tick_seconds,
        )


def settle_heap() -> None:
    """Put what start-up loaded (modules, mappings, catalogs: kept until exit) out of the
    garbage collector's sight. Otherwise every full collection walks all of it, a pause of
    over 100 ms in the middle of some resident's reply."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def open_app(settings: Settings, *, migrate: bool = True) -> AsyncIterator[App]:
    """Open the database (migrated to the newest schema) and build the dialog engine."""
    engine = db.create_engine(settings.database_url)
    try:
        if migrate:
            await db.upgrade(engine, territory_file=settings.territory_file)
        sessionmaker = db.create_sessionmaker(engine)
        dialog = DialogEngine(
            sessionmaker=sessionmaker,
            settings=settings,
            flows=build_flows(),
        )
        yield App(settings, engine, sessionmaker, dialog, Senders())
    finally:
        await engine.dispose()


async def chat(settings: Settings, *, user: str, stdin: TextIO, stdout: TextIO) -> None:
    """Chat with the bot in the terminal as console user `user`."""
    async with open_app(settings) as app:
        console = ConsoleChannel(
            engine=app.dialog,
            senders=app.senders,
            sessionmaker=app.sessionmaker,
            user=user,
            stdin=stdin,
            stdout=stdout,
            files_dir=Path.cwd() / "padome-files",
        )
        service = app.broadcasting()
        await service.start()
        try:
            await console.run()
        finally:
            await service.stop()


async def _wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM: Telegram by polling or webhook, and WhatsApp and
    SMS through Twilio's webhooks, whichever are configured; always the scheduler, and
    messages for console users, left for their `padome chat` terminals."""
    async with open_app(settings) as app:
        async with app.sessionmaker() as session, session.begin():
            # Telegram redelivers for a day at most; older keys only take room.
            await prune_processed_updates(session, older_than=timedelta(days=7))
            await prune_messaging(session, now=utcnow())
            await prune_console_messages(session, now=utcnow())
            await prune_console_sign_ins(session, now=utcnow())
        ConsoleMailbox(app.sessionmaker).register(app.senders)
        telegram = None
        if settings.telegram_bot_token is not None:
            telegram = TelegramChannel(settings=settings, engine=app.dialog, senders=app.senders)
            await _start_telegram(telegram, settings)
        twilio = None
        if settings.twilio_enabled:
            twilio = TwilioChannel(settings=settings, engine=app.dialog, senders=app.senders)
        server = None
        service = app.broadcasting()
        try:
            await service.start()
            if telegram is not None and settings.telegram_mode == "webhook":
                assert settings.telegram_webhook_secret is not None
                await telegram.bot.set_webhook(
                    url=f"{settings.public_base_url}/telegram/webhook",
                    secret_token=settings.telegram_webhook_secret.get_secret_value(),
                )
            elif telegram is not None:
                await telegram.bot.delete_webhook()
                await telegram.start_polling()
            console = settings.console_base_url is not None
            if twilio is not None or settings.telegram_mode == "webhook" or console:
                web = create_web_app(
                    settings=settings,
                    telegram=telegram if settings.telegram_mode == "webhook" else None,
                    twilio=twilio,
                    sessionmaker=app.sessionmaker,
                )
                config = uvicorn.Config(
                    web, host=settings.web_host, port=settings.web_port, log_level="warning"
                )
                server = uvicorn.Server(config)
                server_task = asyncio.create_task(server.serve())
            settle_heap()
            messengers = ([f"telegram {settings.telegram_mode}"] if telegram else []) + (
                twilio.channels if twilio else []
            )
            if messengers:
                logger.info("bot running (%s, console)", ", ".join(messengers))
            else:
                logger.warning(
                    "bot running without a messenger (neither TELEGRAM_BOT_TOKEN nor "
                    "TWILIO_ACCOUNT_SID is set): the scheduler sends broadcasts and notices, "
                    "console users read theirs with `padome chat`"
                )
            await _wait_for_stop_signal()
        finally:
            if server is not None:
                server.should_exit = True
                await server_task
            await service.stop()
            if twilio is not None:
                await twilio.stop()
            if telegram is not None:
                await telegram.stop()


async def _start_telegram(telegram: TelegramChannel, settings: Settings) -> None:
    try:
        await telegram.start()
    except InvalidToken:
        raise SystemExit(
            "Telegram refused TELEGRAM_BOT_TOKEN. Copy the token from @BotFather again."
        ) from None
    except NetworkError as error:
        raise SystemExit(
            f"Cannot reach the Telegram Bot API at {settings.telegram_api_base_url} "
            f"({type(error).__name__}). Check the network and TELEGRAM_API_BASE_URL."
        ) from None
