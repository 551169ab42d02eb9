"""Residents' ideas and concerns end to end: the real bot on the fake Telegram Bot API.

Residents write in Latvian; staff read in English, so their texts are the message ids.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import subprocess
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.dialog.messages import Attachment, Incoming
from bot.i18n import Translator
from broadcasts.service import BroadcastService, Job, JobContext
from handlers.ideas.areas import Areas, AskSpecialist, ToggleAreaMember
from handlers.ideas.common import ExportPeriod, ForwardIdea, InboxPage, OpenIdea, Period
from handlers.ideas.export import ExportFormat, FileFormat
from handlers.ideas.inbox import (
    AnswerIdea,
    ChooseFilter,
    ConfirmSameAs,
    Filter,
    SameAs,
    SetIdeaStatus,
)
from handlers.ideas.submit import AreaChosen, Draft, DraftStep, KeepText, ShowName
from models.audit import audit_entries
from models.base import utcnow
from models.broadcasts import Broadcast
from models.ideas import (
    AreaMember,
    Idea,
    IdeaAnswer,
    IdeaDigest,
    IdeaStatus,
    area_by_slug,
    submit_idea,
)
from models.residents import Resident, find_identity
from models.roles import Role, grant_role
from models.territory import add_locality, unit_by_slug
from padome.app import App
from tests.chat import Chat
from tests.fakes.telegram_api import FakeTelegramAPI, labels, payloads
from tests.telegram import RunningBot, fake_telegram_api, polling_bot, telegram_settings
from tests.test_console import run_padome

COORDINATOR = 899  # an administrator by the ADMINS setting
CHAIR = 900
REP = 901  # representative of Alsviķu pagasts
REP_ANNAS = 902
DEPUTY = 903  # deputy of the village Alsviķi
MEMBER = 904  # council member, responsible for roads
ANNA = 1001  # lives in Alsviķi, Alsviķu pagasts
BERTA = 1002  # lives in Annas pagasts
CARL = 1003  # lives in Alsviķu pagasts
REFUSED = "Sorry, you are not allowed to do that."
NO_PHOTO = DraftStep(Draft.NO_PHOTO).pack()
NO_PLACE = DraftStep(Draft.NO_PLACE).pack()
SEND = DraftStep(Draft.SEND).pack()
CANCEL = DraftStep(Draft.CANCEL).pack()
WHO = [ShowName(True).pack(), ShowName(False).pack(), CANCEL]
KEEP = [KeepText(True).pack(), KeepText(False).pack(), CANCEL]


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=RIGA)._(message, **values)


RIGA = telegram_settings("sqlite+aiosqlite://", "http://x").tz


@asynccontextmanager
async def ideas_bot(
    database_url: str, api: FakeTelegramAPI, *, jobs: Sequence[Job] = (), **overrides: Any
) -> AsyncIterator[RunningBot]:
    """The bot with its outbox running (notices reach people), without the weekly digest
    unless a test asks for it."""
    values: dict[str, Any] = {
        "admins": f"tg:{COORDINATOR}",
        "quiet_hours": "off",
        "broadcast_retry_seconds": 0.05,
    }
    values.update(overrides)
    settings = telegram_settings(database_url, api.base_url or "", **values)
    async with polling_bot(api, settings) as bot:
        service = BroadcastService(
            engine=bot.app.engine,
            sessionmaker=bot.app.sessionmaker,
            settings=settings,
            senders=bot.app.senders,
            jobs=jobs,
            tick_seconds=0.1,
        )
        await service.start()
        try:
            yield bot
        finally:
            await service.stop()


async def join(
    bot: RunningBot,
    user: int,
    *,
    unit: str = "alsviku",
    locality: int | None = None,
    language: str = "lv",
    name: str = "Anna",
) -> None:
    """Onboard by buttons; in a unit with villages, choose one or skip."""
    await bot.send(user, "/start", first_name=name)
    await bot.press(user, f"lang:{language}")
    await bot.press(user, "privacy:agree")
    [answer] = await bot.press(user, f"unit:{unit}")
    if "loc:skip" in payloads(answer):
        await bot.press(user, f"loc:{locality}" if locality else "loc:skip")


async def resident_id(bot: RunningBot, user: int) -> int:
    async with bot.app.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(user))
        assert identity is not None
        return identity.resident_id


async def give(
    bot: RunningBot, user: int, role: Role, *, unit: str | None = None, locality: int | None = None
) -> None:
    async with bot.app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "telegram", str(user))
        assert identity is not None
        place = await unit_by_slug(session, unit) if unit else None
        village = None
        if locality is not None:
            from models.territory import locality_by_id

            village = await locality_by_id(session, locality)
        await grant_role(
            session, resident=identity.resident, role=role, unit=place, locality=village
        )


async def area_id(bot: RunningBot, slug: str) -> int:
    async with bot.app.sessionmaker() as session:
        area = await area_by_slug(session, slug)
        assert area is not None
        return area.id


async def village(bot: RunningBot, unit: str = "alsviku", name: str = "Alsviķi") -> int:
    async with bot.app.sessionmaker() as session, session.begin():
        place = await unit_by_slug(session, unit)
        assert place is not None
        return (await add_locality(session, unit=place, name=name)).id


async def ideas(bot: RunningBot) -> list[Idea]:
    async with bot.app.sessionmaker() as session:
        return list(await session.scalars(select(Idea).order_by(Idea.id)))


async def submit(
    bot: RunningBot,
    user: int,
    text: str,
    *,
    area: str = "roads",
    place: str | None = None,
    show: bool = False,
    keep: bool = False,
) -> int:
    """Write an idea through the chat, by buttons; return its number."""
    await bot.send(user, "/idea")
    await bot.press(user, AreaChosen(await area_id(bot, area)).pack())
    await bot.send(user, text)
    await bot.press(user, NO_PHOTO)
    if place:
        await bot.send(user, place)
    else:
        await bot.press(user, NO_PLACE)
    await bot.press(user, ShowName(show).pack())
    await bot.press(user, KeepText(keep).pack())
    [done] = await bot.press(user, SEND)
    found = re.search(r"numuru (\d+)\.", done["text"])
    assert found is not None, done["text"]
    return int(found.group(1))


async def delivered(bot: RunningBot, seconds: float = 10) -> None:
    """Wait until every notice so far has gone out, so that it cannot arrive in the middle
    of a conversation a test reads next."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        async with bot.app.sessionmaker() as session:
            busy = await session.scalar(
                select(func.count())
                .select_from(Broadcast)
                .where(Broadcast.status.in_(["scheduled", "sending"]))
            )
        if not busy:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("notices are still going out")
        await asyncio.sleep(0.05)


