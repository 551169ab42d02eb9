"""/forget leaves nothing behind: not in a dump of the database, not in its files.

A resident who has done many things (registered on WhatsApp and on Telegram, linked the
two, wrote an idea with a photo, stood as a candidate, answered a survey in their own words,
took their data as a file, got a council message and has another waiting; staff have their
item and candidacy in their lists) erases their data.
Then a dump of the database (SQLite's own, or pg_dump), and on SQLite the bytes of the
database file and its write-ahead log, are searched for everything that was theirs.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import db
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.ideas.submit import Draft, DraftStep, KeepText, ShowName
from handlers.privacy import _vacuum_tried_at, vacuum_erased_tables
from handlers.surveys.payloads import SurveyOpen, SurveySend
from models import Base
from models.base import utcnow
from models.broadcasts import Delivery, DeliveryStatus, Status
from models.personal_data import ERASED_TABLES
from models.residents import Resident, find_identity
from models.roles import Role
from padome.app import App, open_app
from tests.chat import Chat
from tests.conftest import ON_POSTGRES, _pg_execute, make_settings
from tests.fakes.telegram_api import labels, payloads
from tests.telegram import fake_telegram_api, polling_bot, telegram_settings
from tests.test_broadcasts import broadcasting, schedule, until_status
from tests.test_console import run_padome
from tests.test_ideas import give
from tests.test_nominations import make_round, nomination_named, self_nominate
from tests.test_surveys import invited, make_survey, option, survey_yaml
from tests.test_twilio import both_messengers, lv, say

TELEGRAM_ID = 7391846025
COORDINATOR = 900  # an administrator by the ADMINS setting
CHAIR = 901
NAME = "Zentiņa Pļaviņa-Testa"
PHONE = "+37129183746"
# Staff lists show the start of an item's text.
IDEA = "QXIDEA5521: ūdenstornis pie Zentiņas mājas čīkst naktīs."
ABOUT = "Zentiņa strādā bibliotēkā, QXABOUT8812."
ROAD = "Zentiņas ceļš QXROAD3307"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"QXPHOTO-7391-" * 64
DELIVERED = "Sapulce piektdien QXSENT4410."
PENDING = "Talka sestdien QXPENDING9921."

# What may not be found anywhere once the person has erased their data.
THEIRS = [str(TELEGRAM_ID), NAME, "Pļaviņa", PHONE, PHONE[4:], IDEA, "QXIDEA5521", ABOUT]
THEIRS += ["QXABOUT8812", ROAD, "QXROAD3307"]


def forms(value: str) -> list[bytes]:
    """How a text can be stored: as UTF-8, and escaped inside JSON."""
    escaped = json.dumps(value)[1:-1]
    return [value.encode("utf-8"), escaped.encode("ascii")]


def found_in(data: bytes) -> list[str]:
    """Which of the person's values (and their photo, also as hex) the bytes hold."""
    hits = [value for value in THEIRS if any(form in data for form in forms(value))]
    lowered = data.lower()
    marker = b"QXPHOTO-7391-"
    if marker in data or marker.hex().encode() in lowered:
        hits.append("the photo")
    return hits


def logical_dump(database_url: str) -> bytes:
    url = make_url(database_url)
    if ON_POSTGRES:
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return subprocess.run(["pg_dump", plain], check=True, capture_output=True).stdout
    assert url.database is not None
    connection = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    try:
        return "\n".join(connection.iterdump()).encode("utf-8")
    finally:
        connection.close()


async def planner_samples(engine: AsyncEngine) -> bytes:
    """The column values PostgreSQL's planner keeps as statistics (in the catalog)."""
    async with engine.connect() as connection:
        samples = await connection.scalar(
            text(
                "SELECT string_agg(concat_ws(' ', stavalues1::text, stavalues2::text, "
                "stavalues3::text, stavalues4::text, stavalues5::text), ' ') FROM pg_statistic"
            )
        )
    return (samples or "").encode("utf-8")


def database_files(database_url: str) -> dict[str, bytes]:
    path = Path(make_url(database_url).database or "")
    files = {path.name: path.read_bytes()}
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        files[wal.name] = wal.read_bytes()
    return files


