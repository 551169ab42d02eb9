"""WhatsApp and SMS through Twilio: signed webhooks to the real web app, the real twilio
client against the fake Twilio REST API, the same dialogs as on Telegram."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.channels.sms_text import sms_segments, utf16_length
from bot.i18n import Translator
from broadcasts.service import JobContext
from handlers.nominations import run_rounds
from models.base import utcnow
from models.broadcasts import Delivery, DeliveryStatus, Status
from models.conversations import Conversation
from models.ideas import Idea
from models.nominations import create_round, nominate, supporters_of
from models.residents import Identity, Resident, find_identity
from models.survey_file import create_survey, parse_survey_file, resolve_audience
from models.survey_results import compute_results
from models.surveys import get_survey
from tests.fakes.telegram_api import FakeTelegramAPI, payloads
from tests.fakes.twilio_api import FakeTwilio, SentMessage
from tests.telegram import RunningBot, fake_telegram_api, polling_bot
from tests.test_broadcasts import broadcasting, schedule, until_status
from tests.test_console import PADOME
from tests.twilio import PUBLIC_BASE_URL, TwilioBot, fake_twilio, twilio_bot, twilio_settings

ANNA = "+37126000001"
PETERIS = "+37126000002"
ILZE = "+37126000003"
TELEGRAM_USER = 4242
WELCOME = (
    "Welcome! This phone number is already linked to your registration, so you can write to "
    "me here too."
)


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=ZoneInfo("Europe/Riga"))._(message, **values)


@asynccontextmanager
async def running(
    database_url: str, **overrides: object
) -> AsyncIterator[tuple[FakeTwilio, TwilioBot]]:
    async with fake_twilio() as fake:
        settings = twilio_settings(database_url, fake.base_url or "", **overrides)
        async with twilio_bot(fake, settings) as bot:
            yield fake, bot


@asynccontextmanager
async def both_messengers(
    database_url: str, **overrides: object
) -> AsyncIterator[tuple[FakeTelegramAPI, FakeTwilio, RunningBot, TwilioBot]]:
    """The bot on Telegram (polling the fake Bot API) and on WhatsApp and SMS, one app."""
    async with fake_telegram_api() as api, fake_twilio() as fake:
        settings = twilio_settings(
            database_url,
            fake.base_url or "",
            telegram_bot_token="123456:TEST",
            telegram_api_base_url=api.base_url or "",
            **overrides,
        )
        async with (
            polling_bot(api, settings) as telegram,
            twilio_bot(fake, settings, app=telegram.app) as bot,
        ):
            yield api, fake, telegram, bot


async def say(
    fake: FakeTwilio, bot: TwilioBot, channel: str, phone: str, text: str
) -> list[SentMessage]:
    """Write as a WhatsApp or SMS user; return the messages they get in answer."""
    before = len(fake.messages_to(phone))
    assert await fake.user_says(channel, phone, text) == 200
    await bot.channel.settle()
    return fake.messages_to(phone)[before:]


async def onboard(
    fake: FakeTwilio, bot: TwilioBot, channel: str, phone: str, unit: str = "alsviku"
) -> str:
    """Language by number, notice by number, unit by typed name; returns the menu text."""
    await say(fake, bot, channel, phone, "Labdien")
    await say(fake, bot, channel, phone, "1")
    await say(fake, bot, channel, phone, "1")
    # by SMS a long reply may come in several messages, cut between words
    return " ".join(message.body for message in await say(fake, bot, channel, phone, unit))


async def last_wrote(bot: TwilioBot, phone: str, moment: datetime) -> None:
    """Make the bot believe this WhatsApp user last wrote at `moment`."""
    async with bot.app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "whatsapp", phone)
        assert identity is not None
        identity.last_inbound_at = moment


async def until_rows(bot: TwilioBot, broadcast_id: int, expected: dict[str, str]) -> None:
    """Wait until the delivery rows have the expected states (status callbacks come later)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        rows = await rows_by_chat(bot, broadcast_id)
        states = {chat: row.status for chat, row in rows.items()}
        if states == expected:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"rows are {states}, not {expected}")
        await asyncio.sleep(0.05)


async def stored(bot: TwilioBot, channel: str, phone: str) -> Resident | None:
    async with bot.app.sessionmaker() as session:
        identity = await find_identity(session, channel, phone)
        return identity.resident if identity is not None else None


async def test_whatsapp_onboarding_with_numbered_options(database_url: str) -> None:
    async with running(database_url) as (fake, bot):
        [language] = await say(fake, bot, "whatsapp", ANNA, "Sveiki")
        assert language.body.endswith("1) Latviešu\n2) Русский\n3) English")
        [notice] = await say(fake, bot, "whatsapp", ANNA, "1")
        assert notice.body.endswith(f"1) {lv('I agree')}\n2) {lv('I do not agree')}")
        [units] = await say(fake, bot, "whatsapp", ANNA, "1")
        assert "2) Alsviķu pagasts" in units.body and "16) Ziemera pagasts" in units.body
        # typed without diacritics, any case
        [menu] = await say(fake, bot, "whatsapp", ANNA, "ALSVIKU")
        assert menu.body.startswith(lv("Saved: {place}.", place="Alsviķu pagasts"))
        assert f"1) {lv('News')}" in menu.body
        resident = await stored(bot, "whatsapp", ANNA)
        assert resident is not None and resident.unit is not None
        assert resident.unit.slug == "alsviku"
        assert resident.phone == ANNA  # the account is the verified number
        # 0 and "izvēlne" go back to the menu from anywhere
        await say(fake, bot, "whatsapp", ANNA, "4")  # Language
        [back] = await say(fake, bot, "whatsapp", ANNA, "0")
        assert back.body.startswith(lv("Main menu: choose what you want to do."))
        [back] = await say(fake, bot, "whatsapp", ANNA, "Izvēlne")
        assert back.body.startswith(lv("Main menu: choose what you want to do."))
        # every reply went from our WhatsApp sender, asking for status callbacks
        assert {message.sender for message in fake.messages_to(ANNA)} == {
            bot.settings.twilio_whatsapp_from
        }
        assert all(
            message.status_callback == "https://padome.example.lv/twilio/status"
            for message in fake.messages_to(ANNA)
        )


