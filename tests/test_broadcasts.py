"""Broadcasts end to end: composed in Telegram chat or by the CLI, sent through the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, text, update

from bot.i18n import Translator
from bot.settings import Settings
from broadcasts.compose import Audience, create_broadcast
from broadcasts.dispatcher import Dispatcher
from broadcasts.helper_copies import copy_for_helpers
from broadcasts.notices import send_notice
from broadcasts.service import BroadcastService, Job, JobContext
from models.audit import audit_entries
from models.base import utcnow
from models.broadcasts import (
    Broadcast,
    Delivery,
    DeliveryStatus,
    Kind,
    Status,
    cancel_broadcast,
    create_deliveries,
)
from models.helpers import HelperLink, LinkStatus
from models.residents import Identity, Resident, register_resident
from models.roles import Role, grant_role, load_roles, revoke_role
from models.territory import unit_by_slug
from padome.app import App
from tests.conftest import ON_POSTGRES
from tests.fakes.telegram_api import FailureKind, FakeTelegramAPI, FloodLimits, labels, payloads
from tests.telegram import (
    BOT_TOKEN,
    RunningBot,
    fake_telegram_api,
    polling_bot,
    telegram_settings,
)
from tests.test_console import PADOME

CHAIR = 900
REPRESENTATIVE = 901
RESIDENTS = [1001, 1002, 1003]


@asynccontextmanager
async def broadcasting(bot: RunningBot) -> AsyncIterator[BroadcastService]:
    service = bot.app.broadcasting(tick_seconds=0.1)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


@asynccontextmanager
async def running(
    database_url: str, api: FakeTelegramAPI, **overrides: Any
) -> AsyncIterator[RunningBot]:
    values: dict[str, Any] = {
        "admins": f"tg:{CHAIR}",
        "quiet_hours": "off",
        "broadcast_retry_seconds": 0.05,
    }
    values.update(overrides)
    settings = telegram_settings(database_url, api.base_url or "", **values)
    async with polling_bot(api, settings) as bot, broadcasting(bot):
        yield bot


async def seed(bot: RunningBot, chat_ids: list[int], unit: str = "alsviku", language: str = "lv"):
    """Registered residents of a unit, as if they had gone through onboarding."""
    async with bot.app.sessionmaker() as session, session.begin():
        place = await unit_by_slug(session, unit)
        assert place is not None
        for chat_id in chat_ids:
            resident = await register_resident(
                session,
                channel="telegram",
                external_id=str(chat_id),
                language=language,
                display_name=None,
            )
            resident.unit_id = place.id


async def schedule(bot: RunningBot, **options: Any) -> int:
    """A council message from the command line (no sender in chat)."""
    now = utcnow()
    values: dict[str, Any] = {
        "roles": None,
        "created_by_id": None,
        "audience": Audience(),
        "texts": {"lv": "Sapulce piektdien."},
        "due_at": now,
        "now": now,
    }
    values.update(options)
    async with bot.app.sessionmaker() as session, session.begin():
        broadcast = await create_broadcast(session, **values)
        return broadcast.id


async def until_status(bot: RunningBot, broadcast_id: int, *statuses: str, seconds: float = 20):
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        async with bot.app.sessionmaker() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            assert broadcast is not None
            if broadcast.status in statuses:
                return broadcast
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"broadcast {broadcast_id} is still {broadcast.status}")
        await asyncio.sleep(0.05)


async def rows(bot: RunningBot, broadcast_id: int) -> dict[str, str]:
    """chat id -> delivery status."""
    async with bot.app.sessionmaker() as session:
        result = await session.execute(
            select(Delivery.chat_id, Delivery.status).where(Delivery.broadcast_id == broadcast_id)
        )
        return dict(result.all())


def texts_to(api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [message.get("text") or "" for message in api.messages_to(chat_id)]


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=ZoneInfo("Europe/Riga"))._(message, **values)


def has_text(part: str) -> Any:
    return lambda messages: any(part in (message.get("text") or "") for message in messages)


async def test_chair_composes_a_council_message_and_every_resident_gets_their_language(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(CHAIR, language="en")
        await bot.onboard(1001, language="lv", unit="alsviku")
        await bot.onboard(1002, language="ru", unit="annas")
        await bot.send(1003, "/start")  # has not agreed to the notice: gets nothing

        [prompt] = await bot.send(CHAIR, "/announce")
        assert "in Latvian" in prompt["text"]
        [languages] = await bot.send(CHAIR, "Ūdens nebūs rīt no 9 līdz 12.")
        assert "bclang:ru" in payloads(languages)
        await bot.press(CHAIR, "bclang:ru")
        await bot.send(CHAIR, "Воды не будет завтра с 9 до 12.")
        [audience] = await bot.press(CHAIR, "bcaud")
        assert payloads(audience)[:2] == ["bcto:all", "bcpick"]
        [urgency] = await bot.press(CHAIR, "bcto:all")
        assert payloads(urgency) == ["bcurg:n", "bcurg:y", "bcaud"]
        [when] = await bot.press(CHAIR, "bcurg:n")
        assert payloads(when)[0] == "bcat:now"
        _, preview, summary = await bot.press(CHAIR, "bcat:now", replies=3)
        assert (
            preview["text"]
            == "Message from the residents' council\n\nŪdens nebūs rīt no 9 līdz 12."
        )
        assert "It goes to 3 residents." in summary["text"]  # the chair and two residents
        assert "Русский" in summary["text"]
        assert payloads(summary) == ["bcsend", "bcimp:y", "bcdrop"]
        # marked important on the preview: a call list follows a day after it goes
        _, _, summary = await bot.press(CHAIR, "bcimp:y", replies=3)
        assert "Important: a day after it goes" in summary["text"]
        assert payloads(summary) == ["bcsend", "bcimp:n", "bcdrop"]

        [done] = await bot.press(CHAIR, "bcsend")
        assert "Message #1 is on its way" in done["text"]
        await api.wait_for(chat_id=1001, predicate=has_text("Ūdens nebūs rīt"))
        await api.wait_for(chat_id=1002, predicate=has_text("Воды не будет завтра"))
        assert texts_to(api, 1001)[-1].startswith(lv("Message from the residents' council"))
        assert not any("Ūdens" in text for text in texts_to(api, 1003))

        finished = await until_status(bot, 1, Status.DONE.value)
        assert finished.important is True
        await api.wait_for(chat_id=CHAIR, predicate=has_text("Broadcast #1 finished."))
        report = texts_to(api, CHAIR)[-1]
        assert "Delivered: 3" in report and "Failed: 0" in report
        # one status message, edited as it went, now showing the final count
        assert any(text == "Broadcast #1: sent 3 of 3" for text in texts_to(api, CHAIR))
        assert api.calls_to("editMessageText")


async def test_representative_reaches_only_their_unit_and_crafted_audiences_are_refused(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(REPRESENTATIVE, language="en", unit="alsviku")
        await bot.onboard(1001, unit="alsviku")
        await bot.onboard(1002, unit="annas")
        await bot.onboard(1004, language="ru", unit="alsviku")
        async with bot.app.sessionmaker() as session, session.begin():
            identity = (
                await session.scalars(select(Identity).where(Identity.external_id == "901"))
            ).one()
            unit = await unit_by_slug(session, "alsviku")
            annas = await unit_by_slug(session, "annas")
            assert unit is not None and annas is not None
            await grant_role(
                session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=unit
            )

        [refused] = await bot.send(1001, "/announce")
        assert refused["text"] == lv("Sorry, you are not allowed to do that.")

        await bot.send(REPRESENTATIVE, "/announce")
        await bot.send(REPRESENTATIVE, "Talka sestdien!")
        [audience] = await bot.press(REPRESENTATIVE, "bcaud")
        assert payloads(audience) == [f"bcto:unit:{unit.id}", "bclang"]
        for crafted in (f"bcto:unit:{annas.id}", "bcto:all", "bcpick"):
            [refused] = await bot.press(REPRESENTATIVE, crafted)
            assert refused["text"] == "Sorry, you are not allowed to do that."
        [when] = await bot.press(REPRESENTATIVE, f"bcto:unit:{unit.id}")
        assert "bcurg:y" not in payloads(when)  # urgent is for the chair and coordinators
        _, preview, summary = await bot.press(REPRESENTATIVE, "bcat:now", replies=3)
        assert preview["text"] == "Announcement: Alsviķi parish\n\nTalka sestdien!"
        assert "It goes to 3 residents." in summary["text"]
        await bot.press(REPRESENTATIVE, "bcsend")
        await api.wait_for(chat_id=1001, predicate=has_text("Talka sestdien!"))
        assert texts_to(api, 1001)[-1].startswith(
            lv("Announcement: {place}", place="Alsviķu pagasts")
        )
        # each resident reads the place as it is named in their language
        await api.wait_for(chat_id=1004, predicate=has_text("Talka sestdien!"))
        assert texts_to(api, 1004)[-1].startswith("Объявление: Алсвикская волость\n")
        await until_status(bot, 1, Status.DONE.value)
        assert not any("Talka" in text for text in texts_to(api, 1002))
        async with bot.app.sessionmaker() as session:
            refusals = await audit_entries(session, action="refused")
        assert len(refusals) == 4


async def test_pacing_keeps_within_telegram_limits(database_url: str) -> None:
    """The fake server enforces 30/s overall and 1/s per chat; nothing is refused."""
    chats = list(range(5000, 5075))
    async with (
        fake_telegram_api(flood_limits=FloodLimits()) as api,
        running(database_url, api) as bot,
    ):
        await seed(bot, chats)
        broadcast_id = await schedule(bot)
        await until_status(bot, broadcast_id, Status.DONE.value)
        assert api.rate_limited == 0
        assert all(len(api.messages_to(chat)) == 1 for chat in chats)
        sends = sorted(call.at for call in api.calls_to("sendMessage"))
        assert sends[-1] - sends[0] >= (len(chats) - 30) / 30  # no faster than 30 a second


async def test_retry_after_server_errors_and_blocked_residents(database_url: str) -> None:
    chats = list(range(6000, 6040))
    # The server allows less than the bot's pacing: it answers 429 with retry_after.
    limits = FloodLimits(overall_per_second=10)
    async with (
        fake_telegram_api(flood_limits=limits) as api,
        running(database_url, api) as bot,
    ):
        await seed(bot, chats)
        api.fail_next(6001, FailureKind.BLOCKED)
        api.fail_next(6002, FailureKind.SERVER_ERROR, count=2)
        api.fail_next(6003, FailureKind.SERVER_ERROR, count=None)  # never recovers
        broadcast_id = await schedule(bot)
        await until_status(bot, broadcast_id, Status.DONE.value, seconds=40)
        states = await rows(bot, broadcast_id)
        assert states["6001"] == DeliveryStatus.BLOCKED.value
        assert states["6002"] == DeliveryStatus.DELIVERED.value
        assert states["6003"] == DeliveryStatus.FAILED.value
        assert api.rate_limited > 0
        delivered = [chat for chat in chats if chat not in (6001, 6003)]
        assert all(states[str(chat)] == DeliveryStatus.DELIVERED.value for chat in delivered)
        # every delivered resident got it exactly once, 429s and retries notwithstanding
        assert all(len(api.messages_to(chat)) == 1 for chat in delivered)
        async with bot.app.sessionmaker() as session:
            blocked = (
                await session.scalars(select(Identity).where(Identity.external_id == "6001"))
            ).one()
            attempts = await session.scalar(
                select(Delivery.attempts).where(Delivery.chat_id == "6003")
            )
        assert blocked.active is False
        assert attempts == bot.settings.broadcast_max_attempts
        # the next broadcast does not try the blocked account again
        second = await schedule(bot)
        await until_status(bot, second, Status.DONE.value)
        assert "6001" not in await rows(bot, second)


def _quiet_now(settings: Settings) -> str:
    local = utcnow().astimezone(settings.tz)
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=1)).strftime("%H:%M")
    return f"{start}-{end}"


async def test_quiet_hours_hold_ordinary_messages_and_let_urgent_ones_through(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api:
        probe = telegram_settings(database_url, api.base_url or "")
        async with running(database_url, api, quiet_hours=_quiet_now(probe)) as bot:
            await seed(bot, [7001])
            ordinary = await schedule(bot, texts={"lv": "Parasta ziņa"})
            urgent = await schedule(bot, texts={"lv": "Steidzama ziņa"}, urgent=True)
            await until_status(bot, urgent, Status.DONE.value)
            assert [t for t in texts_to(api, 7001) if "Parasta" in t] == []
            async with bot.app.sessionmaker() as session:
                held = await session.get(Broadcast, ordinary)
            assert held is not None and held.status == Status.SCHEDULED.value
            assert texts_to(api, 7001)[0].startswith(f"‼️ {lv('Urgent')}")


async def test_cancel_stops_the_rows_not_yet_sent(database_url: str) -> None:
    chats = list(range(8000, 8030))
    async with (
        fake_telegram_api() as api,
        running(database_url, api, telegram_messages_per_second=5) as bot,
    ):
        await seed(bot, chats)
        broadcast_id = await schedule(bot)
        await api.wait_for(predicate=lambda ms: len(ms) >= 3, timeout=10)
        async with bot.app.sessionmaker() as session, session.begin():
            broadcast = await session.get(Broadcast, broadcast_id)
            assert broadcast is not None
            stopped = await cancel_broadcast(session, broadcast)
        assert stopped > 0
        await asyncio.sleep(1.0)  # what was on the wire lands; nothing new starts
        states = await rows(bot, broadcast_id)
        delivered = sum(1 for chat in chats if api.messages_to(chat))
        assert delivered == sum(1 for s in states.values() if s == DeliveryStatus.DELIVERED.value)
        assert delivered < len(chats)
        assert DeliveryStatus.PENDING.value not in states.values()


async def test_a_broadcast_due_while_the_bot_was_down_goes_once_when_it_starts(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api:
        settings = telegram_settings(
            database_url, api.base_url or "", admins=f"tg:{CHAIR}", quiet_hours="off"
        )
        async with polling_bot(api, settings) as bot:
            await seed(bot, [9001, 9002])
            broadcast_id = await schedule(bot, due_at=utcnow() + timedelta(seconds=1))
        # the bot is down when it falls due
        await asyncio.sleep(1.2)
        async with polling_bot(api, settings) as bot, broadcasting(bot):
            await until_status(bot, broadcast_id, Status.DONE.value)
        async with polling_bot(api, settings) as bot, broadcasting(bot):
            await asyncio.sleep(0.5)
        assert len(api.messages_to(9001)) == 1
        assert len(api.messages_to(9002)) == 1


async def test_residents_see_the_latest_messages_under_news(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(1001, unit="alsviku")
        broadcast_id = await schedule(bot, texts={"lv": "Koncerts tautas namā."})
        await until_status(bot, broadcast_id, Status.DONE.value)
        news = await bot.send(1001, "/news", replies=2)
        assert "Koncerts tautas namā." in news[0]["text"]
        assert payloads(news[1]) == ["menu"]
        # A message that asks residents to press a button has its button under the News too.
        asking = await schedule(
            bot,
            texts={"lv": "Aptauja par parku: spiediet pogu zemāk."},
            action=("Answer the survey", "nom"),
        )
        await until_status(bot, asking, Status.DONE.value)
        *_, last = await bot.send(1001, "/news", replies=3)
        assert payloads(last) == ["nom", "menu"]
        assert labels(last)[0] == lv("Answer the survey")


async def test_news_shows_the_latest_few_and_older_ones_a_page_at_a_time(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(1001, unit="alsviku")
        for number in range(1, 6):
            broadcast_id = await schedule(bot, texts={"lv": f"Ziņa numur {number}."})
            await until_status(bot, broadcast_id, Status.DONE.value)
        *latest, more = await bot.send(1001, "/news", replies=4)
        # The newest three, the newest last, nearest the buttons.
        assert ["Ziņa numur 3." in latest[0]["text"], "Ziņa numur 5." in latest[2]["text"]] == [
            True,
            True,
        ]
        assert payloads(more) == ["news:2", "menu"]
        assert more["text"] == lv("These are the latest messages for your parish or town.")
        *older, back = await bot.press(1001, "news:2", replies=3)
        assert "Ziņa numur 1." in older[0]["text"] and "Ziņa numur 2." in older[1]["text"]
        assert payloads(back) == ["news", "menu"]


async def test_each_request_leaves_only_once_its_row_is_sending_and_never_more_than_allowed(
    database_url: str,
) -> None:
    """Seen from the platform: when a resident's request arrives, their row is already
    stored as "sending", and no more rows are "sending" than the parallel sends allowed,
    across batches claimed while the previous ones are still on their way."""
    chats = list(range(13000, 13090))
    parallel = 4
    arrivals: list[tuple[str, int]] = []  # (the row's stored status, rows "sending")
    async with fake_telegram_api() as api:
        settings = telegram_settings(
            database_url,
            api.base_url or "",
            admins=f"tg:{CHAIR}",
            quiet_hours="off",
            broadcast_parallel_sends=parallel,
            # A batch is about a second of sending: 30 rows, so three batches.
            telegram_messages_per_second=30,
        )
        async with polling_bot(api, settings) as bot:
            await seed(bot, chats)
            deliver = api._methods["sendmessage"]

            async def observed(params: dict[str, Any]) -> Any:
                if int(params["chat_id"]) in chats:
                    async with bot.app.sessionmaker() as session:
                        stored = await session.scalar(
                            select(Delivery.status).where(
                                Delivery.chat_id == str(params["chat_id"])
                            )
                        )
                        sending = await session.scalar(
                            select(func.count())
                            .select_from(Delivery)
                            .where(Delivery.status == DeliveryStatus.SENDING.value)
                        )
                    arrivals.append((str(stored), int(sending or 0)))
                    await asyncio.sleep(0.01)  # on the wire a while, so that sends overlap
                return await deliver(params)

            api._methods["sendmessage"] = observed
            async with broadcasting(bot):
                broadcast_id = await schedule(bot)
                await until_status(bot, broadcast_id, Status.DONE.value, seconds=30)
                states = await rows(bot, broadcast_id)
    assert all(len(api.messages_to(chat)) == 1 for chat in chats)
    assert set(states.values()) == {DeliveryStatus.DELIVERED.value}
    assert len(arrivals) == len(chats)
    assert {stored for stored, _ in arrivals} == {DeliveryStatus.SENDING.value}
    assert max(sending for _, sending in arrivals) <= parallel


@pytest.mark.skipif(not ON_POSTGRES, reason="two dispatchers share rows only on PostgreSQL")
async def test_two_dispatchers_on_postgresql_never_send_a_row_twice(database_url: str) -> None:
    chats = list(range(10000, 10120))
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await seed(bot, chats)
        await bot.app.broadcasting().dispatcher.start_due()  # nothing due yet
        broadcast_id = await schedule(bot)
        second = Dispatcher(
            sessionmaker=bot.app.sessionmaker, settings=bot.settings, senders=bot.app.senders
        )
        stop = asyncio.Event()
        task = asyncio.create_task(second.run(stop))
        try:
            await until_status(bot, broadcast_id, Status.DONE.value)
        finally:
            stop.set()
            await task
        assert all(len(api.messages_to(chat)) == 1 for chat in chats)
        async with bot.app.sessionmaker() as session:
            claimed = set(
                await session.scalars(
                    select(Delivery.claimed_by).where(Delivery.broadcast_id == broadcast_id)
                )
            )
        assert claimed == {None}


async def test_claims_go_on_in_order_and_still_find_rows_put_back_behind_them(
    database_url: str,
) -> None:
    """Each claim reads on from where the last one ended; a row whose retry is due goes
    first, and a row put back to pending behind the claims (a stopped process's, one sent
    again) is found once none is left ahead."""
    chats = list(range(14000, 14100))
    async with fake_telegram_api() as api:
        settings = telegram_settings(
            database_url,
            api.base_url or "",
            quiet_hours="off",
            telegram_messages_per_second=30,  # a claim is about a second: 29 rows or so
        )
        async with polling_bot(api, settings) as bot:
            await seed(bot, chats)
            broadcast_id = await schedule(bot)
            dispatcher = bot.app.broadcasting().dispatcher
            assert await dispatcher.start_due() == [broadcast_id]
            async with bot.app.sessionmaker() as session:
                ids = list(
                    await session.scalars(
                        select(Delivery.id)
                        .where(Delivery.broadcast_id == broadcast_id)
                        .order_by(Delivery.id)
                    )
                )
            assert len(ids) == len(chats)

            size = dispatcher._batch_size("telegram")
            assert 20 <= size <= 30
            first = await dispatcher._claim("telegram")
            second = await dispatcher._claim("telegram")
            assert [row.id for row in first + second] == ids[: 2 * size]

            put_back, retry = first[0].id, first[1].id
            async with bot.app.sessionmaker() as session, session.begin():
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id == put_back)
                    .values(status=DeliveryStatus.PENDING.value, claimed_by=None)
                )
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id == retry)
                    .values(
                        status=DeliveryStatus.PENDING.value,
                        claimed_by=None,
                        next_attempt_at=utcnow() - timedelta(seconds=1),
                    )
                )
            third = await dispatcher._claim("telegram")
            assert [row.id for row in third] == [retry, *ids[2 * size : 3 * size - 1]]
            # On to the end in order; only then the row put back behind them.
            later = []
            while claim := await dispatcher._claim("telegram"):
                later += [row.id for row in claim]
            assert later == [*ids[3 * size - 1 :], put_back]
            async with bot.app.sessionmaker() as session:
                left = await session.scalar(
                    select(func.count()).where(
                        Delivery.broadcast_id == broadcast_id,
                        Delivery.status != DeliveryStatus.CLAIMED.value,
                    )
                )
            assert left == 0


async def test_a_bot_killed_mid_broadcast_loses_only_what_was_on_the_wire(
    database_url: str, tmp_path: Path
) -> None:
    """`padome run` as a real process, killed with SIGKILL while sending an urgent council
    message to 300 residents, then started again: whoever's message never left gets it once."""
    chats = list(range(11000, 11300))
    async with fake_telegram_api() as api:
        settings = telegram_settings(database_url, api.base_url or "", quiet_hours="off")
        async with polling_bot(api, settings) as bot:
            await seed(bot, chats)
            broadcast_id = await schedule(bot, urgent=True)
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "DATABASE_", "ADMINS", "QUIET_", "BROADCAST_"))
        }
        environment.update(
            DATABASE_URL=database_url,
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url or "",
            TELEGRAM_MESSAGES_PER_SECOND="60",
            QUIET_HOURS="off",
            # On PostgreSQL the rows of the killed process are taken over once their claim
            # is this old (on SQLite, at start).
            BROADCAST_CLAIM_LEASE_SECONDS="2",
            LOG_LEVEL="WARNING",
        )

        def delivered_chats() -> int:
            return sum(1 for chat in chats if api.messages_to(chat))

        async def start() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                PADOME,
                "run",
                cwd=tmp_path,
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )

        first = await start()
        await api.wait_for(predicate=lambda _: delivered_chats() >= 60, timeout=30)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        assert delivered_chats() < len(chats)

        second = await start()
        try:
            async with polling_bot(api, settings) as bot:
                finished = await until_status(bot, broadcast_id, Status.DONE.value, seconds=60)
                states = await rows(bot, broadcast_id)
        finally:
            second.terminate()
            await second.wait()
        assert finished.status == Status.DONE.value
        got = {chat: len(api.messages_to(chat)) for chat in chats}
        assert max(got.values()) == 1  # nobody got it twice
        assert set(states.values()) <= {
            DeliveryStatus.DELIVERED.value,
            DeliveryStatus.UNKNOWN.value,
        }
        # Only the requests let go at the kill are unknown: at most one per parallel send.
        unknown = [chat for chat, state in states.items() if state == DeliveryStatus.UNKNOWN.value]
        assert len(unknown) <= bot.settings.broadcast_parallel_sends
        # Whoever got nothing is one of those; everyone else has it exactly once.
        missed = [chat for chat in chats if not got[chat]]
        assert all(str(chat) in unknown for chat in missed)
        # Killed just after the 60th message, the first second's burst: the pacer holds the
        # next requests for most of a second, and a row waiting for it has not left, so it
        # is sent after the restart (one margin for a kill that lands as the next one goes).
        assert len(missed) <= 1

        # The operators choose to send those again: each gets it (maybe a second time).
        resend = await asyncio.create_subprocess_exec(
            PADOME,
            "broadcast",
            "resend-unknown",
            str(broadcast_id),
            "--yes",
            cwd=tmp_path,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        output, _ = await resend.communicate()
        if not unknown:
            assert resend.returncode != 0
            return
        assert resend.returncode == 0, output
        async with running(database_url, api) as bot:
            await until_status(bot, broadcast_id, Status.DONE.value, seconds=30)
            states = await rows(bot, broadcast_id)
        assert set(states.values()) == {DeliveryStatus.DELIVERED.value}
        for chat in chats:
            assert len(api.messages_to(chat)) == got[chat] + (str(chat) in unknown)


async def interrupted_broadcast(bot: RunningBot, *, sender: int, unknown: list[int]) -> int:
    """A council message as a crashed process leaves it: sending, the rows of `unknown` on
    the wire when it died, the others not yet sent."""
    sender_id = await resident_of(bot, sender)
    broadcast_id = await schedule(
        bot, created_by_id=sender_id, report_to=("telegram", str(sender)), urgent=True
    )
    async with bot.app.sessionmaker() as session, session.begin():
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        broadcast.status = Status.SENDING.value
        broadcast.started_at = utcnow()
        await create_deliveries(session, broadcast, channels={"telegram"})
        await session.execute(
            update(Delivery)
            .where(
                Delivery.broadcast_id == broadcast_id,
                Delivery.chat_id.in_([str(chat) for chat in unknown]),
            )
            .values(
                status=DeliveryStatus.SENDING.value,
                attempts=1,
                claimed_by="gone:1",
                claimed_at=utcnow() - timedelta(hours=1),
            )
        )
    return broadcast_id


async def test_the_sender_chooses_to_send_again_to_the_unknown_ones(database_url: str) -> None:
    chats = [12001, 12002, 12003, 12004]
    async with fake_telegram_api() as api:
        settings = telegram_settings(
            database_url, api.base_url or "", admins=f"tg:{CHAIR}", quiet_hours="off"
        )
        async with polling_bot(api, settings) as bot:
            await bot.onboard(CHAIR, language="en")
            await bot.onboard(REPRESENTATIVE, unit="alsviku")
            await seed(bot, chats)
            broadcast_id = await interrupted_broadcast(bot, sender=CHAIR, unknown=chats[:2])
        async with running(database_url, api) as bot:
            await until_status(bot, broadcast_id, Status.DONE.value)
            [report] = (await api.wait_for(chat_id=CHAIR, predicate=has_text("finished")))[-1:]
            assert "Unknown (interrupted while on its way, maybe not received): 2" in report["text"]
            assert payloads(report) == [f"bcu:{broadcast_id}"]
            assert [len(api.messages_to(chat)) for chat in chats] == [0, 0, 1, 1]

            # Someone else cannot, even with a crafted button.
            [refused] = await bot.press(REPRESENTATIVE, f"bcu:{broadcast_id}:yes")
            assert refused["text"] == lv("Sorry, you are not allowed to do that.")

            [question] = await bot.press(CHAIR, f"bcu:{broadcast_id}")
            assert "2 residents" in question["text"]
            assert "They may already have it" in question["text"]
            assert payloads(question) == [f"bcu:{broadcast_id}:yes", "menu"]
            [done] = await bot.press(CHAIR, f"bcu:{broadcast_id}:yes")
            assert f"Message #{broadcast_id} goes again to 2 residents." in done["text"]
            # Pressed twice: it goes once.
            [again] = await bot.press(CHAIR, f"bcu:{broadcast_id}:yes")
            assert "has nobody to send it again to" in again["text"]

            await until_status(bot, broadcast_id, Status.DONE.value)
            [report] = (
                await api.wait_for(
                    chat_id=CHAIR,
                    predicate=lambda ms: sum("finished" in (m.get("text") or "") for m in ms) == 2,
                )
            )[-1:]
            assert "Unknown" not in report["text"] and not payloads(report)
            states = await rows(bot, broadcast_id)
        assert [len(api.messages_to(chat)) for chat in chats] == [1, 1, 1, 1]
        assert set(states.values()) == {DeliveryStatus.DELIVERED.value}


async def resident_of(bot: RunningBot, chat_id: int) -> int:
    async with bot.app.sessionmaker() as session:
        identity = (
            await session.scalars(select(Identity).where(Identity.external_id == str(chat_id)))
        ).one()
        return identity.resident_id


async def test_a_scheduled_announcement_is_refused_when_its_sender_lost_the_role(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await bot.onboard(REPRESENTATIVE, unit="alsviku")
        await bot.onboard(1001, unit="alsviku")
        sender_id = await resident_of(bot, REPRESENTATIVE)
        async with bot.app.sessionmaker() as session, session.begin():
            sender = await session.get(Resident, sender_id)
            unit = await unit_by_slug(session, "alsviku")
            assert sender is not None and unit is not None
            await grant_role(session, resident=sender, role=Role.REPRESENTATIVE, unit=unit)
            roles = await load_roles(session, sender, admins=[])
            broadcast = await create_broadcast(
                session,
                roles=roles,
                created_by_id=sender_id,
                audience=Audience(unit_ids=(unit.id,)),
                texts={"lv": "Talka rīt."},
                due_at=utcnow() + timedelta(hours=1),
                now=utcnow(),
            )
            broadcast_id = broadcast.id
        async with bot.app.sessionmaker() as session, session.begin():
            sender = await session.get(Resident, sender_id)
            assert sender is not None
            await revoke_role(session, resident=sender, role=Role.REPRESENTATIVE, unit=unit)
            scheduled = await session.get(Broadcast, broadcast_id)
            assert scheduled is not None
            scheduled.due_at = utcnow()
        finished = await until_status(bot, broadcast_id, Status.CANCELLED.value)
        assert finished.status == Status.CANCELLED.value
        await asyncio.sleep(0.3)
        assert not any("Talka" in text for text in texts_to(api, 1001))
        async with bot.app.sessionmaker() as session:
            [entry] = await audit_entries(session, action="broadcast_refused")
        assert entry.details == {"broadcast": broadcast_id}


async def test_a_job_notifies_named_residents_with_a_button_and_not_under_news(
    database_url: str,
) -> None:
    """A scheduler job's notice reaches only the residents it names, in their language."""
    async with fake_telegram_api() as api:
        settings = telegram_settings(
            database_url, api.base_url or "", quiet_hours="off", broadcast_retry_seconds=0.05
        )
        async with polling_bot(api, settings) as bot:
            await bot.onboard(1001, language="lv", unit="alsviku")
            await bot.onboard(1002, language="ru", unit="alsviku")
            await bot.onboard(1003, language="lv", unit="alsviku")
            named = [await resident_of(bot, 1001), await resident_of(bot, 1002)]
            seen = {chat: len(api.messages_to(chat)) for chat in (1001, 1002, 1003)}
            runs: list[int] = []

            async def remind(context: JobContext) -> None:
                if runs:
                    return  # done once; a real job records this in the database
                runs.append(1)
                async with context.sessionmaker() as session, session.begin():
                    await send_notice(
                        session,
                        settings=context.settings,
                        resident_ids=named,
                        write=lambda t: t._("News"),
                        buttons=[("News", "news")],
                        now=context.now,
                        personal=False,
                    )

            service = BroadcastService(
                engine=bot.app.engine,
                sessionmaker=bot.app.sessionmaker,
                settings=bot.settings,
                senders=bot.app.senders,
                jobs=[Job("remind", remind)],
                tick_seconds=0.1,
            )
            await service.start()
            try:
                *_, latvian = await api.wait_for(chat_id=1001, count=seen[1001] + 1)
                *_, russian = await api.wait_for(chat_id=1002, count=seen[1002] + 1)
                await until_status(bot, 1, Status.DONE.value)
            finally:
                await service.stop()
            assert latvian["text"] == lv("News")  # no heading on a notice
            assert payloads(latvian) == ["news"]
            assert latvian["buttons"][0][0]["text"] == lv("News")
            ru = Translator("ru", timezone=ZoneInfo("Europe/Riga"))._("News")
            assert russian["text"] == ru and ru != "News"
            assert len(api.messages_to(1003)) == seen[1003]  # not named: nothing
            [news] = await bot.press(1001, "news")
            assert news["text"].startswith(lv("No news yet for your parish or town."))


async def test_a_message_to_more_residents_than_one_statement_takes_values_starts(
    app: App,
) -> None:
    """PostgreSQL's driver takes at most 32,767 values a statement: a message to more
    residents than that, one of them with a trusted person, still starts, and the trusted
    person gets their copy."""
    now = utcnow()
    count = 33_000
    async with app.engine.begin() as connection:
        ids: list[int] = []
        for start in range(0, count, 5_000):
            result = await connection.execute(
                insert(Resident).returning(Resident.id),
                [
                    {"language": "lv", "unit_id": 1, "consented_at": now, "created_at": now}
                    for _ in range(min(5_000, count - start))
                ],
            )
            ids.extend(result.scalars())
        await connection.execute(
            insert(Identity),
            [
                {
                    "resident_id": resident_id,
                    "channel": "telegram",
                    "external_id": str(10_000_000 + number),
                    "active": True,
                    "created_at": now,
                }
                for number, resident_id in enumerate(ids)
            ],
        )
        await connection.execute(
            insert(HelperLink).values(
                resident_id=ids[-1],
                helper_id=ids[0],
                status=LinkStatus.ACTIVE.value,
                created_at=now,
                active_since=now,
            )
        )
    if ON_POSTGRES:
        # What autovacuum does soon after a bulk load; the test server runs without it.
        async with app.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
    async with app.sessionmaker() as session, session.begin():
        broadcast = Broadcast(
            kind=Kind.COUNCIL.value,
            texts={"lv": "Sveiki visiem."},
            status=Status.SENDING.value,
            due_at=now,
            started_at=now,
        )
        session.add(broadcast)
        await session.flush()
        made = await create_deliveries(session, broadcast, channels={"telegram"})
        copies = await copy_for_helpers(
            session, broadcast, channels={"telegram"}, timezone=app.settings.tz, now=now
        )
    assert made == count
    assert copies == 1
    async with app.sessionmaker() as session:
        copy = await session.scalar(select(Broadcast).where(Broadcast.for_resident_id == ids[-1]))
        assert copy is not None and copy.resident_ids == [ids[0]]
        assert "Sveiki visiem." in copy.texts["lv"]
