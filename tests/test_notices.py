"""Notices: a person's answer reaches the other person at once, on their messenger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.i18n import N_, Translator
from bot.settings import Settings
from broadcasts.notices import send_notice
from broadcasts.service import BroadcastService
from handlers.ideas.inbox import AnswerIdea
from handlers.neighbour_help.after import ShareCount
from models.base import utcnow
from models.broadcasts import Broadcast, Delivery, DeliveryStatus, Status
from models.conversations import load_conversation
from models.ideas import Idea, list_areas, submit_idea
from models.residents import add_identity, find_resident, identities_of, register_resident
from models.roles import Role, grant_role
from models.territory import unit_by_slug
from padome.app import App
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.telegram import fake_telegram_api, polling_bot
from tests.twilio import fake_twilio, twilio_bot, twilio_settings

REPRESENTATIVE = 5001
ANNA_TELEGRAM = 5002
ANNA_PHONE = "+37126000011"
ANSWER = "Bedri aizbērs rīt."
RIGA = ZoneInfo("Europe/Riga")
SHARE = N_("Post it in the community group")


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=RIGA)._(message, **values)


def quiet_now() -> str:
    """Quiet hours around this very moment."""
    local = utcnow().astimezone(RIGA)
    start, end = local - timedelta(hours=1), local + timedelta(hours=2)
    return f"{start:%H:%M}-{end:%H:%M}"


def settings_for(
    database_url: str, api: FakeTelegramAPI, fake: FakeTwilio, **extra: Any
) -> Settings:
    """One deployment with Telegram, WhatsApp and SMS."""
    return twilio_settings(
        database_url,
        fake.base_url or "",
        telegram_bot_token="123456:TEST",
        telegram_api_base_url=api.base_url or "",
        **extra,
    )


@asynccontextmanager
async def dispatching(app: App) -> AsyncIterator[None]:
    """The broadcast service of one process, whose scheduler ticks only once, at start."""
    service: BroadcastService = app.broadcasting(tick_seconds=3600)
    await service.start()
    try:
        yield
    finally:
        await service.stop()


async def idea_of_anna(app: App, *, on_telegram: bool) -> int:
    """Anna (preferring WhatsApp) wrote an idea; a representative on Telegram reads it."""
    async with app.sessionmaker() as session, session.begin():
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        representative = await register_resident(
            session,
            channel="telegram",
            external_id=str(REPRESENTATIVE),
            language="lv",
            display_name="Pēteris",
        )
        representative.unit_id = unit.id
        await grant_role(session, resident=representative, role=Role.REPRESENTATIVE, unit=unit)
        if on_telegram:
            anna = await register_resident(
                session,
                channel="telegram",
                external_id=str(ANNA_TELEGRAM),
                language="lv",
                display_name="Anna",
            )
            whatsapp = await add_identity(session, anna, channel="whatsapp", external_id=ANNA_PHONE)
        else:
            anna = await register_resident(
                session,
                channel="whatsapp",
                external_id=ANNA_PHONE,
                language="lv",
                display_name=None,
            )
            [whatsapp] = await identities_of(session, anna.id)
        whatsapp.last_inbound_at = utcnow()  # within WhatsApp's 24 hours: no template needed
        anna.unit_id = unit.id
        anna.preferred_channel = "whatsapp"
        idea, _ = await submit_idea(
            session,
            author=anna,
            area=(await list_areas(session))[0],
            text="Bedre pie skolas",
            place=None,
            photo_ref=None,
            photo_channel=None,
            show_author=True,
            keep_text=True,
            submission_key="anna-1",
            now=utcnow(),
        )
        return idea.id


async def options_shown(app: App, phone: str, options: list[list[str]]) -> None:
    """Wait until the dispatcher has made `options` the ones a typed number presses."""
    for _ in range(100):
        async with app.sessionmaker() as session:
            conversation = await load_conversation(session, "whatsapp", phone)
        if conversation is not None and conversation.options == options:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the notice's options were not remembered")


async def test_an_answer_reaches_the_preferred_messenger_at_once_also_in_quiet_hours(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, fake_twilio() as fake:
        settings = settings_for(database_url, api, fake, quiet_hours=quiet_now())
        async with (
            polling_bot(api, settings) as telegram,
            twilio_bot(fake, settings, app=telegram.app),
            dispatching(telegram.app),
        ):
            idea_id = await idea_of_anna(telegram.app, on_telegram=True)
            await telegram.send(REPRESENTATIVE, "/inbox")
            await telegram.press(REPRESENTATIVE, AnswerIdea(idea_id).pack())
            started = asyncio.get_running_loop().time()
            [done] = await telegram.send(REPRESENTATIVE, ANSWER)
            assert lv("Your answer to #{id} goes to the resident.", id=idea_id) in done["text"]
            [told] = await fake.wait_for(ANNA_PHONE, 1, timeout=3.0)
            # No scheduler tick came in between (the next is an hour away).
            assert asyncio.get_running_loop().time() - started < 3.0
            assert ANSWER in told.body
            assert told.to == f"whatsapp:{ANNA_PHONE}"
            await telegram.settle()
            assert api.messages_to(ANNA_TELEGRAM) == []


async def test_a_notice_for_a_messenger_another_process_runs_is_sent_by_that_process(
    database_url: str,
) -> None:
    """The Telegram process handles the answer; the WhatsApp process delivers it."""
    async with fake_telegram_api() as api, fake_twilio() as fake:
        settings = settings_for(database_url, api, fake)
        async with (
            polling_bot(api, settings) as telegram,
            dispatching(telegram.app),
            twilio_bot(fake, settings) as phones,
            dispatching(phones.app),
        ):
            assert telegram.app.senders.channels == {"telegram"}
            assert phones.app.senders.channels == {"whatsapp", "sms"}
            idea_id = await idea_of_anna(telegram.app, on_telegram=False)
            await telegram.send(REPRESENTATIVE, "/inbox")
            await telegram.press(REPRESENTATIVE, AnswerIdea(idea_id).pack())
            await telegram.send(REPRESENTATIVE, ANSWER)
            [told] = await fake.wait_for(ANNA_PHONE, 1, timeout=3.0)
            assert ANSWER in told.body


async def test_a_notice_goes_only_if_what_caused_it_is_stored(app: App) -> None:
    """Written in the transaction of what caused it: ready at once, or not at all."""
    async with app.sessionmaker() as session, session.begin():
        anna = await register_resident(
            session, channel="console", external_id="anna", language="lv", display_name=None
        )
    with pytest.raises(RuntimeError):
        async with app.sessionmaker() as session, session.begin():
            await send_notice(
                session,
                settings=app.settings,
                resident_ids=[anna.id],
                write=lambda t: "Neaizies",
                now=utcnow(),
            )
            raise RuntimeError("the handler failed")
    async with app.sessionmaker() as session, session.begin():
        await send_notice(
            session,
            settings=app.settings,
            resident_ids=[anna.id, None],
            write=lambda t: "Aizies",
            now=utcnow(),
        )
    async with app.sessionmaker() as session:
        [notice] = list(await session.scalars(select(Broadcast)))
        assert notice.texts["lv"] == "Aizies" and notice.status == Status.SENDING.value
        [row] = list(await session.scalars(select(Delivery)))
        assert (row.channel, row.chat_id, row.status) == (
            "console",
            "anna",
            DeliveryStatus.PENDING.value,
        )
        assert list(await session.scalars(select(Idea))) == []


async def test_a_number_not_on_a_notice_shows_its_option_again_with_the_menu(
    database_url: str,
) -> None:
    """A notice on WhatsApp offers one option; "2", meant for something else, is no dead
    end: the option again and the main menu, numbered, in the resident's language."""
    async with fake_telegram_api() as api, fake_twilio() as fake:
        settings = settings_for(database_url, api, fake)
        async with twilio_bot(fake, settings) as phones, dispatching(phones.app):
            await idea_of_anna(phones.app, on_telegram=False)
            await fake.user_says("whatsapp", ANNA_PHONE, "/menu")
            await fake.wait_for(ANNA_PHONE, 1)
            async with phones.app.sessionmaker() as session, session.begin():
                anna = await find_resident(session, "whatsapp", ANNA_PHONE)
                assert anna is not None
                await send_notice(
                    session,
                    settings=phones.app.settings,
                    resident_ids=[anna.id],
                    write=lambda t: "Jūsu ideja ir izskatīta.",
                    now=utcnow(),
                    buttons=[(SHARE, ShareCount("alsviku", "2026-11").pack())],
                )
            [*_, notice] = await fake.wait_for(ANNA_PHONE, 2)
            assert notice.body.endswith(f"1) {lv(SHARE)}")
            await options_shown(phones.app, ANNA_PHONE, [[lv(SHARE), "nhshare:alsviku:2026-11"]])
            await fake.user_says("whatsapp", ANNA_PHONE, "2")
            [*_, again] = await fake.wait_for(ANNA_PHONE, 3)
            assert again.body == "\n".join(
                [
                    lv(
                        "There is no option {number} here. Please choose a number from 1 to "
                        "{last}.",
                        number="2",
                        last="2",
                    ),
                    f"1) {lv(SHARE)}",
                    f"2) {lv('Main menu')}",
                ]
            )
            await fake.user_says("whatsapp", ANNA_PHONE, "2")
            [*_, menu] = await fake.wait_for(ANNA_PHONE, 4)
            assert menu.body.startswith(lv("Main menu: choose what you want to do."))