async def test_after_forget_no_dump_and_no_database_file_holds_anything_of_the_person(
    database_url: str,
) -> None:
    async with both_messengers(
        database_url, telegram_bot_username="padome_test_bot", admins=f"tg:{COORDINATOR}"
    ) as (
        api,
        fake,
        telegram,
        bot,
    ):
        # Registered on WhatsApp first, where a council message reached them.
        for answer in ("Labdien", "1", "1", "alsviku"):
            assert await fake.user_says("whatsapp", PHONE, answer, profile_name=NAME) == 200
            await bot.channel.settle()
        await telegram.onboard(COORDINATOR, language="en")
        await telegram.onboard(CHAIR, language="en")
        await give(telegram, CHAIR, Role.CHAIR)
        async with broadcasting(telegram):
            first = await schedule(telegram, texts={"lv": DELIVERED})
            await until_status(telegram, first, Status.DONE.value)

            # Then on Telegram; sharing the phone number makes them one resident.
            await telegram.onboard(TELEGRAM_ID, first_name=NAME)
            await telegram.press(TELEGRAM_ID, "phone")
            [choose] = await telegram.send(TELEGRAM_ID, None, contact=PHONE)
            assert "prefer:telegram" in payloads(choose)
            await telegram.press(TELEGRAM_ID, "prefer:telegram")

            # An idea with a photo, its text not to be kept after erasure.
            [areas] = await telegram.send(TELEGRAM_ID, "/idea")
            area = next(p for p in payloads(areas) if p.startswith("ideaarea:"))
            await telegram.press(TELEGRAM_ID, area)
            await telegram.send(TELEGRAM_ID, IDEA)
            await telegram.send_photo(TELEGRAM_ID, PHOTO)
            await telegram.press(TELEGRAM_ID, DraftStep(Draft.NO_PLACE).pack())
            await telegram.press(TELEGRAM_ID, ShowName(True).pack())
            await telegram.press(TELEGRAM_ID, KeepText(False).pack())
            [sent] = await telegram.press(TELEGRAM_ID, DraftStep(Draft.SEND).pack())
            assert re.search(r"numuru \d+\.", sent["text"]), sent["text"]

            # A candidate in a nomination round.
            await make_round(telegram, supporters=2)
            await self_nominate(telegram, TELEGRAM_ID, ABOUT)
            candidacy = await nomination_named(telegram, NAME)
            assert candidacy.bio == ABOUT

            # A named survey answered in their own words.
            survey_id = await make_survey(telegram, survey_yaml(anonymous=False))
            await invited(api, TELEGRAM_ID, survey_id)
            _, first_question = await telegram.press(
                TELEGRAM_ID, SurveyOpen(survey_id).pack(), replies=2
            )
            [road] = await telegram.press(TELEGRAM_ID, option(first_question, "Slikti"))
            assert "Kurš ceļš jāsakārto?" in road["text"]
            [multiple] = await telegram.send(TELEGRAM_ID, ROAD)
            [scale] = await telegram.press(TELEGRAM_ID, option(multiple, "Bedres"))
            scale_prompt = scale
            if "Turpināt" in str(scale.get("buttons")):
                [scale_prompt] = await telegram.press(TELEGRAM_ID, option(scale, "Turpināt"))
            [yesno] = await telegram.press(TELEGRAM_ID, option(scale_prompt, "2"))
            await telegram.press(TELEGRAM_ID, option(yesno, "Izlaist"))
            [thanks] = await telegram.press(TELEGRAM_ID, SurveySend(survey_id).pack())
            assert "Paldies" in thanks["text"]

            # Their data as a file on WhatsApp: Twilio fetches it from the media store.
            await say(fake, bot, "whatsapp", PHONE, "/mydata")

        # A council message waits for them; nothing sends it before they erase their data.
        waiting = await schedule(telegram, texts={"lv": PENDING})
        await telegram.app.broadcasting().dispatcher.start_due()
        async with telegram.app.sessionmaker() as session:
            rows = await session.scalars(
                select(Delivery).where(
                    Delivery.broadcast_id.in_([first, waiting]),
                    Delivery.chat_id.in_([str(TELEGRAM_ID), PHONE]),
                )
            )
            theirs = {row.broadcast_id: (row.id, row.status) for row in rows}
        assert theirs[waiting][1] == DeliveryStatus.PENDING.value

        # Staff have the item and the candidate in their lists, whose buttons are kept so
        # that a number typed on WhatsApp or SMS presses one.
        [listing] = await telegram.send(CHAIR, "/inbox")
        assert any("QXIDEA5521" in label for label in labels(listing))
        [candidates] = await telegram.press(COORDINATOR, f"nomcunit:{candidacy.unit_id}")
        assert f"#{candidacy.id} {NAME}" in labels(candidates)

        # Before: the dump has it all.
        before = found_in(logical_dump(database_url))
        assert set(before) >= {str(TELEGRAM_ID), NAME, PHONE, "QXIDEA5521", "QXABOUT8812"}
        assert "QXROAD3307" in before and "the photo" in before
        if ON_POSTGRES:
            # As autovacuum does once tables have grown: the planner samples column values.
            async with telegram.app.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("ANALYZE"))
            assert str(TELEGRAM_ID) in found_in(await planner_samples(telegram.app.engine))

        await telegram.send(TELEGRAM_ID, "/forget")
        [erased] = await telegram.press(TELEGRAM_ID, "forget:yes")
        assert erased["text"] == lv(
            "Your data has been erased. Only anonymous counts remain. "
            "Send /start if you want to come back."
        )

        if not ON_POSTGRES:
            # The log was emptied after the erasure; what was written to it since (a status
            # callback, say) holds pages as they are now.
            for name, content in database_files(database_url).items():
                assert found_in(content) == [], name

        # The waiting message never goes: its row was cancelled with the erasure.
        async with broadcasting(telegram):
            await until_status(telegram, waiting, Status.DONE.value)
        assert not any(PENDING in (m.get("text") or "") for m in api.messages_to(TELEGRAM_ID))
        assert not any(PENDING in m.body for m in fake.messages_to(PHONE))
        assert any(PENDING in (m.get("text") or "") for m in api.messages_to(CHAIR))

        async with telegram.app.sessionmaker() as session:
            after = {
                row.broadcast_id: row.status
                for row in await session.scalars(
                    select(Delivery).where(Delivery.id.in_([id for id, _ in theirs.values()]))
                )
            }
            erased_residents = await session.scalar(
                select(text("count(*)"))
                .select_from(Resident)
                .where(Resident.erased_at.is_not(None))
            )
        # The counts stay: the row sent keeps its status, the waiting one is cancelled.
        assert after[waiting] == DeliveryStatus.CANCELLED.value
        assert after[first] in (DeliveryStatus.DELIVERED.value, DeliveryStatus.SENT.value)
        assert erased_residents == 2  # the merged-away registration and the person

        if ON_POSTGRES:
            # The next daily VACUUM takes the samples again, from the rows there are now.
            await vacuum_erased_tables(
                JobContext(
                    telegram.app.sessionmaker, telegram.settings, utcnow() + timedelta(days=2)
                )
            )
            assert found_in(await planner_samples(telegram.app.engine)) == []

    assert found_in(logical_dump(database_url)) == []