def has(part: str) -> Any:
    return lambda messages: any(part in (message.get("text") or "") for message in messages)


def texts_to(api: FakeTelegramAPI, chat: int) -> list[str]:
    return [message.get("text") or "" for message in api.messages_to(chat)]


async def refusals(bot: RunningBot) -> list[dict[str, Any]]:
    async with bot.app.sessionmaker() as session:
        return [entry.details for entry in await audit_entries(session, action="refused")]


async def test_a_location_shared_on_telegram_is_the_place(database_url: str) -> None:
    async with fake_telegram_api() as api, ideas_bot(database_url, api) as bot:
        await join(bot, ANNA, name="Ilze Kalniņa")
        roads = await area_id(bot, "roads")
        await bot.send(ANNA, "/idea")
        await bot.press(ANNA, AreaChosen(roads).pack())
        [where] = await bot.send(ANNA, "Bedre pie skolas")
        assert payloads(where) == [NO_PHOTO, CANCEL]
        [place] = await bot.press(ANNA, NO_PHOTO)
        assert (
            "Teksta vietā varat nosūtīt arī atrašanās vietu (📎 → „Atrašanās vieta”)."
            in place["text"]
        )
        update = api.message_update(ANNA, None, first_name="Ilze Kalniņa")
        update["message"]["location"] = {"latitude": 57.423611, "longitude": 27.045833}
        before = len(api.messages_to(ANNA))
        api.push_raw(update)
        [who] = (await api.wait_for(chat_id=ANNA, count=before + 1))[before:]
        assert payloads(who) == WHO
        await bot.press(ANNA, ShowName(False).pack())
        [preview] = await bot.press(ANNA, KeepText(False).pack())
        assert "57.42361, 27.04583" in preview["text"]
        await bot.press(ANNA, SEND)
        [item] = await ideas(bot)
        assert item.place == (
            "57.42361, 27.04583 https://www.openstreetmap.org/?mlat=57.42361&mlon=27.04583"
            "#map=18/57.42361/27.04583"
        )


