"""Run the real bot against the fake Telegram Bot API, by polling or webhook, and talk to it.

The lifecycle follows `padome.app.run()`: open the app, start the Telegram channel (client,
command lists, update handling), then poll, or set the webhook and serve the web app with
uvicorn; stop in the reverse order. Tests talk as residents through `RunningBot`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from bot.channels.telegram import TelegramChannel
from bot.settings import Settings
from padome.app import App, open_app
from padome.web import create_web_app
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegramAPI

BOT_TOKEN = "123456:TEST"
WEBHOOK_SECRET = "padome-test_secret"
PUBLIC_BASE_URL = "https://bot.example.org"

Message = dict[str, Any]


def telegram_settings(database_url: str, api_url: str, **overrides: object) -> Settings:
    """Settings for the bot on the fake API; no .env or environment is read."""
    values: dict[str, object] = {
        "telegram_bot_token": BOT_TOKEN,
        "telegram_api_base_url": api_url,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


def webhook_settings(database_url: str, api_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "telegram_mode": "webhook",
        "public_base_url": PUBLIC_BASE_URL,
        "telegram_webhook_secret": WEBHOOK_SECRET,
    }
    values.update(overrides)
    return telegram_settings(database_url, api_url, **values)


@asynccontextmanager
async def fake_telegram_api(**options: Any) -> AsyncIterator[FakeTelegramAPI]:
    """A started fake Bot API that accepts only BOT_TOKEN."""
    api = FakeTelegramAPI(token=BOT_TOKEN, **options)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@dataclass
class RunningBot:
    """The bot running against the fake API, and ways to talk to it as a resident."""

    api: FakeTelegramAPI
    app: App
    channel: TelegramChannel
    settings: Settings
    # The web app's base URL in webhook mode.
    web_url: str | None = None

    async def send(
        self, user_id: int, text: str | None, *, replies: int = 1, **push: Any
    ) -> list[Message]:
        """Write as a user and return the `replies` new messages the chat then receives."""
        chat_id = push.get("chat_id") or user_id
        before = len(self.api.messages_to(chat_id))
        self.api.push_message(user_id, text, **push)
        return (await self.api.wait_for(chat_id=chat_id, count=before + replies))[before:]

    async def send_photo(
        self, user_id: int, content: bytes, *, caption: str | None = None, replies: int = 1
    ) -> list[Message]:
        """Send a photo as a user (see `FakeTelegramAPI.push_photo`); return the new messages."""
        before = len(self.api.messages_to(user_id))
        self.api.push_photo(user_id, content, caption=caption)
        return (await self.api.wait_for(chat_id=user_id, count=before + replies))[before:]

    async def press(
        self, user_id: int, data: str, *, replies: int = 1, **push: Any
    ) -> list[Message]:
        """Tap a button (or send crafted callback data) and return the new messages."""
        chat_id = push.get("chat_id") or user_id
        before = len(self.api.messages_to(chat_id))
        self.api.push_callback(user_id, data, **push)
        return (await self.api.wait_for(chat_id=chat_id, count=before + replies))[before:]

    async def onboard(
        self, user_id: int, *, language: str = "lv", unit: str = "alsviku", **push: Any
    ) -> Message:
        """Go through language, privacy notice and unit by buttons; return the menu message.

        `push` options (first_name, language_code, ...) go with the first message.
        """
        await self.send(user_id, "/start", **push)
        await self.press(user_id, f"lang:{language}")
        await self.press(user_id, "privacy:agree")
        [menu] = await self.press(user_id, f"unit:{unit}")
        return menu

    async def settle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every update pushed so far has been handled and answered.

        This is how a test sees that something got no answer, without sleeping: the bot has
        confirmed every update to the fake API, so each one sits in the application's update
        queue, whose join() returns once every handler has finished (replies sent). Polling
        mode only; in webhook mode the POST returns after handling.
        """
        await self.api.wait_until_confirmed(timeout)
        await asyncio.wait_for(self.channel.application.update_queue.join(), timeout)


@asynccontextmanager
async def polling_bot(api: FakeTelegramAPI, settings: Settings) -> AsyncIterator[RunningBot]:
    """The bot polling the fake API, as `padome run` does with TELEGRAM_MODE=polling."""
    async with open_app(settings) as app:
        channel = TelegramChannel(settings=settings, engine=app.dialog, senders=app.senders)
        await channel.start()
        try:
            await channel.bot.delete_webhook()
            await channel.start_polling()
            yield RunningBot(api, app, channel, settings)
        finally:
            await channel.stop()


@asynccontextmanager
async def webhook_bot(api: FakeTelegramAPI, settings: Settings) -> AsyncIterator[RunningBot]:
    """The bot in webhook mode: the webhook set on the fake API, the web app under uvicorn."""
    assert settings.telegram_webhook_secret is not None
    async with open_app(settings) as app:
        channel = TelegramChannel(settings=settings, engine=app.dialog, senders=app.senders)
        await channel.start()
        server: uvicorn.Server | None = None
        serving: asyncio.Task[None] | None = None
        try:
            await channel.bot.set_webhook(
                url=f"{settings.public_base_url}/telegram/webhook",
                secret_token=settings.telegram_webhook_secret.get_secret_value(),
            )
            web = create_web_app(settings=settings, telegram=channel)
            config = uvicorn.Config(
                web, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
            )
            server = uvicorn.Server(config)
            serving = asyncio.create_task(server.serve())
            await _until(lambda: (server is not None and server.started) or serving.done())
            if serving.done():
                serving.result()
                raise RuntimeError("uvicorn stopped before it started")
            port = server.servers[0].sockets[0].getsockname()[1]
            yield RunningBot(api, app, channel, settings, web_url=f"http://127.0.0.1:{port}")
        finally:
            if server is not None and serving is not None:
                server.should_exit = True
                await serving
            await channel.stop()


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll a condition nobody signals (uvicorn's `started`) until it holds."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.01)