async def test_sms_onboarding_in_plain_latin_within_the_segment_limit(database_url: str) -> None:
    async with running(database_url, sms_transliterate=True, sms_max_segments=2) as (fake, bot):
        menu = await onboard(fake, bot, "sms", PETERIS)
        assert menu.startswith("Saglabats: Alsviku pagasts.")  # ā, ķ written plainly
        for message in fake.messages_to(PETERIS):
            assert message.body.isascii()
            assert sms_segments(message.body).count <= 2
            assert message.sender == bot.settings.twilio_sms_from
        # the list of 16 units did not fit in two segments: it came in several messages
        bodies = [message.body for message in fake.messages_to(PETERIS)]
        assert "16) Ziemera pagasts" in " ".join(bodies)
        assert not any("1) Aluksnes pilseta" in b and "16) Ziemera" in b for b in bodies)
        assert (await stored(bot, "sms", PETERIS)) is not None


async def test_forged_replayed_and_malformed_webhooks(database_url: str) -> None:
    async with running(database_url) as (fake, bot):
        form = {
            "MessageSid": fake.new_sid(),
            "From": f"whatsapp:{ANNA}",
            "To": "whatsapp:+37120000000",
            "Body": "Sveiki",
        }
        # forged: signed with another token
        status, _ = await fake.post_signed("/twilio/whatsapp", form, signature="bm90IHZhbGlk")
        assert status == 403
        # signed for another address than our public one
        other = fake.validator.compute_signature("https://evil.example.org/twilio/whatsapp", form)
        status, _ = await fake.post_signed("/twilio/whatsapp", form, signature=other)
        assert status == 403
        status, _ = await fake.post_signed(
            "/twilio/status", {"MessageSid": "SM1", "MessageStatus": "delivered"}, signature="x"
        )
        assert status == 403
        assert fake.sent == []
        async with bot.app.sessionmaker() as session:
            assert (await session.scalars(select(Conversation))).all() == []

        # the same message delivered twice is answered once
        status, body = await fake.post_signed("/twilio/whatsapp", form)
        assert status == 200 and "<Response" in body
        await fake.wait_for(ANNA, 1)
        status, _ = await fake.post_signed("/twilio/whatsapp", form)
        assert status == 200
        await say(fake, bot, "whatsapp", ANNA, "1")  # the next message still gets its answer
        assert len(fake.messages_to(ANNA)) == 2

        # malformed: no sender, or a sender that is no phone number
        status, _ = await fake.post_signed("/twilio/whatsapp", {"MessageSid": fake.new_sid()})
        assert status == 400
        broken = {**form, "MessageSid": fake.new_sid(), "From": "whatsapp:hello"}
        status, _ = await fake.post_signed("/twilio/whatsapp", broken)
        assert status == 400
        status, _ = await fake.post_signed("/twilio/status", {"MessageStatus": "delivered"})
        assert status == 400


async def test_stop_and_start(database_url: str) -> None:
    async with running(database_url) as (fake, bot):
        await onboard(fake, bot, "sms", ILZE)
        [stopped] = await say(fake, bot, "sms", ILZE, "STOP")
        assert stopped.body.startswith(
            lv(
                "You will no longer get the council's messages. Send START to get them again. "
                "You can still write to me at any time."
            )
        )
        # The way on: the menu, by its number.
        assert lv("Main menu") in stopped.body
        resident = await stored(bot, "sms", ILZE)
        assert resident is not None and resident.subscribed is False
        [again] = await say(fake, bot, "sms", ILZE, "start")
        assert again.body.startswith(lv("You will get the council's messages again."))
        resident = await stored(bot, "sms", ILZE)
        assert resident is not None and resident.subscribed is True
        [stopped] = await say(fake, bot, "sms", ILZE, "Beigt")
        resident = await stored(bot, "sms", ILZE)
        assert resident is not None and resident.subscribed is False


async def rows_by_chat(bot: TwilioBot, broadcast_id: int) -> dict[str, Delivery]:
    async with bot.app.sessionmaker() as session:
        result = await session.scalars(
            select(Delivery).where(Delivery.broadcast_id == broadcast_id)
        )
        return {row.chat_id: row for row in result}