async def test_a_resident_sends_an_idea_with_a_photo_and_it_reaches_only_their_inbox(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, ideas_bot(database_url, api) as bot:
        alsviki = await village(bot)
        await join(bot, REP, language="en", name="Rita")
        await join(bot, REP_ANNAS, unit="annas", language="en", name="Roberts")
        await join(bot, DEPUTY, locality=alsviki, language="en", name="Dace")
        await join(bot, ANNA, locality=alsviki, name="Ilze Kalniņa")
        await give(bot, REP, Role.REPRESENTATIVE, unit="alsviku")
        await give(bot, REP_ANNAS, Role.REPRESENTATIVE, unit="annas")
        await give(bot, DEPUTY, Role.DEPUTY, locality=alsviki)
        roads = await area_id(bot, "roads")

        [menu] = await bot.send(ANNA, "/menu")
        assert "idea" in payloads(menu)
        assert lv("Idea or concern") in labels(menu)
        assert "inbox" not in payloads(menu)  # residents have no inbox
        [question] = await bot.send(ANNA, "/idea")
        assert AreaChosen(roads).pack() in payloads(question)
        assert "Ceļi un transports" in labels(question)
        assert len([p for p in payloads(question) if p.startswith("ideaarea:")]) == 8
        [prompt] = await bot.press(ANNA, AreaChosen(roads).pack())
        assert "2000" in prompt["text"].replace("\xa0", "").replace(" ", "")

        # a photo with the text as its caption, as Telegram delivers it
        update = bot.api.message_update(ANNA, None, first_name="Ilze Kalniņa")
        update["message"]["photo"] = [
            {"file_id": "small-1", "file_unique_id": "s1", "width": 90, "height": 90},
            {"file_id": "big-1", "file_unique_id": "b1", "width": 1280, "height": 960},
        ]
        update["message"]["caption"] = "Bedre uz ceļa pie skolas, bīstami braukt."
        before = len(api.messages_to(ANNA))
        bot.api.push_raw(update)
        [where] = (await api.wait_for(chat_id=ANNA, count=before + 1))[before:]
        assert payloads(where) == [NO_PLACE, CANCEL]  # the photo came with it: no photo step
        [who] = await bot.send(ANNA, "Skolas iela 3")
        assert payloads(who) == WHO
        [keep] = await bot.press(ANNA, ShowName(False).pack())
        assert payloads(keep) == KEEP
        [preview] = await bot.press(ANNA, KeepText(True).pack())
        assert "Bedre uz ceļa pie skolas" in preview["text"]
        # the village Alsviķi (plural, -i) is declined by the rules: Alsviķu
        assert (
            "To saņems Alsviķu pagasta pārstāvis un Alsviķu uzticības persona." in preview["text"]
        )
        [done] = await bot.press(ANNA, SEND)
        assert "numuru 1." in done["text"]
        # a second tap on Send stores nothing more
        [again] = await bot.press(ANNA, SEND)
        assert lv("That idea is no longer being prepared.") in again["text"]

        [item] = await ideas(bot)
        assert (item.area_id, item.place, item.photo_ref) == (roads, "Skolas iela 3", "big-1")
        assert item.locality_id == alsviki and item.show_author is False and item.keep_text
        assert item.status == "new"

        # the representative and the deputy hear of it, with a button to open it
        for chat in (REP, DEPUTY):
            [notice] = (await api.wait_for(chat_id=chat, predicate=has("A resident wrote: #1")))[
                -1:
            ]
            assert "Alsviķi parish, Roads and transport" in notice["text"]
            assert payloads(notice) == ["ideaitem:1"]
            assert "Bedre" not in notice["text"]  # the text is read in the inbox only
        await asyncio.sleep(0.3)
        assert not any("A resident wrote" in text for text in texts_to(api, REP_ANNAS))

        [listing] = await bot.send(REP, "/inbox")
        assert "#1" in listing["text"] and "Roads and transport" in listing["text"]
        assert "ideaitem:1" in payloads(listing)
        [other] = await bot.send(REP_ANNAS, "/inbox")
        assert "Nothing here." in other["text"] and "ideaitem:1" not in payloads(other)

        text, photo = await bot.press(REP, "ideaitem:1", replies=2)
        assert "Bedre uz ceļa pie skolas" in text["text"]
        assert "Written by: the author asked not to show their name." in text["text"]
        assert "Ilze" not in text["text"]
        assert "Place: Skolas iela 3" in text["text"]
        assert photo["method"] == "sendPhoto" and photo["photo"]["file_id"] == "big-1"
        assert AnswerIdea(1).pack() in payloads(photo)

        # the representative of another unit is refused, also with a crafted button
        for crafted in (
            OpenIdea(1).pack(),
            AnswerIdea(1).pack(),
            SetIdeaStatus(1, IdeaStatus.CLOSED).pack(),
            SameAs(1).pack(),
        ):
            [refused] = await bot.press(REP_ANNAS, crafted)
            assert refused["text"] == REFUSED
        assert len(await refusals(bot)) == 4
        assert (await ideas(bot))[0].status == "new"


async def test_answers_statuses_duplicates_and_refusals(database_url: str) -> None:
    async with fake_telegram_api() as api, ideas_bot(database_url, api) as bot:
        await join(bot, REP, language="en", name="Rita")
        await join(bot, ANNA, name="Ilze Kalniņa")
        await join(bot, CARL, name="Kārlis")
        await give(bot, REP, Role.REPRESENTATIVE, unit="alsviku")

        first = await submit(
            bot, ANNA, "Vajag soliņu pie bibliotēkas.", area="improvement", show=True
        )
        second = await submit(bot, CARL, "Soliņš pie bibliotēkas būtu labi.", area="improvement")
        await delivered(bot)

        [text] = await bot.press(REP, f"ideaitem:{first}")
        assert "Written by: Ilze Kalniņa" in text["text"]
        assert payloads(text)[:2] == [
            AnswerIdea(first).pack(),
            SetIdeaStatus(first, IdeaStatus.IN_PROGRESS).pack(),
        ]

        # a status change reaches the author in their language
        await bot.press(REP, SetIdeaStatus(first, IdeaStatus.IN_PROGRESS).pack())
        in_progress = lv(
            "Your idea or concern No. {id} ({area}) is now: {status}.",
            id=first,
            area="Labiekārtošana un tīrība",
            status=lv("in progress"),
        )
        await api.wait_for(chat_id=ANNA, predicate=has(in_progress))

        # the answer goes through the bot
        [ask] = await bot.press(REP, AnswerIdea(first).pack())
        assert "2000" in ask["text"].replace(",", "")
        [sent] = await bot.send(REP, "Paldies! Soliņu uzliksim maijā.")
        assert f"Your answer to #{first} goes to the resident." in sent["text"]
        [notice] = (await api.wait_for(chat_id=ANNA, predicate=has("Soliņu uzliksim maijā.")))[-1:]
        assert notice["text"].startswith(
            lv(
                "An answer to your idea or concern No. {id} ({area}):\n\n{answer}",
                id=first,
                area="Labiekārtošana un tīrība",
                answer="",
            )
        )
        assert payloads(notice) == ["myideas"]
        [mine] = await bot.send(ANNA, "/myideas")
        assert lv("Status: {status}", status=lv("answered")) in mine["text"]
        assert "Soliņu uzliksim maijā." in mine["text"]
        assert "Soliņš pie bibliotēkas" not in mine["text"]  # Carl's, not hers

        # the second is the same as the first: asked, shown and confirmed before anything
        # is stored or anyone is told
        [ask] = await bot.press(REP, SameAs(second).pack())
        assert payloads(ask) == [OpenIdea(second).pack()]  # Back to the item
        [wrong] = await bot.send(REP, "#999")
        assert "There is no other item with that number" in wrong["text"]
        assert ask["text"] in wrong["text"] and payloads(wrong) == payloads(ask)
        [confirm] = await bot.send(REP, f"#{first}")
        assert f"Mark #{second} as the same as #{first}?" in confirm["text"]
        assert "Soliņš pie bibliotēkas" in confirm["text"]
        assert "Vajag soliņu pie bibliotēkas." in confirm["text"]
        assert payloads(confirm) == [ConfirmSameAs(second, first).pack(), OpenIdea(second).pack()]
        assert (await ideas(bot))[1].status == "new"
        # Back leaves it as it was
        [back] = await bot.press(REP, OpenIdea(second).pack())
        assert f"#{second} · new" in back["text"]
        # a resident's crafted press of Yes is refused and changes nothing
        [refused] = await bot.press(CARL, ConfirmSameAs(second, first).pack())
        assert refused["text"] == lv(REFUSED)
        assert (await ideas(bot))[1].status == "new"
        [marked] = await bot.press(REP, ConfirmSameAs(second, first).pack())
        assert f"#{second} is marked as the same as #{first}." in marked["text"]
        assert payloads(marked) == [OpenIdea(second).pack(), "inbox", "menu"]
        same_as_first = lv("No. {id} ({area})", id=first, area="Labiekārtošana un tīrība")
        await api.wait_for(
            chat_id=CARL,
            predicate=has(
                lv(
                    "Your idea or concern No. {id} is the same as {original}, which the council "
                    "already has. It is dealt with there.",
                    id=second,
                    original=same_as_first,
                )
            ),
        )
        # told of which item in his list too; Anna's words are not his to read
        [his] = await bot.send(CARL, "/myideas")
        assert lv("Status: {status}", status=lv("duplicate")) in his["text"]
        assert lv("The same as {original}.", original=same_as_first) in his["text"]
        assert "Vajag soliņu" not in his["text"]
        await bot.press(REP, SetIdeaStatus(second, IdeaStatus.CLOSED).pack())
        await delivered(bot)
        items = {item.id: item for item in await ideas(bot)}
        assert items[first].status == "answered" and items[first].answered_at is not None
        assert (items[second].status, items[second].duplicate_of_id) == ("closed", None)

        # residents are refused the inbox and every item action, crafted or not
        for user, attempt in (
            (CARL, "/inbox"),
            (CARL, "/areas"),
            (CARL, "/ideasexport"),
        ):
            [refused] = await bot.send(user, attempt)
            assert refused["text"] == lv(REFUSED)
        for crafted in (
            f"ideaitem:{first}",
            f"ideaitem:{second}",  # his own item, but residents do not use the inbox
            AnswerIdea(first).pack(),
            SetIdeaStatus(first, IdeaStatus.CLOSED).pack(),
            ForwardIdea(1, 1).pack(),
            InboxPage(IdeaStatus.NEW).pack(),
            ExportPeriod(Period.MONTH).pack(),
            Areas(1).pack(),
        ):
            [refused] = await bot.press(CARL, crafted)
            assert refused["text"] == lv(REFUSED)
        assert len(await refusals(bot)) == 12
        assert {item.status for item in await ideas(bot)} == {"answered", "closed"}


async def test_the_chair_assigns_areas_and_items_are_forwarded_to_the_member_responsible(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, ideas_bot(database_url, api) as bot:
        await join(bot, CHAIR, unit="annas", language="en", name="Hugo")
        await join(bot, REP, language="en", name="Rita")
        await join(bot, MEMBER, unit="annas", language="en", name="Māris")
        await join(bot, ANNA, name="Ilze Kalniņa")
        await give(bot, CHAIR, Role.CHAIR)
        await give(bot, REP, Role.REPRESENTATIVE, unit="alsviku")
        await give(bot, MEMBER, Role.COUNCIL_MEMBER)
        roads = await area_id(bot, "roads")
        member = await resident_id(bot, MEMBER)
        chair = await resident_id(bot, CHAIR)

        [menu] = await bot.send(CHAIR, "/menu")
        assert {"inbox", "areas"} <= set(payloads(menu))
        [listing] = await bot.send(CHAIR, "/areas")
        assert Areas(roads).pack() in payloads(listing)
        [area] = await bot.press(CHAIR, Areas(roads).pack())
        assert ToggleAreaMember(roads, member).pack() in payloads(area)
        [area] = await bot.press(CHAIR, ToggleAreaMember(roads, member).pack())
        assert "✓ Māris" in labels(area)
        await bot.press(CHAIR, AskSpecialist(roads).pack())
        [area] = await bot.send(CHAIR, "Jānis Bērziņš; +371 20000000")
        assert "Outside specialist for this area: Jānis Bērziņš, +371 20000000" in area["text"]
        # the representative may not give areas, also not with a crafted button
        [refused] = await bot.press(REP, ToggleAreaMember(roads, member).pack())
        assert refused["text"] == REFUSED
        # only council members can be given an area
        [refused] = await bot.press(
            CHAIR, ToggleAreaMember(roads, await resident_id(bot, ANNA)).pack()
        )
        assert refused["text"] == REFUSED

        number = await submit(bot, ANNA, "Grants ceļš pie Ezeriņiem ir izbraukts.")
        await delivered(bot)
        # not yet forwarded: the council member may not read it
        [refused] = await bot.press(MEMBER, f"ideaitem:{number}")
        assert refused["text"] == REFUSED
        [listing] = await bot.send(MEMBER, "/inbox")
        assert "Nothing here." in listing["text"]

        [item] = await bot.press(REP, f"ideaitem:{number}")
        assert "Outside specialist for this area: Jānis Bērziņš, +371 20000000" in item["text"]
        assert ForwardIdea(number, member).pack() in payloads(item)
        # forwarding to someone not responsible for the area is refused
        [refused] = await bot.press(REP, ForwardIdea(number, chair).pack())
        assert refused["text"] == REFUSED
        [done] = await bot.press(REP, ForwardIdea(number, member).pack())
        assert f"#{number} is forwarded to Māris." in done["text"]

        [notice] = (await api.wait_for(chat_id=MEMBER, predicate=has("Forwarded to you")))[-1:]
        assert payloads(notice) == [f"ideaitem:{number}"]
        [opened] = await bot.press(MEMBER, f"ideaitem:{number}")
        assert "Grants ceļš pie Ezeriņiem" in opened["text"]
        assert "Forwarded to: Māris" in opened["text"]
        assert "Jānis Bērziņš" in opened["text"]
        await api.wait_for(
            chat_id=ANNA,
            predicate=has(
                lv(
                    "Your idea or concern No. {id} ({area}) is now: {status}.",
                    id=number,
                    area="Ceļi un transports",
                    status=lv("forwarded"),
                )
            ),
        )
        # the member answers; the chair reads everything
        await bot.press(MEMBER, AnswerIdea(number).pack())
        await bot.send(MEMBER, "Ceļu greiders nolīdzinās nākamnedēļ.")
        await api.wait_for(chat_id=ANNA, predicate=has("Ceļu greiders"))
        [listing] = await bot.send(CHAIR, "/inbox")
        assert f"ideaitem:{number}" in payloads(listing)
        [answered] = await bot.press(CHAIR, InboxPage(IdeaStatus.ANSWERED).pack())
        assert f"ideaitem:{number}" in payloads(answered)
        [other_area] = await bot.press(CHAIR, InboxPage(None, await area_id(bot, "youth")).pack())
        assert f"ideaitem:{number}" not in payloads(other_area)
        async with bot.app.sessionmaker() as session:
            members = list(await session.scalars(select(AreaMember)))
        assert [(m.area_id, m.resident_id) for m in members] == [(roads, member)]


async def store_idea(
    bot: RunningBot,
    user: int,
    text: str,
    *,
    area: str = "roads",
    age_days: float = 0,
    key: str | None = None,
    **extra: Any,
) -> int:
    """An idea as if written through the chat `age_days` ago (with the flow's `key`)."""
    now = utcnow() - timedelta(days=age_days)
    async with bot.app.sessionmaker() as session, session.begin():
        author = await session.get(Resident, await resident_id(bot, user))
        place = await area_by_slug(session, area)
        assert author is not None and place is not None
        item, _ = await submit_idea(
            session,
            author=author,
            area=place,
            text=text,
            place=None,
            photo_ref=None,
            photo_channel=None,
            show_author=False,
            keep_text=False,
            submission_key=key or uuid.uuid4().hex,
            now=now,
        )
        for key, value in extra.items():
            setattr(item, key, value)
        return item.id


async def test_the_weekly_digest_goes_once_to_each_representative_and_the_chair(
    database_url: str,
) -> None:
    from handlers import scheduled_jobs
    from handlers.ideas.digest import digest_week, weekly_digest

    assert "ideas_weekly_digest" in [job.name for job in scheduled_jobs()]
    today = utcnow().astimezone(RIGA).isoweekday()
    async with (
        fake_telegram_api() as api,
        ideas_bot(database_url, api, ideas_digest_weekday=today, ideas_digest_hour=0) as bot,
    ):
        await join(bot, CHAIR, unit="annas", language="en", name="Hugo")
        await join(bot, REP, language="en", name="Rita")
        await join(bot, REP_ANNAS, unit="annas", language="en", name="Roberts")
        await join(bot, ANNA, name="Ilze")
        await join(bot, BERTA, unit="annas", name="Berta")
        await give(bot, CHAIR, Role.CHAIR)
        await give(bot, REP, Role.REPRESENTATIVE, unit="alsviku")
        await give(bot, REP_ANNAS, Role.REPRESENTATIVE, unit="annas")
        fresh = await store_idea(bot, ANNA, "Bedre", area="roads")
        waiting = await store_idea(bot, ANNA, "Lampas", area="improvement", age_days=10)
        answered = await store_idea(
            bot, ANNA, "Soliņš", area="improvement", age_days=12, status="answered"
        )
        await store_idea(bot, BERTA, "Koris", area="culture", age_days=1)
        old_messages = {chat: len(api.messages_to(chat)) for chat in (CHAIR, REP, REP_ANNAS)}

        context = JobContext(bot.app.sessionmaker, bot.settings, utcnow())
        await weekly_digest(context)
        digests = {}
        for chat in (CHAIR, REP, REP_ANNAS):
            messages = await api.wait_for(chat_id=chat, count=old_messages[chat] + 1)
            [digests[chat]] = messages[old_messages[chat] :]
            assert digests[chat]["text"].startswith("Residents' ideas and concerns, the week")
            assert payloads(digests[chat]) == ["inbox"]
        rep = digests[REP]["text"]
        assert "1 new item." in rep
        assert "Alsviķi parish: Roads and transport 1" in rep
        assert "1 item has waited more than 7 days for an answer:" in rep
        assert f"#{waiting} · Alsviķi parish · Local improvement and cleanliness" in rep
        assert f"#{answered} " not in rep and "Anna parish" not in rep
        assert f"#{fresh} " not in rep  # new this week, not waiting yet
        chair = digests[CHAIR]["text"]
        assert "2 new items." in chair
        assert "Anna parish: Culture and heritage 1" in chair and f"#{waiting} " in chair
        assert "Anna parish: Culture and heritage 1" in digests[REP_ANNAS]["text"]
        assert "Alsviķi" not in digests[REP_ANNAS]["text"]

        # the next tick, or a restarted scheduler, finds this week done
        await weekly_digest(JobContext(bot.app.sessionmaker, bot.settings, utcnow()))
        restarted = bot.app.broadcasting(tick_seconds=0.1)
        await restarted.run_jobs()
        await asyncio.sleep(0.3)
        for chat in (CHAIR, REP, REP_ANNAS):
            assert len(api.messages_to(chat)) == old_messages[chat] + 1
        async with bot.app.sessionmaker() as session:
            [row] = list(await session.scalars(select(IdeaDigest)))
        assert row.recipients == 3

    # not before the weekday and hour set for it
    settings = bot.settings.model_copy(update={"ideas_digest_weekday": 3, "ideas_digest_hour": 9})
    wednesday_morning = datetime(2026, 11, 25, 6, 59, tzinfo=UTC)  # 08:59 in Riga
    assert digest_week(wednesday_morning, settings) is None
    assert digest_week(wednesday_morning + timedelta(minutes=1), settings) is not None
    assert digest_week(datetime(2026, 11, 29, 20, 0, tzinfo=UTC), settings) == (
        "2026-W48",
        datetime(2026, 11, 25, 9, 0, tzinfo=RIGA),
    )


async def test_exports_in_chat_by_unit_and_area_as_xlsx_and_csv(database_url: str) -> None:
    async with fake_telegram_api() as api, ideas_bot(database_url, api) as bot:
        await join(bot, COORDINATOR, unit="annas", language="en", name="Kora")
        await join(bot, REP, language="en", name="Rita")
        await join(bot, ANNA, name="Ilze Kalniņa")
        await join(bot, BERTA, unit="annas", name="Berta")
        await give(bot, REP, Role.REPRESENTATIVE, unit="alsviku")
        annas = await store_idea(bot, BERTA, "Kora mēģinājumiem vajag telpu.", area="culture")
        roads = await store_idea(bot, ANNA, "Ceļš pie Ezeriņiem ir izbraukts.", area="roads")
        culture = await store_idea(bot, ANNA, "Muzejam vajag norādi.", area="culture")
        await store_idea(bot, ANNA, "Pērnā gada ideja.", area="culture", age_days=400)

        [period] = await bot.send(COORDINATOR, "/ideasexport")
        assert payloads(period) == [*(ExportPeriod(p).pack() for p in Period), "inbox"]
        [fmt] = await bot.press(COORDINATOR, ExportPeriod(Period.MONTH).pack())
        assert payloads(fmt) == [ExportFormat(f).pack() for f in FileFormat] + ["ideaexp"]
        note, file = await bot.press(COORDINATOR, ExportFormat(FileFormat.XLSX).pack(), replies=2)
        assert note["text"] == "3 items in the file."
        assert file["document"]["filename"].endswith(".xlsx")
        book = load_workbook(io.BytesIO(file["document"]["content"]))
        assert book.sheetnames == ["Ideas and concerns", "By parish and area"]
        rows = list(book["Ideas and concerns"].iter_rows(values_only=True))
        assert rows[0][:6] == (
            "No.",
            "Received",
            "Parish or town",
            "Village or neighbourhood",
            "Area",
            "Status",
        )
        # by unit (the official order), then by area (in the order residents see them)
        assert [row[0] for row in rows[1:]] == [culture, roads, annas]
        assert rows[2][2:8] == (
            "Alsviķi parish",  # as the coordinator reads it, in English
            None,
            "Roads and transport",
            "new",
            None,
            "Ceļš pie Ezeriņiem ir izbraukts.",
        )
        assert rows[2][10] == "name not shown"
        summary = list(book["By parish and area"].iter_rows(values_only=True))
        culture_column = summary[0].index("Culture and heritage")
        roads_column = summary[0].index("Roads and transport")
        by_unit = {row[0]: row for row in summary[1:]}
        assert by_unit["Alsviķi parish"][roads_column] == 1
        assert by_unit["Alsviķi parish"][culture_column] == 1
        assert by_unit["Anna parish"][culture_column] == 1
        assert by_unit["Total"][-1] == 3

        # a typed period, as CSV; the representative gets their own unit's items only
        await bot.send(REP, "/ideasexport")
        [fmt] = await bot.send(REP, "01.01.2020–31.12.2099")
        note, file = await bot.press(REP, ExportFormat(FileFormat.CSV).pack(), replies=2)
        assert file["document"]["filename"] == "padome-ideas-2020-01-01-2099-12-31.csv"
        content = file["document"]["content"].decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(content)))
        assert table[0][0] == "No."
        assert [int(row[0]) for row in table[1:]] == [culture + 1, culture, roads]  # by time
        assert "Kora" not in content and "Pērnā gada ideja." in content
        await bot.send(REP, "/ideasexport")
        [again] = await bot.send(REP, "vakar")
        assert "Please write the period like" in again["text"]


