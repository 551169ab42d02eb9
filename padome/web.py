"""The project's ASGI web app: Telegram and Twilio webhooks, media for Twilio, a health check,
and the staff console."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.settings import Settings
from models.base import utcnow
from models.messaging import find_media
from padome.console import Console

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel
    from bot.channels.twilio import TwilioChannel

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

logger = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_web_app(
    *,
    settings: Settings,
    telegram: TelegramChannel | None,
    twilio: TwilioChannel | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> Starlette:
    """The web app; the staff console is served when a sessionmaker is given and the
    settings give it an address (`Settings.console_base_url`)."""

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def telegram_webhook(request: Request) -> Response:
        expected = settings.telegram_webhook_secret
        given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
        if (
            telegram is None
            or expected is None
            or not secrets.compare_digest(given.encode(), expected.get_secret_value().encode())
        ):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = json.loads(await request.body())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
        except ValueError:
            logger.warning("refused a malformed Telegram webhook request")
            return PlainTextResponse("bad request", status_code=400)
        await telegram.process_webhook_update(data)
        return PlainTextResponse("ok")

    async def signed_form(request: Request) -> dict[str, str] | Response:
        """Twilio's form, when its X-Twilio-Signature holds; otherwise the refusal."""
        if twilio is None:
            return PlainTextResponse("not found", status_code=404)
        try:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            form = {}
        signature = request.headers.get("X-Twilio-Signature", "")
        if not twilio.signature_is_valid(request.url.path, request.url.query, form, signature):
            logger.warning("refused a Twilio webhook with a wrong signature")
            return PlainTextResponse("forbidden", status_code=403)
        return form

    def twilio_inbound(channel: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            form = await signed_form(request)
            if isinstance(form, Response):
                return form
            assert twilio is not None
            incoming = twilio.to_incoming(channel, form) if channel in twilio.channels else None
            if incoming is None:
                logger.warning("refused a malformed Twilio %s webhook", channel)
                return PlainTextResponse("bad request", status_code=400)
            await twilio.handle(incoming)
            return Response(EMPTY_TWIML, media_type="text/xml")

        return endpoint

    async def twilio_status(request: Request) -> Response:
        form = await signed_form(request)
        if isinstance(form, Response):
            return form
        assert twilio is not None
        if not await twilio.record_status(form):
            logger.warning("refused a malformed Twilio status callback")
            return PlainTextResponse("bad request", status_code=400)
        return Response(status_code=204)

    async def media(request: Request) -> Response:
        assert twilio is not None
        async with twilio.engine.sessionmaker() as session:
            found = await find_media(session, request.path_params["token"], now=utcnow())
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(
            found.content,
            media_type=found.mime_type,
            headers={"Content-Disposition": f'inline; filename="{_ascii(found.filename)}"'},
        )

    routes = [
        Route("/healthz", health, methods=["GET"]),
        Route("/telegram/webhook", telegram_webhook, methods=["POST"]),
    ]
    if twilio is not None:
        routes += [
            Route("/twilio/whatsapp", twilio_inbound("whatsapp"), methods=["POST"]),
            Route("/twilio/sms", twilio_inbound("sms"), methods=["POST"]),
            Route("/twilio/status", twilio_status, methods=["POST"]),
            Route("/media/{token}", media, methods=["GET"]),
        ]
    if sessionmaker is not None and settings.console_base_url is not None:
        routes += Console(settings=settings, sessionmaker=sessionmaker).routes()
    return Starlette(routes=routes)


def _ascii(filename: str) -> str:
    return "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in filename)