async def test_a_broadcast_reaches_telegram_whatsapp_and_sms_residents(database_url: str) -> None:
    async with both_messengers(
        database_url,
        whatsapp_template_council="HX" + "1" * 32,
    ) as (_api, fake, telegram, bot):
        await telegram.onboard(TELEGRAM_USER)
        await onboard(fake, bot, "whatsapp", ANNA)  # wrote just now: inside the window
        await onboard(fake, bot, "whatsapp", PETERIS)  # wrote 2 days ago: outside it
        await onboard(fake, bot, "sms", ILZE)
        two_days_ago = utcnow() - timedelta(days=2)
        fake.last_inbound[PETERIS] -= 2 * 24 * 3600
        await last_wrote(bot, PETERIS, two_days_ago)
        broadcast_id = await schedule(bot, texts={"lv": "Sapulce piektdien plkst. 18:00."})
        async with broadcasting(bot):
            await until_status(telegram, broadcast_id, Status.DONE.value)
            # Twilio's status callbacks move the WhatsApp and SMS rows on to delivered
            await until_rows(
                bot,
                broadcast_id,
                {
                    str(TELEGRAM_USER): DeliveryStatus.DELIVERED.value,
                    ANNA: DeliveryStatus.DELIVERED.value,
                    PETERIS: DeliveryStatus.DELIVERED.value,
                    ILZE: DeliveryStatus.DELIVERED.value,
                },
            )
            rows = await rows_by_chat(bot, broadcast_id)

        heading = lv("Message from the residents' council")
        assert telegram.api.messages_to(TELEGRAM_USER)[-1]["text"] == (
            f"{heading}\n\nSapulce piektdien plkst. 18:00."
        )
        [anna] = [m for m in fake.messages_to(ANNA) if "Sapulce" in m.body]
        assert anna.body == f"{heading}\n\nSapulce piektdien plkst. 18:00."
        assert anna.content_sid is None
        [peteris] = [m for m in fake.messages_to(PETERIS) if m.content_sid]
        assert peteris.content_sid == bot.settings.whatsapp_template_council
        assert json.loads(peteris.content_variables or "{}") == {
            "1": heading,
            "2": "Sapulce piektdien plkst. 18:00.",
        }
        [ilze] = [m for m in fake.messages_to(ILZE) if "Sapulce" in m.body]
        assert ilze.body == f"{heading}\n\nSapulce piektdien plkst. 18:00."
        assert rows[ANNA].provider_message_id == anna.sid


async def test_whatsapp_outside_the_window_without_a_template_is_reported(
    database_url: str,
) -> None:
    async with running(database_url) as (fake, bot):
        await onboard(fake, bot, "whatsapp", ANNA)
        await onboard(fake, bot, "whatsapp", PETERIS)
        await onboard(fake, bot, "sms", ILZE)
        # Peteris last wrote two days ago; Twilio knows Anna's window closed though we
        # think it open: her free text fails with 63016 in the status callback.
        fake.last_inbound[PETERIS] -= 2 * 24 * 3600
        fake.last_inbound[ANNA] -= 2 * 24 * 3600
        fake.unsubscribed.add(ILZE)  # she sent STOP to Twilio itself: 21610
        await last_wrote(bot, PETERIS, utcnow() - timedelta(days=2))
        broadcast_id = await schedule(
            bot, texts={"lv": "Ceļš slēgts."}, report_to=("whatsapp", ANNA)
        )
        async with broadcasting(bot):
            await until_rows(
                bot,
                broadcast_id,
                {
                    ANNA: DeliveryStatus.NEEDS_TEMPLATE.value,
                    PETERIS: DeliveryStatus.NEEDS_TEMPLATE.value,
                    ILZE: DeliveryStatus.BLOCKED.value,
                },
            )
            await fake.wait_until(
                lambda: [m for m in fake.messages_to(ANNA) if broadcast_report_line(m.body)] or None
            )
            rows = await rows_by_chat(bot, broadcast_id)
        assert not [m for m in fake.messages_to(PETERIS) if "Ceļš" in m.body]
        assert rows[PETERIS].status == DeliveryStatus.NEEDS_TEMPLATE.value
        assert rows[ANNA].status == DeliveryStatus.NEEDS_TEMPLATE.value
        assert rows[ANNA].error == "twilio:63016"
        assert rows[ILZE].status == DeliveryStatus.BLOCKED.value
        async with bot.app.sessionmaker() as session:
            identity = await find_identity(session, "sms", ILZE)
            assert identity is not None and identity.active is False
        report = [m.body for m in fake.messages_to(ANNA) if broadcast_report_line(m.body)]
        assert report, "the sender got no final report"
        # The report counts what is known when the last row is settled: Anna's refusal
        # comes in a status callback, before or after that moment.
        needs_template = "Not sent: WhatsApp needs an approved template outside 24 hours: {n}"
        unconfirmed = "Sent, delivery not yet confirmed: {n}"
        before_callback = lv(needs_template, n="1") in report[-1] and (
            lv(unconfirmed, n="1") in report[-1]
        )
        after_callback = lv(needs_template, n="2") in report[-1] and (
            lv(unconfirmed, n="1") not in report[-1]
        )
        assert before_callback or after_callback, report[-1]


def broadcast_report_line(body: str) -> bool:
    return body.startswith(lv("Broadcast #{id} finished.", id=1))


async def test_attachments_go_as_media_on_whatsapp_and_as_a_link_by_sms(
    database_url: str,
) -> None:
    pdf = b"%PDF-1.4 Alsviku sapulces plakats"
    async with running(database_url) as (fake, bot):
        await onboard(fake, bot, "whatsapp", ANNA)
        await onboard(fake, bot, "sms", ILZE)
        broadcast_id = await schedule(
            bot,
            texts={"lv": "Plakāts pielikumā."},
            attachment_kind="document",
            attachment_name="plakats.pdf",
            attachment=pdf,
        )
        async with broadcasting(bot):
            await fake.wait_until(lambda: [m for m in fake.messages_to(ANNA) if m.media] or None)
            await fake.wait_until(
                lambda: [m for m in fake.messages_to(ILZE) if "plakats.pdf" in m.body] or None
            )
        [media] = [m for m in fake.messages_to(ANNA) if m.media]
        assert media.media == [pdf]  # Twilio fetched the very file from our web app
        assert media.media_types == ["application/pdf"]
        [link] = [m for m in fake.messages_to(ILZE) if "plakats.pdf" in m.body]
        assert "📎 plakats.pdf: https://padome.example.lv/media/" in link.body
        assert broadcast_id == 1