async def test_erasure_keeps_the_text_only_when_the_author_allowed_it(database_url: str) -> None:
    async with fake_telegram_api() as api, ideas_bot(database_url, api) as bot:
        await join(bot, REP, language="en", name="Rita")
        await join(bot, ANNA, name="Ilze Kalniņa")
        await give(bot, REP, Role.REPRESENTATIVE, unit="alsviku")
        kept = await submit(bot, ANNA, "Parkā vajag atkritumu urnas.", place="Parks", keep=True)
        erased = await submit(
            bot, ANNA, "Kaimiņš Jānis dedzina atkritumus.", place="Ozolu iela 2", show=True
        )
        await bot.press(REP, AnswerIdea(erased).pack())
        await bot.send(REP, "Paldies, nodosim pašvaldības policijai.")
        await delivered(bot)

        _, file = await bot.send(ANNA, "/mydata", replies=2)
        data = json.loads(file["document"]["content"].decode("utf-8"))
        assert [item["id"] for item in data["ideas"]] == [erased, kept]
        assert data["ideas"][0]["answers"][0]["text"] == "Paldies, nodosim pašvaldības policijai."
        assert data["ideas"][1]["text_stays_after_erasure"] is True

        # The question says what stays, without the name.
        [asked] = await bot.send(ANNA, "/forget")
        assert (
            lv(
                "The texts of the ideas you allowed to keep stay with the council, "
                "without your name."
            )
            in asked["text"]
        )
        await bot.press(ANNA, "forget:yes")

        items = {item.id: item for item in await ideas(bot)}
        assert items[kept].author_id is None and items[erased].author_id is None
        assert (items[kept].text, items[kept].place) == ("Parkā vajag atkritumu urnas.", "Parks")
        assert (items[erased].text, items[erased].place) == (None, None)
        async with bot.app.sessionmaker() as session:
            answers = await session.scalar(select(func.count()).select_from(IdeaAnswer))
        assert answers == 0
        [view] = await bot.press(REP, f"ideaitem:{erased}")
        assert "(the text was erased at the author's request)" in view["text"]
        assert "Written by: the author has erased their data." in view["text"]
        assert "Ilze" not in view["text"] and "Jānis" not in view["text"]
        assert not any(p.startswith("ideaans:") for p in payloads(view))
        [view] = await bot.press(REP, f"ideaitem:{kept}")
        assert "Parkā vajag atkritumu urnas." in view["text"]
        # an answer typed after the author left reaches nobody and is not stored
        await bot.press(REP, AnswerIdea(kept).pack())
        [note] = await bot.send(REP, "Urnas būs.")
        assert "The author has erased their data" in note["text"]


