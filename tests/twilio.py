"""Run the real bot with its Twilio channels behind the real web app, against the fake Twilio.

As in production, Twilio's webhooks are signed for the bot's public address
(`PUBLIC_BASE_URL`), while the fake delivers them to where uvicorn really listens, as a
reverse proxy would.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn

from bot.channels.twilio import TwilioChannel
from bot.settings import Settings
from padome.app import App, open_app
from padome.web import create_web_app
from tests.conftest import make_settings
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SMS_NUMBER, WHATSAPP_NUMBER, FakeTwilio
from tests.telegram import _until

PUBLIC_BASE_URL = "https://padome.example.lv"


def twilio_settings(database_url: str, api_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_api_base_url": api_url,
        "twilio_whatsapp_from": WHATSAPP_NUMBER,
        "twilio_sms_from": SMS_NUMBER,
        "public_base_url": PUBLIC_BASE_URL,
        "quiet_hours": "off",
        "broadcast_retry_seconds": 0.05,
        "reply_retry_seconds": 0.05,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@asynccontextmanager
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(public_base_url=PUBLIC_BASE_URL)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@dataclass
class TwilioBot:
    app: App
    channel: TwilioChannel
    settings: Settings
    url: str


@asynccontextmanager
async def serve_web(app_web: object) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; yield its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app_web, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    await _until(lambda: server.started or serving.done())
    if serving.done():
        serving.result()
        raise RuntimeError("uvicorn stopped before it started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def twilio_bot(
    fake: FakeTwilio, settings: Settings, *, app: App | None = None
) -> AsyncIterator[TwilioBot]:
    """The bot's Twilio channels and web app (on `app` when one is already open)."""
    async with _opened(settings, app) as opened:
        channel = TwilioChannel(settings=settings, engine=opened.dialog, senders=opened.senders)
        web = create_web_app(settings=settings, telegram=None, twilio=channel)
        try:
            async with serve_web(web) as url:
                fake.bot_base_url = url
                yield TwilioBot(opened, channel, settings, url)
        finally:
            await channel.stop()


@asynccontextmanager
async def _opened(settings: Settings, app: App | None) -> AsyncIterator[App]:
    if app is not None:
        yield app
        return
    async with open_app(settings) as opened:
        yield opened