async def test_server_errors_and_rate_limits_are_retried(database_url: str) -> None:
    async with running(database_url) as (fake, bot):
        await onboard(fake, bot, "whatsapp", ANNA)
        await onboard(fake, bot, "sms", ILZE)
        fake.fail_next(ANNA, 500)
        fake.fail_next(ILZE, 429)
        broadcast_id = await schedule(bot, texts={"lv": "Rīt talka."})
        async with broadcasting(bot):
            for phone in (ANNA, ILZE):
                await fake.wait_until(
                    lambda phone=phone: (
                        [m for m in fake.messages_to(phone) if "talka" in m.body] or None
                    ),
                    timeout=10,
                )
        assert sorted(fake.refused) == [429, 500]
        for phone in (ANNA, ILZE):
            assert len([m for m in fake.messages_to(phone) if "talka" in m.body]) == 1
        rows = await rows_by_chat(bot, broadcast_id)
        assert rows[ANNA].attempts == 2  # the server error counted as a try
        assert rows[ILZE].attempts == 1  # a rate limit does not


async def test_a_broadcast_in_several_sms_goes_on_from_the_one_refused(database_url: str) -> None:
    async with running(database_url, sms_max_segments=1) as (fake, bot):
        await onboard(fake, bot, "sms", ILZE)
        text = " ".join(f"Sapulce {n}." for n in range(1, 40))
        fake.fail_next(ILZE, 500, after=1)
        broadcast_id = await schedule(bot, texts={"lv": text})
        async with broadcasting(bot):
            await until_rows(bot, broadcast_id, {ILZE: DeliveryStatus.DELIVERED.value})
        assert fake.refused == [500]
        parts = [m.body for m in fake.messages_to(ILZE) if "Sapulce" in m.body]
        heading = lv("Message from the residents' council")
        assert len(parts) > 2
        # every word once, in order: the messages sent before the refused one not again
        assert " ".join(parts).split() == f"{heading}\n\n{text}".split()


async def test_a_reply_twilio_did_not_take_is_tried_again_and_comes_once(
    database_url: str,
) -> None:
    async with running(database_url) as (fake, bot):
        fake.fail_next(ANNA, 500)
        [language] = await say(fake, bot, "whatsapp", ANNA, "Sveiki")
        assert language.body.endswith("1) Latviešu\n2) Русский\n3) English")
        fake.fail_next(ILZE, 429, retry_after="0")
        [language] = await say(fake, bot, "sms", ILZE, "Sveiki")
        assert language.body.endswith("1) Latviešu\n2) Русский\n3) English")
        assert fake.refused == [500, 429]
        assert [len(fake.messages_to(phone)) for phone in (ANNA, ILZE)] == [1, 1]


async def test_a_reply_waits_as_long_as_twilio_asks_while_others_are_answered(
    database_url: str,
) -> None:
    async with running(database_url) as (fake, bot):
        fake.fail_next(ANNA, 429, retry_after="1")
        assert await fake.user_says("whatsapp", ANNA, "Sveiki") == 200
        await fake.wait_until(lambda: fake.refusals or None)
        # Peteris writes meanwhile and is answered while Anna's reply waits
        assert await fake.user_says("whatsapp", PETERIS, "Sveiki") == 200
        await fake.wait_for(PETERIS, 1)
        assert fake.messages_to(ANNA) == []
        await bot.channel.settle()
        [anna] = fake.messages_to(ANNA)
        [(_, _, refused_at)] = fake.refusals
        assert anna.sent_at - refused_at >= 1.0
        assert anna.body == fake.messages_to(PETERIS)[0].body


async def test_a_reply_in_several_messages_goes_on_from_the_one_refused(
    database_url: str,
) -> None:
    async with running(database_url, sms_max_segments=1) as (fake, bot):
        for phone in (PETERIS, ILZE):
            await say(fake, bot, "sms", phone, "Labdien")
            await say(fake, bot, "sms", phone, "1")
        fake.fail_next(ILZE, 500, times=2, after=1)
        units = await say(fake, bot, "sms", ILZE, "1")
        assert fake.refused == [500, 500]
        # the list of units in one-segment messages, each once and in order, as to Peteris
        expected = await say(fake, bot, "sms", PETERIS, "1")
        assert len(expected) > 2
        assert [m.body for m in units] == [m.body for m in expected]


async def test_a_reply_refused_for_good_is_not_tried_again(database_url: str) -> None:
    async with running(database_url) as (fake, bot):
        fake.fail_next(ANNA, 400)
        assert await say(fake, bot, "whatsapp", ANNA, "Sveiki") == []
        assert fake.refused == [400]
        # a server error four times running: the reply is given up after four tries
        fake.fail_next(ANNA, 500, times=4)
        assert await say(fake, bot, "whatsapp", ANNA, "Sveiki") == []
        assert fake.refused == [400, 500, 500, 500, 500]
        [language] = await say(fake, bot, "whatsapp", ANNA, "Sveiki")
        assert language.body.endswith("1) Latviešu\n2) Русский\n3) English")