async def test_a_send_handled_twice_at_once_stores_one_idea(database_url: str) -> None:
    async with fake_telegram_api() as api, ideas_bot(database_url, api) as bot:
        await join(bot, ANNA, name="Ilze")
        sends = (store_idea(bot, ANNA, "Bedre", key="one-flow") for _ in range(20))
        numbers = await asyncio.gather(*sends)
        assert len(set(numbers)) == 1
        async with bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Idea)) == 1


async def test_staff_edit_areas_and_export_from_the_command_line(
    database_url: str, tmp_path: Path
) -> None:
    def padome(*args: str) -> subprocess.CompletedProcess[str]:
        return run_padome(list(args), stdin="", database_url=database_url, cwd=tmp_path)

    # one fake Bot API for both runs of the bot: its update ids go on
    stack = AsyncExitStack()
    async with stack:
        await _staff_at_the_command_line(padome, stack, database_url, tmp_path)


async def _staff_at_the_command_line(
    padome: Any, stack: AsyncExitStack, database_url: str, tmp_path: Path
) -> None:
    api = await stack.enter_async_context(fake_telegram_api())
    async with ideas_bot(database_url, api) as bot:
        await join(bot, MEMBER, language="en", name="Māris")
        await join(bot, ANNA, name="Ilze Kalniņa")
        await join(bot, BERTA, unit="annas", name="Berta")
        await store_idea(bot, ANNA, "Ceļš pie Ezeriņiem ir izbraukts.", area="roads")
        await store_idea(bot, BERTA, "Korim vajag telpu.", area="culture")
        await give(bot, MEMBER, Role.COUNCIL_MEMBER)

    added = padome("areas", "add", "sport", "--lv", "Sports", "--ru", "Спорт", "--en", "Sport")
    assert added.returncode == 0, added.stderr
    renamed = padome("areas", "rename", "sport", "--lv", "Sports un veselība")
    assert "Sports un veselība" in renamed.stdout
    assert padome("areas", "hide", "youth").returncode == 0
    specialist = padome(
        "areas", "specialist", "roads", "--name", "Jānis Bērziņš", "--contact", "+371 20000000"
    )
    assert specialist.returncode == 0, specialist.stderr
    assigned = padome("areas", "assign", "roads", f"tg:{MEMBER}")
    assert assigned.stdout.strip() == "Assigned.", assigned.stderr
    listed = padome("areas", "list")
    assert "sport" in listed.stdout and f"tg:{MEMBER}" in listed.stdout

    async with ideas_bot(database_url, api) as bot:
        [question] = await bot.send(ANNA, "/idea")
        assert "Sports un veselība" in labels(question)
        assert "Jaunieši" not in labels(question)  # hidden: no longer offered
        [listing] = await bot.send(MEMBER, "/inbox")
        assert "Nothing here." in listing["text"]  # responsible, but nothing forwarded yet

    today = utcnow().astimezone(RIGA).strftime("%d.%m.%Y")
    csv_file = tmp_path / "ideas.csv"
    exported = padome(
        "ideas",
        "export",
        "--from",
        "01.01.2026",
        "--to",
        today,
        "--format",
        "csv",
        "--output",
        str(csv_file),
    )
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 2 items" in exported.stdout
    written = csv_file.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(written, newline=""), delimiter=";"))  # Latvian
    assert rows[0][:3] == ["Nr.", "Saņemts", "Pagasts vai pilsēta"]
    assert [row[2] for row in rows[1:]] == ["Alsviķu pagasts", "Annas pagasts"]
    assert rows[1][7] == "Ceļš pie Ezeriņiem ir izbraukts."
    russian = padome(
        "ideas",
        "export",
        "--from",
        "01.01.2026",
        "--to",
        today,
        "--format",
        "csv",
        "--language",
        "ru",
        "--output",
        str(csv_file),
    )
    assert russian.returncode == 0, russian.stderr
    written = csv_file.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(written, newline=""), delimiter=";"))
    assert rows[0][2] == "Волость или город"
    # the parish as Russian-language readers know it, not the Latvian name
    assert [row[2] for row in rows[1:]] == ["Алсвикская волость", "Аннинская волость"]
    xlsx = padome("ideas", "export", "--from", "01.01.2026", "--to", today, "--language", "en")
    assert xlsx.returncode == 0, xlsx.stderr
    written = re.search(r"to (padome-ideas-2026-01-01-[\d-]+\.xlsx)\.", xlsx.stdout)
    assert written is not None, xlsx.stdout
    book = load_workbook(tmp_path / written.group(1))
    assert book.sheetnames == ["Ideas and concerns", "By parish and area"]