async def test_a_message_the_dispatcher_took_just_before_the_erasure_is_not_sent(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api:
        settings = telegram_settings(database_url, api.base_url or "", quiet_hours="off")
        async with polling_bot(api, settings) as bot:
            await bot.onboard(TELEGRAM_ID, first_name=NAME)
            broadcast_id = await schedule(bot, texts={"lv": PENDING})
            dispatcher = bot.app.broadcasting().dispatcher
            await dispatcher.start_due()
            # The dispatcher has claimed the row and is about to send it...
            [row] = await dispatcher._claim("telegram")
            assert row.chat_id == str(TELEGRAM_ID)
            await bot.send(TELEGRAM_ID, "/forget")
            await bot.press(TELEGRAM_ID, "forget:yes")
            # ...and goes on after the erasure: the row is no longer its to send.
            await dispatcher._send_batch("telegram", [row])
            assert [(o.row.id, o.status) for o in dispatcher._finished] == [
                (row.id, DeliveryStatus.CANCELLED)
            ]
            await dispatcher.run_once()
            await until_status(bot, broadcast_id, Status.DONE.value)
            async with bot.app.sessionmaker() as session:
                [stored] = await session.scalars(
                    select(Delivery).where(Delivery.broadcast_id == broadcast_id)
                )
        assert not any(PENDING in (m.get("text") or "") for m in api.messages_to(TELEGRAM_ID))
        assert stored.status == DeliveryStatus.CANCELLED.value
        assert stored.chat_id != str(TELEGRAM_ID)


def test_every_table_named_for_the_vacuum_exists() -> None:
    assert set(ERASED_TABLES) <= set(Base.metadata.tables)


async def last_vacuums(engine: AsyncEngine) -> list[datetime | None]:
    async with engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT last_vacuum FROM pg_stat_user_tables "
                "WHERE relname = ANY(CAST(:tables AS text[])) ORDER BY relname"
            ),
            {"tables": list(ERASED_TABLES)},
        )
        return [row[0] for row in result]


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite empties its log at each erasure instead")
async def test_the_tables_erasure_changes_are_vacuumed_once_a_day_on_postgresql(
    database_url: str,
) -> None:
    settings = make_settings(database_url)
    async with open_app(settings) as app:
        now = utcnow()
        await vacuum_erased_tables(JobContext(app.sessionmaker, settings, now))
        first = await last_vacuums(app.engine)
        assert len(first) == len(ERASED_TABLES) and all(first)
        # Later the same day, also after a restart (the process remembers nothing): not again.
        _vacuum_tried_at.clear()
        later = now + timedelta(hours=23)
        await vacuum_erased_tables(JobContext(app.sessionmaker, settings, later))
        assert await last_vacuums(app.engine) == first
        # A day later: again.
        await vacuum_erased_tables(JobContext(app.sessionmaker, settings, now + timedelta(days=2)))
        again = await last_vacuums(app.engine)
        assert all(new > old for new, old in zip(again, first, strict=True))  # type: ignore[operator]