async def test_a_long_whatsapp_message_with_emoji_comes_in_pieces_twilio_takes(
    database_url: str,
) -> None:
    async with running(database_url) as (fake, bot):
        await onboard(fake, bot, "whatsapp", ANNA)
        text = " ".join(["Talka 😀"] * 190)
        heading = lv("Message from the residents' council")
        body = f"{heading}\n\n{text}"
        assert len(body) <= 1600 < utf16_length(body)  # fits by code points, not by Twilio's
        broadcast_id = await schedule(bot, texts={"lv": text})
        async with broadcasting(bot):
            await until_rows(bot, broadcast_id, {ANNA: DeliveryStatus.DELIVERED.value})
        pieces = [m.body for m in fake.messages_to(ANNA) if "Talka" in m.body]
        assert len(pieces) == 2
        assert all(utf16_length(piece) <= 1600 for piece in pieces)
        assert " ".join(pieces) == body  # cut between words


async def test_telegram_and_whatsapp_are_one_resident_after_sharing_the_phone(
    database_url: str,
) -> None:
    async with both_messengers(database_url) as (api, fake, telegram, bot):
        menu = await telegram.onboard(TELEGRAM_USER, unit="annas")
        assert "phone" in payloads(menu)
        [ask] = await telegram.press(TELEGRAM_USER, "phone")
        keyboard = ask["keyboard"]
        assert keyboard[0][0]["request_contact"] is True
        # someone else's contact is not theirs to link
        [refused] = await telegram.send(
            TELEGRAM_USER, None, contact={"phone_number": ANNA, "first_name": "X", "user_id": 1}
        )
        assert refused["text"].startswith(
            lv("That is not a phone number I can use. Please share your own.")
        )
        await telegram.press(TELEGRAM_USER, "phone")
        [choose] = await telegram.send(TELEGRAM_USER, None, contact="+371 26 000 001")
        assert payloads(choose) == ["prefer:telegram", "prefer:whatsapp", "prefer:sms", "menu"]
        # writing from that number on WhatsApp is the same resident: no second onboarding
        [welcome] = await say(fake, bot, "whatsapp", ANNA, "Sveiki")
        assert welcome.body.startswith(lv(WELCOME))
        telegram_resident = await stored(bot, "telegram", str(TELEGRAM_USER))
        whatsapp_resident = await stored(bot, "whatsapp", ANNA)
        assert telegram_resident is not None and whatsapp_resident is not None
        assert telegram_resident.id == whatsapp_resident.id
        assert whatsapp_resident.unit is not None and whatsapp_resident.unit.slug == "annas"
        # a crafted choice of a messenger that is not theirs is refused
        [refused] = await telegram.press(TELEGRAM_USER, "prefer:console")
        assert refused["text"] == lv("Sorry, you are not allowed to do that.")
        for forged in ("prefer:../sms", "prefer:sms:extra"):
            [refused] = await telegram.press(TELEGRAM_USER, forged)
            assert refused["text"] == lv("Sorry, you are not allowed to do that.")
        # typed with the command, in any case; a word no button carries is refused
        [typed] = await telegram.send(TELEGRAM_USER, "/channel SMS")
        assert typed["text"].startswith(
            lv("The council's messages will come on {channel}.", channel="SMS")
        )
        [refused] = await telegram.send(TELEGRAM_USER, "/channel what/sapp")
        assert refused["text"] == lv("Sorry, you are not allowed to do that.")
        [done] = await telegram.press(TELEGRAM_USER, "prefer:whatsapp")
        assert done["text"].startswith(
            lv("The council's messages will come on {channel}.", channel="WhatsApp")
        )

        broadcast_id = await schedule(bot, texts={"lv": "Tikai vienreiz."})
        async with broadcasting(bot):
            await until_status(telegram, broadcast_id, Status.DONE.value)
        assert [m for m in fake.messages_to(ANNA) if "Tikai vienreiz." in m.body]
        assert not any(
            "Tikai vienreiz." in (m.get("text") or "") for m in api.messages_to(TELEGRAM_USER)
        )


async def test_a_whatsapp_resident_registered_first_is_merged_when_telegram_shares_the_number(
    database_url: str,
) -> None:
    async with both_messengers(database_url) as (_api, fake, telegram, bot):
        await onboard(fake, bot, "whatsapp", PETERIS)
        await telegram.onboard(TELEGRAM_USER)
        await telegram.press(TELEGRAM_USER, "phone")
        await telegram.send(TELEGRAM_USER, None, contact=PETERIS)
        telegram_resident = await stored(bot, "telegram", str(TELEGRAM_USER))
        whatsapp_resident = await stored(bot, "whatsapp", PETERIS)
        assert telegram_resident is not None and whatsapp_resident is not None
        assert telegram_resident.id == whatsapp_resident.id
        async with bot.app.sessionmaker() as session:
            erased = await session.scalar(select(Resident).where(Resident.erased_at.is_not(None)))
            assert erased is not None  # the duplicate stays only as an anonymous count
            assert erased.phone is None
            assert (
                await session.scalars(select(Identity).where(Identity.resident_id == erased.id))
            ).all() == []


CHAIR = 900  # the council chair composing the message, on Telegram


@asynccontextmanager
async def sms_priced(
    database_url: str,
) -> AsyncIterator[tuple[FakeTwilio, RunningBot, TwilioBot]]:
    """Both messengers, SMS at 0.05 EUR a segment, the chair registered on Telegram."""
    async with both_messengers(database_url, admins=f"tg:{CHAIR}", sms_price_per_segment=0.05) as (
        _api,
        fake,
        telegram,
        bot,
    ):
        await telegram.onboard(CHAIR)
        yield fake, telegram, bot