def pressable(reply: Any) -> list[str]:
    return [button.payload for button in reply.options]


async def console_role(app: Any, user: str, role: Role, unit: str | None = None) -> int:
    async with app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "console", user)
        assert identity is not None
        place = await unit_by_slug(session, unit) if unit else None
        await grant_role(session, resident=identity.resident, role=role, unit=place)
        return identity.resident_id


async def console_idea(chat: Chat, user: str, text: str) -> Any:
    """Write an idea on the console, where the messenger gives no name, up to the question
    whether the representative may see who wrote it; that question."""
    await chat.say(user, "/idea")
    async with chat.app.sessionmaker() as session:
        roads = await area_by_slug(session, "roads")
        assert roads is not None
    await chat.say(user, payload=AreaChosen(roads.id).pack())
    await chat.say(user, text)
    await chat.say(user, payload=NO_PHOTO)
    return await chat.say(user, payload=NO_PLACE)


async def test_people_are_shown_by_the_name_they_allowed_not_by_number(chat: Chat) -> None:
    """On the console (and SMS) the messenger gives no name: the author who lets their
    representative see who wrote it is asked which name; council members are shown by name
    or, without one, by their office; nobody as "#5"."""
    for user in ("rep", "anna", "berta", "admin"):
        await chat.onboard(user)
    rep = await console_role(chat.app, "rep", Role.REPRESENTATIVE, "alsviku")

    await console_idea(chat, "anna", "A bench by the library.")
    asked = await chat.say("anna", payload=ShowName(True).pack())
    assert "Which name may your representative see?" in asked.text
    assert pressable(asked) == [DraftStep(Draft.WHO).pack()]  # Back to the question
    blank = await chat.say("anna", "1234")
    assert "Please write your name in letters." in blank.text and asked.text in blank.text
    keep = await chat.say("anna", "Anna Bērziņa")
    assert pressable(keep) == KEEP
    preview = await chat.say("anna", payload=KeepText(False).pack())
    assert "Your name is shown: yes (Anna Bērziņa)" in preview.text
    sent = await chat.say("anna", payload=SEND)
    assert "It is registered as No. 1." in sent.text
    assert pressable(sent) == ["myideas", "idea", "menu"]
    # Her data names the name she wrote as hers, not as one her messenger gave.
    mydata = await chat.say("anna", "/mydata")
    assert "Your name: Anna Bērziņa" in mydata.text

    await console_idea(chat, "berta", "Too dark in the park.")
    await chat.say("berta", payload=ShowName(False).pack())
    await chat.say("berta", payload=KeepText(False).pack())
    await chat.say("berta", payload=SEND)

    opened = await chat.say("rep", payload=OpenIdea(1).pack())
    assert "Written by: Anna Bērziņa" in opened.text and "#1:" not in opened.text
    hidden = await chat.say("rep", payload=OpenIdea(2).pack())
    assert "Written by: the author asked not to show their name." in hidden.text
    async with chat.app.sessionmaker() as session:
        author = await find_identity(session, "console", "anna")
        assert author is not None and author.resident.display_name == "Anna Bērziņa"

    # the areas: a council member whose messenger gives no name is shown by their office
    async with chat.app.sessionmaker() as session:
        roads = await area_by_slug(session, "roads")
        assert roads is not None
    area = await chat.say("admin", payload=Areas(roads.id).pack())
    member = next(b for b in area.options if b.payload == ToggleAreaMember(roads.id, rep).pack())
    assert member.label == "parish or town representative, Alsviķi parish"
    await chat.say("admin", payload=member.payload)
    listing = await chat.say("admin", "/areas")
    assert "Roads and transport: parish or town representative, Alsviķi parish" in listing.text
    assert f"#{rep}" not in listing.text
    assert pressable(listing)[-1] == "menu"


