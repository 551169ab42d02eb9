"""Quiet hours: one rule, and every screen says truthfully when things go."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from bot.i18n import Translator
from broadcasts.quiet_hours import goes_at, quiet_hours_end, when_it_goes
from handlers.nominations.buttons import EndRound
from handlers.surveys.payloads import PollAudience, PollBack, PollDays, PollScreen, PollStart
from models.base import utcnow
from models.broadcasts import Broadcast, Status
from models.nominations import create_round
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram import RunningBot, fake_telegram_api, telegram_settings
from tests.test_broadcasts import CHAIR, _quiet_now, has_text, running, schedule, texts_to

RIGA = ZoneInfo("Europe/Riga")
RESIDENT = 7101
LV = Translator("lv", timezone=RIGA)


def riga(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=RIGA)


# quiet hours, now, due, urgent -> when it goes, what the sender reads
CASES = [
    ("21:00-08:00", "2026-12-02 20:00", "2026-12-02 20:00", False, "2026-12-02 20:00", "now"),
    ("21:00-08:00", "2026-12-02 20:00", "2026-12-02 22:00", False, "2026-12-03 08:00", "quiet"),
    ("21:00-08:00", "2026-12-02 20:00", "2026-12-02 22:00", True, "2026-12-02 22:00", "at"),
    ("21:00-08:00", "2026-12-02 05:03", "2026-12-02 05:03", False, "2026-12-02 08:00", "quiet"),
    ("21:00-08:00", "2026-12-02 05:03", "2026-12-02 05:03", True, "2026-12-02 05:03", "now"),
    ("21:00-08:00", "2026-12-02 07:00", "2026-12-02 08:00", False, "2026-12-02 08:00", "at"),
    ("21:00-08:00", "2026-12-02 07:00", "2026-12-02 12:30", False, "2026-12-02 12:30", "at"),
    ("13:00-15:00", "2026-12-02 14:00", "2026-12-02 14:00", False, "2026-12-02 15:00", "quiet"),
    ("13:00-15:00", "2026-12-02 14:00", "2026-12-02 21:00", False, "2026-12-02 21:00", "at"),
    ("off", "2026-12-02 23:00", "2026-12-02 23:00", False, "2026-12-02 23:00", "now"),
]


@pytest.mark.parametrize(("quiet", "now", "due", "urgent", "goes", "says"), CASES)
def test_when_a_message_goes_and_what_the_sender_reads(
    quiet: str, now: str, due: str, urgent: bool, goes: str, says: str
) -> None:
    settings = make_settings("sqlite+aiosqlite:///unused.db", quiet_hours=quiet)
    moment = goes_at(settings, due_at=riga(due), urgent=urgent, now=riga(now))
    assert moment == riga(goes)
    text = when_it_goes(LV, settings, due_at=riga(due), urgent=urgent, now=riga(now))
    time = LV.datetime(riga(goes))
    expected = {
        "now": LV._("It goes now."),
        "quiet": LV._("It goes on {time}, when the quiet hours are over.", time=time),
        "at": LV._("It goes on {time}.", time=time),
    }[says]
    assert text == expected


def lv(message: str, **values: Any) -> str:
    return LV._(message, **values)


async def nothing_comes(api: FakeTelegramAPI, chat_id: int, part: str) -> None:
    """The scheduler ticks every 0.1 s: a held message would have gone by now."""
    await asyncio.sleep(1.0)
    assert not any(part in text for text in texts_to(api, chat_id))


async def compose_now(bot: RunningBot, text: str) -> tuple[str, str]:
    """The chair writes a message to everyone, to go now: the summary and the answer to Send."""
    await bot.send(CHAIR, "/announce")
    await bot.send(CHAIR, text)
    await bot.press(CHAIR, "bcaud")
    await bot.press(CHAIR, "bcto:all")
    await bot.press(CHAIR, "bcurg:n")
    *_, summary = await bot.press(CHAIR, "bcat:now", replies=3)
    [done] = await bot.press(CHAIR, "bcsend")
    return summary["text"], done["text"]


async def start_poll(bot: RunningBot) -> str:
    await bot.send(CHAIR, "/poll")
    await bot.send(CHAIR, "Vai vajag jaunu soliņu?")
    await bot.send(CHAIR, "Jā; Nē")
    await bot.press(CHAIR, PollBack(PollScreen.AUDIENCE).pack())  # Continue, in Latvian only
    await bot.press(CHAIR, PollAudience().pack())
    await bot.press(CHAIR, PollDays(1).pack())
    [started] = await bot.press(CHAIR, PollStart().pack())
    return started["text"]


async def end_a_round(bot: RunningBot) -> str:
    """A coordinator ends an open round: the candidates are told their counts."""
    now = utcnow()
    async with bot.app.sessionmaker() as session, session.begin():
        item = await create_round(
            session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=1), now=now
        )
        round_id = item.id
    await bot.send(CHAIR, "/menu")
    [ended] = await bot.press(CHAIR, EndRound(round_id, sure=True).pack())
    return ended["text"]


async def test_in_quiet_hours_the_sender_reads_when_it_really_goes(database_url: str) -> None:
    async with fake_telegram_api() as api:
        quiet = _quiet_now(telegram_settings(database_url, api.base_url or ""))
        async with running(database_url, api, quiet_hours=quiet) as bot:
            await bot.onboard(CHAIR, language="lv")
            await bot.onboard(RESIDENT, language="lv")
            morning = LV.datetime(quiet_hours_end(bot.settings, utcnow()))

            summary, done = await compose_now(bot, "Ūdens nebūs rīt.")
            assert lv("It goes on {time}, when the quiet hours are over.", time=morning) in summary
            assert lv("It goes now.") not in summary
            assert done.startswith(
                lv(
                    "Message #{id} will go on {time}. /broadcasts shows it and can cancel it.",
                    id=1,
                    time=morning,
                )
            )
            [listed] = await bot.send(CHAIR, "/broadcasts")
            assert f"Nr. 1 {lv('scheduled')}, {morning}:" in listed["text"]

            started = await start_poll(bot)
            assert started.startswith(
                lv(
                    "Poll #{id} is open; the residents get the invitation on {time}, when the "
                    "quiet hours are over. /surveys shows its results.",
                    id=1,
                    time=morning,
                )
            )

            # A message that began before the quiet hours waits for their end, and says so.
            begun = await schedule(bot, texts={"lv": "Sākta ziņa"})
            async with bot.app.sessionmaker() as session, session.begin():
                await session.execute(
                    update(Broadcast)
                    .where(Broadcast.id == begun)
                    .values(status=Status.SENDING.value, started_at=utcnow())
                )
            [listed] = await bot.send(CHAIR, "/broadcasts")
            waiting = f"Nr. {begun} {lv('waiting for the quiet hours to end')}, {morning}:"
            assert waiting in listed["text"]

            ended = await end_a_round(bot)
            assert ended.startswith(
                lv(
                    "Round #{id} has ended. The candidates are told their counts on {time}, "
                    "when the quiet hours are over.",
                    id=1,
                    time=morning,
                )
            )

            await nothing_comes(api, RESIDENT, "Ūdens nebūs rīt.")
            await nothing_comes(api, RESIDENT, "Vai vajag jaunu soliņu?")


async def test_outside_quiet_hours_it_goes_now_as_the_sender_reads(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="lv")
        await bot.onboard(RESIDENT, language="lv")

        summary, done = await compose_now(bot, "Ūdens nebūs rīt.")
        assert lv("It goes now.") in summary
        assert done.startswith(
            lv("Message #{id} is on its way. You will see the progress here.", id=1)
        )
        await api.wait_for(chat_id=RESIDENT, predicate=has_text("Ūdens nebūs rīt."))
        # The sender's final report comes as a new message: it must not be taken for a reply
        # to the poll's buttons below.
        await api.wait_for(chat_id=CHAIR, predicate=has_text(lv("Broadcast #{id} finished.", id=1)))

        started = await start_poll(bot)
        assert started.startswith(
            lv(
                "Poll #{id} is open; the residents are being invited. /surveys shows its results.",
                id=1,
            )
        )
        await api.wait_for(
            chat_id=RESIDENT,
            predicate=lambda sent: any(
                "Vai vajag jaunu soliņu?" in (m["text"] or "") for m in sent
            ),
        )