async def test_the_sender_sees_sms_segments_and_cost_before_confirming(database_url: str) -> None:
    async with sms_priced(database_url) as (fake, telegram, bot):
        await onboard(fake, bot, "sms", ILZE)
        await onboard(fake, bot, "sms", PETERIS)
        await telegram.send(CHAIR, "/announce")
        text = "Ūdens nebūs rīt no 9 līdz 12. " * 3
        await telegram.send(CHAIR, text.strip())
        summary = await preview_to_all(telegram, CHAIR, replies=3)
        heading = lv("Message from the residents' council")
        segments = sms_segments(f"{heading}\n\n{text.strip()}").count
        assert segments == 2  # Latvian letters: 67 characters a segment
        assert cost_line(2, segments=2, cost=0.20) in summary
        assert "Ar SMS 2 iedzīvotājiem" in summary


async def preview_to_all(telegram: RunningBot, chair: int, *, replies: int) -> str:
    """Send the message being composed to all, not urgent, now: the preview's last line."""
    await telegram.press(chair, "bcaud")
    await telegram.press(chair, "bcto:all")
    await telegram.press(chair, "bcurg:n")
    *_, summary = await telegram.press(chair, "bcat:now", replies=replies)
    return str(summary["text"])


def cost_line(recipients: int, *, segments: int, cost: float) -> str:
    t = Translator("lv", timezone=ZoneInfo("Europe/Riga"))
    return t.ngettext(
        "By SMS to {n} resident, SMS segments each: {segments}, about {cost} {currency}.",
        "By SMS to {n} residents, SMS segments each: {segments}, about {cost} {currency}.",
        recipients,
        segments=str(segments),
        cost=t.amount(cost),
        currency="EUR",
    )


async def test_the_sms_cost_counts_a_files_line_with_its_link(database_url: str) -> None:
    """The preview's segments are those of the messages a resident then gets by SMS."""
    async with sms_priced(database_url) as (fake, telegram, bot):
        await onboard(fake, bot, "sms", ILZE)
        await telegram.send(CHAIR, "/announce")
        await telegram.send_photo(CHAIR, PHOTO, caption="Talka sestdien pie skolas.")
        summary = await preview_to_all(telegram, CHAIR, replies=4)
        await telegram.press(CHAIR, "bcsend")
        before = len(fake.messages_to(ILZE))
        async with broadcasting(bot):
            await fake.wait_until(
                lambda: [m for m in fake.messages_to(ILZE) if "/media/" in m.body] or None
            )
        sent = [message.body for message in fake.messages_to(ILZE)[before:]]
        assert sent[-1].startswith("📎 photo.jpg: https://padome.example.lv/media/")
        segments = sum(sms_segments(body).count for body in sent)
        assert segments == 3  # the text one, the file's line with its link two
        assert cost_line(1, segments=3, cost=0.15) in summary


async def test_the_sms_cost_counts_the_heading_in_each_residents_language(
    database_url: str,
) -> None:
    """A resident reading English gets the Latvian text under an English heading."""
    async with sms_priced(database_url) as (fake, telegram, bot):
        for answer in ("Hello", "3", "1", "alsviku"):  # English
            await say(fake, bot, "sms", ILZE, answer)
        await telegram.send(CHAIR, "/announce")
        await telegram.send(CHAIR, "Rīt ūdens nebūs no plkst. 9 līdz 12.00!")
        summary = await preview_to_all(telegram, CHAIR, replies=3)
        await telegram.press(CHAIR, "bcsend")
        async with broadcasting(bot):
            [sent] = await fake.wait_until(
                lambda: [m for m in fake.messages_to(ILZE) if "12.00" in m.body] or None
            )
        assert sent.body.startswith("Message from the residents' council\n\n")
        assert sms_segments(sent.body).count == 2  # under the Latvian heading it would be 1
        assert cost_line(1, segments=2, cost=0.10) in summary