async def test_every_ideas_screen_offers_the_way_on_and_back(chat: Chat) -> None:
    for user in ("rep", "anna"):
        await chat.onboard(user)
    await console_role(chat.app, "rep", Role.REPRESENTATIVE, "alsviku")
    await console_idea(chat, "anna", "A bench by the library.")
    await chat.say("anna", payload=ShowName(False).pack())
    await chat.say("anna", payload=KeepText(False).pack())
    await chat.say("anna", payload=SEND)

    # the inbox and its filters
    listing = await chat.say("rep", "/inbox")
    assert "menu" in pressable(listing)
    for by in (Filter.STATUS, Filter.AREA):
        question = await chat.say("rep", payload=ChooseFilter(by).pack())
        assert pressable(question)[-1] == InboxPage().pack()
    # an answer: asked with a way back, then the item, the list and the menu
    ask = await chat.say("rep", payload=AnswerIdea(1).pack())
    assert pressable(ask) == [OpenIdea(1).pack()]
    over = await chat.say("rep", "x" * 2001)
    assert "at most 2,000 characters" in over.text and ask.text in over.text
    done = await chat.say("rep", "Thank you, we will see to it.")
    assert pressable(done) == [OpenIdea(1).pack(), "inbox", "menu"]
    # an export: after the file, another file, the list or the menu
    await chat.say("rep", payload=ExportPeriod().pack())
    await chat.say("rep", payload=ExportPeriod(Period.WEEK).pack())
    [note, *_] = [
        item.reply
        for item in await chat.send("rep", payload=ExportFormat(FileFormat.CSV).pack())
        if item.reply.attachment is not None
    ]
    assert pressable(note) == [ExportPeriod().pack(), "inbox", "menu"]
    # a refusal offers the menu
    refused = await chat.say("anna", payload=InboxPage().pack())
    assert refused.text == REFUSED and pressable(refused) == ["menu"]
    # the place, over its limit: named, and the question again with Skip and Cancel
    await chat.say("anna", "/idea")
    async with chat.app.sessionmaker() as session:
        roads = await area_by_slug(session, "roads")
        assert roads is not None
    await chat.say("anna", payload=AreaChosen(roads.id).pack())
    await chat.say("anna", "Another one.")
    place = await chat.say("anna", payload=NO_PHOTO)
    too_long = await chat.say("anna", "y" * 301)
    assert "at most 300 characters" in too_long.text and place.text in too_long.text
    assert pressable(too_long) == [NO_PLACE, CANCEL]
    cancelled = await chat.say("anna", payload=CANCEL)
    assert "Nothing was sent." in cancelled.text and "idea" in pressable(cancelled)


