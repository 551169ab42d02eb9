"""The project's ASGI web app: Telegram webhook and a health check."""

from __future__ import annotations

import json
import logging
import secrets
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel

logger = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_web_app(*, settings: Settings, telegram: TelegramChannel | None) -> Starlette:
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

    return Starlette(
        routes=[
            Route("/healthz", health, methods=["GET"]),
            Route("/telegram/webhook", telegram_webhook, methods=["POST"]),
        ]
    )