async def test_padome_run_serves_twilio_webhooks_without_telegram(
    database_url: str, tmp_path: Path
) -> None:
    """The real `padome run` process with only Twilio configured answers signed webhooks."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with fake_twilio() as fake:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "TWILIO_", "DATABASE_", "PUBLIC_", "WEB_"))
        }
        environment.update(
            DATABASE_URL=database_url,
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            TWILIO_API_BASE_URL=fake.base_url or "",
            TWILIO_WHATSAPP_FROM="whatsapp:+37120000000",
            PUBLIC_BASE_URL=PUBLIC_BASE_URL,
            WEB_PORT=str(port),
            LOG_LEVEL="WARNING",
        )
        process = await asyncio.create_subprocess_exec(
            PADOME,
            "run",
            cwd=tmp_path,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            fake.bot_base_url = f"http://127.0.0.1:{port}"
            deadline = asyncio.get_running_loop().time() + 20
            while True:
                try:
                    status = await fake.user_says("whatsapp", ANNA, "Sveiki")
                    break
                except OSError:
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(0.1)
            assert status == 200
            [language] = await fake.wait_for(ANNA, 1, timeout=10)
            assert language.body.endswith("1) Latviešu\n2) Русский\n3) English")
            # SMS is not configured: its webhook is refused
            form = {"MessageSid": fake.new_sid(), "From": ANNA, "Body": "Sveiki"}
            status, _ = await fake.post_signed("/twilio/sms", form)
            assert status == 400
        finally:
            process.terminate()
            await process.wait()
        assert process.returncode == 0, (await process.stderr.read()).decode()[-2000:]


async def test_a_nomination_is_supported_over_whatsapp_and_over_sms(database_url: str) -> None:
    async with running(database_url) as (fake, bot):
        await onboard(fake, bot, "whatsapp", ANNA)
        now = utcnow()
        async with bot.app.sessionmaker() as session, session.begin():
            round_ = await create_round(
                session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=7), now=now
            )
            candidate = await stored_in(session, "whatsapp", ANNA)
            nomination = await nominate(
                session,
                round_=round_,
                unit_id=candidate.unit_id or 0,
                nominated_by=candidate,
                candidate=candidate,
                name="Anna Kalniņa",
                phone=None,
                reason="Par sakoptu Alsviķu ciematu.",
                now=now,
            )
            code = nomination.support_code
        await run_rounds(JobContext(bot.app.sessionmaker, bot.settings, utcnow()))
        # A newcomer on SMS types the word and the code: onboarding first, then the candidate
        for channel, phone, name in (
            ("whatsapp", PETERIS, "Pēteris Ozols"),
            ("sms", ILZE, "Ilze Liepa"),
        ):
            await say(fake, bot, channel, phone, f"atbalsts {code.lower()}")
            await say(fake, bot, channel, phone, "1")  # Latviešu
            await say(fake, bot, channel, phone, "1")  # I agree
            page = text_of(await say(fake, bot, channel, phone, "alsviku"))
            assert "Anna Kalniņa" in page
            declaration = text_of(await say(fake, bot, channel, phone, name))
            assert declaration.endswith(f"1) {lv('Yes, I confirm')}\n2) {lv('No')}")
            done = text_of(await say(fake, bot, channel, phone, "1"))
            assert "Anna Kalniņa" in done
        async with bot.app.sessionmaker() as session:
            supporters = await supporters_of(session, nomination.id)
        assert sorted(support.name for support in supporters) == [
            "Ilze Liepa",
            "Pēteris Ozols",
        ]


def text_of(messages: list[SentMessage]) -> str:
    """What the person read: an SMS too long for one message comes cut between words."""
    return " ".join(message.body for message in messages)


async def stored_in(session: Any, channel: str, phone: str) -> Resident:
    identity = await find_identity(session, channel, phone)
    assert identity is not None
    return identity.resident


async def test_a_survey_is_answered_over_whatsapp_and_over_sms(database_url: str) -> None:
    """Invitation, one question at a time with numbered options, free text typed, sent."""
    from tests.test_surveys import survey_yaml

    async with running(database_url) as (fake, bot):
        await onboard(fake, bot, "whatsapp", ANNA)
        await onboard(fake, bot, "sms", ILZE)
        spec = parse_survey_file(
            survey_yaml(anonymous=False), name="survey.yaml", timezone=bot.settings.tz
        )
        async with bot.app.sessionmaker() as session, session.begin():
            audience = await resolve_audience(session, spec, name="survey.yaml")
            survey = await create_survey(session, spec=spec, audience=audience, now=utcnow())
            survey_id = survey.id
        async with broadcasting(bot):
            for phone in (ANNA, ILZE):
                await fake.wait_until(
                    lambda phone=phone: (
                        [m for m in fake.messages_to(phone) if lv("Answer the survey") in m.body]
                        or None
                    )
                )
            await asyncio.sleep(0.3)  # the invitation's row is recorded with its option
            for channel, phone, road_name in (
                ("whatsapp", ANNA, "Dzirnavu iela"),
                ("sms", ILZE, "1"),
            ):
                # typing the invitation's number opens the survey
                first = text_of(await say(fake, bot, channel, phone, "1"))
                assert lv("Question {n} of {total}", n=1, total=5) in first
                assert "1) Labi" in first and "2) Slikti" in first
                # "Slikti" shows the conditional free-text question; its options are not
                # numbered, and a typed "1" is the answer, not the first option
                road = text_of(await say(fake, bot, channel, phone, "slikti"))
                assert lv("Question {n} of {total}", n=2, total=5) in road
                assert f"- {lv('« Back')}" in road and "1)" not in road
                await say(fake, bot, channel, phone, road_name)
                await say(fake, bot, channel, phone, "Bedres")
                matters = text_of(await say(fake, bot, channel, phone, "Ietves"))
                done = next(
                    line.split(")")[0] for line in matters.split("\n") if line.endswith(lv("Done"))
                )
                scale = text_of(await say(fake, bot, channel, phone, done))
                assert lv("Question {n} of {total}", n=4, total=5) in scale
                await say(fake, bot, channel, phone, "4")
                review = text_of(await say(fake, bot, channel, phone, "1"))  # Jā
                assert lv("Send my answers") in review
                sent = text_of(await say(fake, bot, channel, phone, lv("Send my answers")))
                assert sent.startswith(lv("Thank you! Your answers are sent."))
        async with bot.app.sessionmaker() as session:
            stored_survey = await get_survey(session, survey_id)
            assert stored_survey is not None
            results = await compute_results(session, stored_survey)
        assert results.responses == 2
        typed = sorted(text for item in results.questions for _, _, text in item.texts)
        assert "1" in typed and "Dzirnavu iela" in typed


PHOTO = b"\xff\xd8\xff\xe0 a pothole by the school \xff\xd9"


async def test_an_ideas_photo_shows_on_the_other_messenger(database_url: str) -> None:
    """A photo sent on WhatsApp reaches a representative on Telegram, and one sent on
    Telegram reaches a representative on WhatsApp: the idea keeps the photo itself."""
    from handlers.ideas.submit import AreaChosen, Draft, DraftStep, KeepText, ShowName
    from models.roles import Role, grant_role
    from models.territory import unit_by_slug
    from tests.test_ideas import ideas

    async with both_messengers(database_url) as (_api, fake, telegram, bot):
        await telegram.onboard(TELEGRAM_USER)
        await onboard(fake, bot, "whatsapp", ANNA)
        await onboard(fake, bot, "whatsapp", PETERIS)
        async with bot.app.sessionmaker() as session, session.begin():
            alsviku = await unit_by_slug(session, "alsviku")
            for channel, account in (("telegram", str(TELEGRAM_USER)), ("whatsapp", PETERIS)):
                identity = await find_identity(session, channel, account)
                assert identity is not None
                await grant_role(
                    session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=alsviku
                )

        # Anna writes on WhatsApp, with the photo sent together with the text.
        areas = text_of(await say(fake, bot, "whatsapp", ANNA, "/idea"))
        [roads] = [line.split(")")[0] for line in areas.split("\n") if "Ceļi" in line]
        await say(fake, bot, "whatsapp", ANNA, roads)
        before = len(fake.messages_to(ANNA))
        status = await fake.user_says(
            "whatsapp", ANNA, "Bedre pie skolas", media=(PHOTO, "image/jpeg")
        )
        assert status == 200
        await bot.channel.settle()
        where = text_of(fake.messages_to(ANNA)[before:])
        assert lv("Thank you for the photo. Now please write the text.") not in where
        # the place: a location shared from WhatsApp
        assert await fake.user_says("whatsapp", ANNA, "", location=(57.42361, 27.04583)) == 200
        await bot.channel.settle()
        await say(fake, bot, "whatsapp", ANNA, "2")  # the representative sees no name
        await say(fake, bot, "whatsapp", ANNA, "1")  # the text may stay
        sent = text_of(await say(fake, bot, "whatsapp", ANNA, lv("Send")))
        assert "numuru 1." in sent

        # The representative on Telegram opens it and gets the photo itself.
        text, photo = await telegram.press(TELEGRAM_USER, "ideaitem:1", replies=2)
        assert "Bedre pie skolas" in text["text"]
        assert "57.42361, 27.04583 https://www.openstreetmap.org/?mlat=57.42361" in text["text"]
        assert photo["method"] == "sendPhoto" and photo["photo"]["content"] == PHOTO

        # The other way: a photo sent on Telegram, read by a representative on WhatsApp.
        await telegram.send(TELEGRAM_USER, "/idea")
        [item_1] = await ideas(telegram)
        await telegram.press(TELEGRAM_USER, AreaChosen(item_1.area_id).pack())
        other_photo = PHOTO.replace(b"school", b"church")
        await telegram.send_photo(TELEGRAM_USER, other_photo, caption="Bedre pie baznīcas")
        await telegram.press(TELEGRAM_USER, DraftStep(Draft.NO_PLACE).pack())
        await telegram.press(TELEGRAM_USER, ShowName(False).pack())
        await telegram.press(TELEGRAM_USER, KeepText(True).pack())
        await telegram.press(TELEGRAM_USER, DraftStep(Draft.SEND).pack())

        listing = text_of(await say(fake, bot, "whatsapp", PETERIS, "/inbox"))
        [second] = [
            line.split(")")[0]
            for line in listing.split("\n")
            if ") #2 " in line and line.split(")")[0].isdigit()
        ]
        media_before = sum(len(m.media) for m in fake.messages_to(PETERIS))
        opened = await say(fake, bot, "whatsapp", PETERIS, second)
        assert "Bedre pie baznīcas" in text_of(opened)
        assert lv("A photo was sent on another messenger.") not in text_of(opened)
        fetched = [media for message in fake.messages_to(PETERIS) for media in message.media]
        assert fetched[media_before:] == [other_photo]
        [shown] = [m for m in fake.messages_to(PETERIS) if m.media]
        assert shown.media_types == ["image/jpeg"]

        async with telegram.app.sessionmaker() as session:
            stored = [
                (idea.photo_mime, idea.photo_channel)
                for idea in await session.scalars(select(Idea).order_by(Idea.id))
            ]
        assert stored == [("image/jpeg", "whatsapp"), ("image/jpeg", "telegram")]


async def test_a_photo_composed_on_telegram_reaches_whatsapp_as_media_and_sms_as_a_link(
    database_url: str,
) -> None:
    async with both_messengers(
        database_url,
        admins=f"tg:{TELEGRAM_USER}",
    ) as (_api, fake, telegram, bot):
        await telegram.onboard(TELEGRAM_USER, language="en")
        await onboard(fake, bot, "whatsapp", ANNA)
        await onboard(fake, bot, "sms", ILZE)

        await telegram.send(TELEGRAM_USER, "/announce")
        await telegram.send_photo(TELEGRAM_USER, PHOTO, caption="Talka sestdien pie skolas.")
        await telegram.press(TELEGRAM_USER, "bcaud")
        await telegram.press(TELEGRAM_USER, "bcto:all")
        await telegram.press(TELEGRAM_USER, "bcurg:n")
        # the preview, as residents see it, carries the photo
        preview = await telegram.press(TELEGRAM_USER, "bcat:now", replies=4)
        assert [m["method"] for m in preview].count("sendPhoto") == 1
        [done] = await telegram.press(TELEGRAM_USER, "bcsend")
        assert "Message #1 is on its way" in done["text"]
        async with broadcasting(bot):
            await fake.wait_until(lambda: [m for m in fake.messages_to(ANNA) if m.media] or None)
            await fake.wait_until(
                lambda: [m for m in fake.messages_to(ILZE) if "/media/" in m.body] or None
            )

        [photo] = [m for m in fake.messages_to(ANNA) if m.media]
        assert (photo.media, photo.media_types) == ([PHOTO], ["image/jpeg"])
        [link] = [m for m in fake.messages_to(ILZE) if "/media/" in m.body]
        assert "photo.jpg: https://padome.example.lv/media/" in link.body
        [text] = [m for m in fake.messages_to(ANNA) if "Talka" in m.body]
        assert text.body.endswith("Talka sestdien pie skolas.")