@pytest.mark.skipif(not ON_POSTGRES, reason="VACUUM is PostgreSQL's")
async def test_a_vacuum_the_server_refuses_is_tried_once_a_day_not_on_every_tick(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A database user who does not own the tables: PostgreSQL skips them with a warning."""
    role = f"padome_tenant_{uuid.uuid4().hex[:8]}"
    await _pg_execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        url = make_url(database_url).set(username=role)
        settings = make_settings(url.render_as_string(hide_password=False))
        engine = db.create_engine(settings.database_url)
        try:
            sessionmaker = db.create_sessionmaker(engine)
            now = utcnow()
            with caplog.at_level(logging.ERROR, logger="handlers.privacy"):
                await vacuum_erased_tables(JobContext(sessionmaker, settings, now))
                await vacuum_erased_tables(
                    JobContext(sessionmaker, settings, now + timedelta(seconds=2))
                )
            assert [record.getMessage() for record in caplog.records] == [
                "VACUUM skipped tables erasure changes: the database user must own them"
            ]
            assert not any(await last_vacuums(engine))
        finally:
            await engine.dispose()
    finally:
        await _pg_execute(f'DROP ROLE IF EXISTS "{role}"')


async def test_message_lists_work_after_a_notices_reader_erased_their_data(
    chat: Chat, app: App, database_url: str, tmp_path: Path
) -> None:
    await chat.onboard("admin")  # console:admin is in ADMINS in the test settings
    await chat.onboard("anna")
    async with app.sessionmaker() as session, session.begin():
        anna = await find_identity(session, "console", "anna")
        await send_notice(
            session,
            settings=app.settings,
            resident_ids=[anna.resident_id],
            write=lambda t: "Atbilde uz jūsu ierosinājumu #3: bedri aizbērs rīt.",
            now=utcnow(),
        )
    await chat.say("anna", "/forget")
    await chat.say("anna", payload="forget:yes")

    listed = await chat.say("admin", "/broadcasts")
    # A notice to one resident is no council message: staff do not browse them in chat.
    assert "bedri" not in listed.text and "went wrong" not in listed.text
    assert listed.buttons  # the way on
    from_cli = run_padome(["broadcast", "list"], stdin="", database_url=database_url, cwd=tmp_path)
    assert from_cli.returncode == 0, from_cli.stderr
    assert "notice" in from_cli.stdout and "bedri" not in from_cli.stdout


async def test_a_message_that_shows_nothing_is_asked_for_again(chat: Chat) -> None:
    await chat.onboard("admin")
    await chat.say("admin", "/announce")
    again = await chat.say("admin", "\u200b\u200b \u3164")
    # Why, then the same question again.
    assert again.text.startswith("Please write the text of the message too.\n\nWrite the message")
    taken = await chat.say("admin", "Ūdens nebūs.")
    assert "Add another version?" in taken.text
