"""A handler that fails: the resident gets an apology, the admin chat a report without data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.dialog.context import Context
from bot.dialog.router import Needs, Route
from bot.i18n import Translator
from models import AuditEntry
from tests.telegram import fake_telegram_api, polling_bot, telegram_settings

ADMIN_CHAT = -100_500
RESIDENT = 2001


async def fail_after_writing(ctx: Context) -> None:
    """Write something, then fail with personal data in the error, as a bug might."""
    await ctx.audit("about_to_fail")
    raise RuntimeError(f"failed for {ctx.incoming.text}")


async def test_a_failing_handler_is_reported_without_personal_data(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with fake_telegram_api() as api:
        settings = telegram_settings(database_url, api.base_url, telegram_admin_chat_id=ADMIN_CHAT)
        async with polling_bot(api, settings) as bot:
            bot.app.dialog.flows.router.commands["fail"] = Route(fail_after_writing, Needs.NOTHING)
            await bot.onboard(RESIDENT)

            [apology] = await bot.send(RESIDENT, "/fail Anna Bērziņa +37120000000")

            expected = Translator("lv", timezone=settings.tz)._(
                "Sorry, something went wrong on our side. Please try again, or send /menu."
            )
            assert apology["text"] == expected
            [report] = await api.wait_for(chat_id=ADMIN_CHAT, count=1)
            assert "RuntimeError" in report["text"]
            assert "telegram" in report["text"]
            assert "Bērziņa" not in report["text"] and "+371" not in report["text"]
            # The failed message's transaction was rolled back.
            async with bot.app.sessionmaker() as session:
                written = await session.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.action == "about_to_fail")
                )
            assert written == 0
            logged = caplog.text
            assert "RuntimeError" in logged and "fail_after_writing" in logged
            assert "Bērziņa" not in logged and "+371" not in logged
            # The bot goes on answering.
            [menu] = await bot.send(RESIDENT, "/menu")
            assert menu["buttons"]
