"""A typed number presses an option of the last message the person received, in its order."""

from __future__ import annotations

import asyncio
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from broadcasts.notices import send_notice
from models.base import utcnow
from models.broadcasts import DeliveryStatus
from models.conversations import show_options
from models.residents import find_identity
from padome.app import App
from tests.chat import Chat
from tests.test_broadcasts import broadcasting
from tests.test_twilio import onboard, rows_by_chat, running, say
from tests.twilio import TwilioBot

ANNA = "+37126000021"


async def recorded(bot: TwilioBot, broadcast_id: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while (await rows_by_chat(bot, broadcast_id))[ANNA].status not in (
        DeliveryStatus.SENT.value,
        DeliveryStatus.DELIVERED.value,
    ):
        assert asyncio.get_running_loop().time() < deadline, "the notice's outcome was not recorded"
        await asyncio.sleep(0.05)


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=ZoneInfo("Europe/Riga"))._(message, **values)


async def test_a_notices_buttons_are_numbered_in_order_and_typing_one_presses_it(
    database_url: str,
) -> None:
    async with running(database_url) as (fake, bot), broadcasting(bot):  # type: ignore[arg-type]
        await onboard(fake, bot, "sms", ANNA)
        async with bot.app.sessionmaker() as session, session.begin():
            identity = await find_identity(session, "sms", ANNA)
            assert identity is not None
            before = len(fake.messages_to(ANNA))
            notice = await send_notice(
                session,
                settings=bot.settings,
                resident_ids=[identity.resident_id],
                write=lambda t: "Jums ir jauna ziņa.",
                now=utcnow(),
                buttons=[(N_("My ideas and concerns"), "myideas"), (N_("News"), "news")],
            )
            assert notice is not None
        [received] = (await fake.wait_for(ANNA, before + 1))[before:]
        assert received.body.endswith(f"1) {lv('My ideas and concerns')}\n2) {lv('News')}")
        # A person reads before answering: by then the outcome is recorded.
        await recorded(bot, notice.id)
        [news] = await say(fake, bot, "sms", ANNA, "2")
        assert news.body.startswith(lv("No news yet for your parish or town."))


async def test_buttons_of_a_message_received_before_the_menu_do_not_replace_it(
    app: App, chat: Chat
) -> None:
    """A broadcast sent before the menu, but recorded after it, leaves the menu's numbers."""
    await chat.onboard("anna")
    sent_at = utcnow()
    menu = await chat.say("anna", "/menu")
    first = menu.options[0]
    async with app.sessionmaker() as session, session.begin():
        await show_options(
            session,
            channel="console",
            external_ids=["anna"],
            options=[["Answer the survey", "survey:open:1"]],
            shown_at=sent_at,
        )
    typed = await chat.say("anna", "1")
    await chat.say("anna", "/menu")
    pressed = await chat.say("anna", payload=first.payload)
    assert typed.text == pressed.text

    # One received after the menu does: its first button is 1 now.
    async with app.sessionmaker() as session, session.begin():
        await show_options(
            session,
            channel="console",
            external_ids=["anna"],
            options=[["News", "news"]],
            shown_at=utcnow(),
        )
    news = await chat.say("anna", "1")
    assert news.text.startswith("No news yet for your parish or town.")