async def test_a_photo_and_its_text_may_come_one_after_the_other(app: App) -> None:
    """Nobody has to know what a caption is: the photo and the text come in two messages,
    in either order; where no photo can be sent (SMS) none is asked for."""
    whatsapp, sms = Chat(app, "whatsapp"), Chat(app, "sms")
    await whatsapp.onboard("+37126000001")
    await sms.onboard("+37126000002")
    async with app.sessionmaker() as session:
        roads = await area_by_slug(session, "roads")
        assert roads is not None

    await whatsapp.say("+37126000001", "/idea")
    asked = await whatsapp.say("+37126000001", payload=AreaChosen(roads.id).pack())
    assert asked.text.endswith("You may also add one photo: send it now, or after the text.")
    assert "caption" not in asked.text
    photo = Attachment("bedre.jpg", b"\xff\xd8jpeg", kind="photo", mime_type="image/jpeg")
    [thanks] = await app.dialog.handle(
        Incoming(
            channel="whatsapp",
            user_id="+37126000001",
            chat_id="+37126000001",
            attachment=replace(photo, file_ref="MM1"),
        )
    )
    assert thanks.reply.text.startswith("Thank you for the photo. Now please write the text.")
    assert "add one photo" not in thanks.reply.text
    where = await whatsapp.say("+37126000001", "Bedre pie skolas.")
    assert where.text.startswith("Where is it?") and "Or choose Skip." in where.text
    await whatsapp.say("+37126000001", payload=DraftStep(Draft.NO_PLACE).pack())
    await whatsapp.say("+37126000001", payload=ShowName(False).pack())
    preview = await whatsapp.say("+37126000001", payload=KeepText(False).pack())
    assert "Text: Bedre pie skolas." in preview.text and "Photo: yes" in preview.text

    await sms.say("+37126000002", "/idea")
    asked = await sms.say("+37126000002", payload=AreaChosen(roads.id).pack())
    assert asked.text.startswith("Write it in your own words") and "photo" not in asked.text
    where = await sms.say("+37126000002", "Bedre pie skolas.")
    assert where.text.startswith("Where is it?")  # no photo step by SMS


async def test_the_check_screen_lets_the_author_change_the_text_and_keeps_the_rest(
    chat: Chat, app: App
) -> None:
    await chat.onboard("anna")
    await console_idea(chat, "anna", "A bench by the libary.")
    await chat.say("anna", payload=ShowName(False).pack())
    check = await chat.say("anna", payload=KeepText(False).pack())
    assert "Please check it:" in check.text
    change = DraftStep(Draft.CHANGE_TEXT).pack()
    assert pressable(check) == [SEND, change, CANCEL]
    ask = await chat.say("anna", payload=change)
    assert "Write it in your own words" in ask.text
    again = await chat.say("anna", "A bench by the library.")
    assert "Please check it:" in again.text
    assert "Text: A bench by the library." in again.text
    assert "The text stays if you erase your data: no" in again.text
    await chat.say("anna", payload=SEND)
    async with app.sessionmaker() as session:
        assert await session.scalar(select(Idea.text)) == "A bench by the library."


async def test_the_location_hint_is_not_shown_where_a_location_cannot_be_sent(chat: Chat) -> None:
    """The console, like SMS, cannot share a location: the place question asks for words."""
    await chat.onboard("anna")
    await chat.say("anna", "/idea")
    async with chat.app.sessionmaker() as session:
        roads = await area_by_slug(session, "roads")
        assert roads is not None
    await chat.say("anna", payload=AreaChosen(roads.id).pack())
    await chat.say("anna", "A bench by the library.")
    place = await chat.say("anna", payload=NO_PHOTO)
    assert "Where is it?" in place.text
    assert "📎" not in place.text and "location" not in place.text.lower()


@pytest.mark.parametrize(
    ("language", "label", "area"),
    [("Latviešu", "Joma: Ceļi", "Ceļi"), ("Русский", "Область: ", ""), ("English", "Area: ", "")],
)
async def test_the_summary_names_the_area_with_the_glossarys_word(
    chat: Chat, language: str, label: str, area: str
) -> None:
    await chat.onboard("anna", language=language)
    await console_idea(chat, "anna", "Bedre Dzirnavu ielā.")
    await chat.say("anna", payload=ShowName(False).pack())
    preview = await chat.say("anna", payload=KeepText(False).pack())
    lines = preview.text.splitlines()
    assert any(line.startswith(label) for line in lines), preview.text
    assert area in preview.text
    assert not any(line.startswith(("Tēma", "Тема", "About")) for line in lines)
