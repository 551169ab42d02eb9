"""Nominations end to end on Telegram: rounds, candidates, consent, support, paperwork."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.dialog.engine import DialogEngine
from bot.dialog.messages import Incoming
from bot.i18n import PlaceName, Translator
from broadcasts.service import JobContext
from handlers import build_flows
from handlers.nominations import PAPER_NOTE, progress, run_rounds
from handlers.nominations.texts import share_text
from models.audit import audit_entries
from models.base import utcnow
from models.broadcasts import Broadcast, Status
from models.codes import ALPHABET as CODE_ALPHABET
from models.nominations import (
    Nomination,
    NominationRound,
    Refused,
    Support,
    add_paper_support,
    add_support,
    create_round,
    get_nomination,
    nominate,
)
from models.residents import Resident, find_identity
from models.territory import unit_by_slug
from padome.app import App, open_app
from tests.chat import Chat
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegramAPI, payloads
from tests.telegram import RunningBot, fake_telegram_api
from tests.test_broadcasts import has_text, running, until_status
from tests.test_console import run_padome

COORDINATOR = 900
ANNA, BERTA, CARL, DACE, EDGARS, FRANCIS = 1001, 1002, 1003, 1004, 1005, 1006
RIGA = ZoneInfo("Europe/Riga")
BOT_USERNAME = "padome_test_bot"


# The units' Latvian names with the case forms migration 0011 gives them.
ALSVIKU = PlaceName(
    "Alsviķu pagasts",
    {
        "gen": "Alsviķu pagasta",
        "dat": "Alsviķu pagastam",
        "loc": "Alsviķu pagastā",
        "acc": "Alsviķu pagastu",
    },
)
ANNAS = PlaceName(
    "Annas pagasts",
    {
        "gen": "Annas pagasta",
        "dat": "Annas pagastam",
        "loc": "Annas pagastā",
        "acc": "Annas pagastu",
    },
)


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=RIGA)._(message, **values)


def lv_progress(count: int, needed: int) -> str:
    return progress(Translator("lv", timezone=RIGA), count, needed)


def nominating(database_url: str, api: FakeTelegramAPI) -> Any:
    """The bot with the broadcast service (and so the round job), admin COORDINATOR."""
    return running(database_url, api, telegram_bot_username=BOT_USERNAME)


async def resident_id(bot: RunningBot, user: int) -> int:
    async with bot.app.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(user))
        assert identity is not None
        return identity.resident_id


async def make_round(
    bot: RunningBot,
    *,
    units: tuple[str, ...] | None = ("alsviku",),
    supporters: int = 3,
    multiple: bool = False,
) -> int:
    """A round starting now; the scheduler job opens it on its next tick."""
    async with bot.app.sessionmaker() as session, session.begin():
        unit_ids = None
        if units is not None:
            unit_ids = [(await unit_by_slug(session, slug)).id for slug in units]  # type: ignore[union-attr]
        now = utcnow()
        item = await create_round(
            session,
            unit_ids=unit_ids,
            starts_at=now,
            ends_at=now + timedelta(days=14),
            now=now,
            supporters_needed=supporters,
            multiple_support=multiple,
        )
        round_id = item.id
    await until_round(bot, round_id, "open")
    # The opening is announced to the residents, a message per parish or town; let them
    # arrive before anyone talks.
    async with bot.app.sessionmaker() as session:
        announcements = list(await session.scalars(select(Broadcast.id)))
    assert announcements
    for announcement in announcements:
        await until_status(bot, announcement, Status.DONE.value)
    return round_id


async def until_round(bot: RunningBot, round_id: int, status: str) -> NominationRound:
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        async with bot.app.sessionmaker() as session:
            item = await session.get(NominationRound, round_id)
            assert item is not None
            if item.status == status:
                return item
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"round {round_id} is still {item.status}")
        await asyncio.sleep(0.05)


async def end_round(bot: RunningBot, round_id: int) -> None:
    """Time passes: the round's end is now behind us; the scheduler closes it."""
    async with bot.app.sessionmaker() as session, session.begin():
        item = await session.get(NominationRound, round_id)
        assert item is not None
        item.ends_at = utcnow() - timedelta(seconds=1)
    await until_round(bot, round_id, "closed")


async def nomination_named(bot: RunningBot, name: str) -> Nomination:
    async with bot.app.sessionmaker() as session:
        found = await session.scalar(select(Nomination).where(Nomination.candidate_name == name))
        assert found is not None, name
        return found


async def supports_count(bot: RunningBot) -> int:
    async with bot.app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Support)) or 0


async def self_nominate(bot: RunningBot, user: int, about: str) -> list[dict[str, Any]]:
    """Through the menu: Nominations, Nominate, Myself, my messenger name, about me."""
    [screen] = await bot.press(user, "nom")
    assert "nomnew" in payloads(screen)
    assert lv(PAPER_NOTE) in screen["text"]  # said once, here, not on the next screens
    [who] = await bot.press(user, "nomnew")
    assert payloads(who) == ["nomwho:y", "nomwho:n", "nom"]
    assert lv(PAPER_NOTE) not in who["text"]
    [name] = await bot.press(user, "nomwho:y")
    assert payloads(name)[0] == "nommyname"
    await bot.press(user, "nommyname")
    return await bot.send(user, about)


async def support(bot: RunningBot, user: int, code: str, name: str) -> dict[str, Any]:
    """Open the candidate's link, give the name, confirm the declaration."""
    [page] = await bot.send(user, f"/start support_{code}")
    assert lv("Cancel") in [button["text"] for row in page["buttons"] for button in row]
    [declaration] = await bot.send(user, name)
    nomination_id = payloads(declaration)[0].split(":")[1]
    assert payloads(declaration) == [f"supyes:{nomination_id}", f"supno:{nomination_id}"]
    [done] = await bot.press(user, f"supyes:{nomination_id}")
    return done


def confirming(payload: str) -> str:
    """The confirming press of a button that asks first ("supdrop:4:n" -> "supdrop:4:y")."""
    return payload.removesuffix(":n") + ":y"


def test_progress_reads_as_in_latvian_paperwork() -> None:
    assert lv_progress(7, 10) == "7 no 10 atbalstītājiem"
    assert lv_progress(1, 21) == "1 no 21 atbalstītāja"


# --------------------------------------------------------------------------- rounds


async def test_coordinator_opens_a_round_in_chat_and_the_scheduler_opens_and_closes_it(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(COORDINATOR, language="en")
        await bot.onboard(ANNA, unit="alsviku")
        await bot.onboard(CARL, unit="annas")
        [none] = await bot.send(ANNA, "/nominate")
        assert (
            lv("No nomination round has been announced for {unit} yet.", unit=ALSVIKU)
            in none["text"]
        )

        [home] = await bot.press(COORDINATOR, "nomc")
        assert "rndnew" in payloads(home)
        [units] = await bot.press(COORDINATOR, "rndnew")
        assert payloads(units)[:2] == ["rndall", "rndpick"]
        [picker] = await bot.press(COORDINATOR, "rndpick")
        assert len(payloads(picker)) == 17  # 16 units and Cancel
        async with bot.app.sessionmaker() as session:
            alsviku = await unit_by_slug(session, "alsviku")
            assert alsviku is not None
        [picked] = await bot.press(COORDINATOR, f"rndpick:{alsviku.id}")
        assert "rndunits" in payloads(picked)
        [start] = await bot.press(COORDINATOR, "rndunits")
        assert payloads(start) == ["rndstart:now", "rndstart:tomorrow", "nomc"]
        [end] = await bot.press(COORDINATOR, "rndstart:now")
        assert payloads(end) == ["rndend:14", "rndend:30", "nomc"]
        [settings] = await bot.press(COORDINATOR, "rndend:14")
        assert "Supporters needed: 10" in settings["text"]
        assert "Minimum age of supporters: 16" in settings["text"]
        assert "only one candidate" in settings["text"]
        await bot.press(COORDINATOR, "rndset:supporters")
        [wrong] = await bot.send(COORDINATOR, "0")
        assert "Please write a number from 1 to 1,000." in wrong["text"]
        [settings] = await bot.send(COORDINATOR, "5")
        assert "Supporters needed: 5" in settings["text"]
        [settings] = await bot.press(COORDINATOR, "rndset:multiple")
        assert "several candidates" in settings["text"]
        [saved] = await bot.press(COORDINATOR, "rndsave")
        assert "Round #1 opens now: nominating until" in saved["text"]

        item = await until_round(bot, 1, "open")
        assert (item.unit_ids, item.supporters_needed, item.minimum_age, item.multiple_support) == (
            [alsviku.id],
            5,
            16,
            True,
        )
        # The scheduler announced it through the broadcast engine, to the round's unit only.
        opening = lv(
            "Nominations of parish and town representatives on the residents' council are "
            "open until {end}.",
            end=Translator("lv", timezone=RIGA).datetime(item.ends_at),
        )
        [*_, announced] = await api.wait_for(chat_id=ANNA, predicate=has_text(opening))
        assert payloads(announced) == ["nom"]
        # the resident's parish named in the case the sentence needs
        assert (
            "Izvirziet sevi vai citu Alsviķu pagasta iedzīvotāju pārstāvja amatam"
            in (announced["text"])
        )
        assert (
            lv(
                "Signatures and the vote stay on paper: the assistant only gathers nominations and "
                "support and prepares the form for signing."
            )
            in announced["text"]
        )
        await bot.settle()
        assert not any(opening in (message["text"] or "") for message in api.messages_to(CARL))
        # A unit outside the round is told so.
        [outside] = await bot.send(CARL, "/nominate")
        assert (
            lv("No nomination round has been announced for {unit} yet.", unit=ANNAS)
            in outside["text"]
        )

        [who] = await bot.press(ANNA, "nomnew")
        assert payloads(who)[:2] == ["nomwho:y", "nomwho:n"]

        await end_round(bot, 1)
        [closed] = await bot.send(ANNA, "/nominate")
        t = Translator("lv", timezone=RIGA)
        async with bot.app.sessionmaker() as session:
            item = await session.get(NominationRound, 1)
            assert item is not None
        assert (
            lv(
                "The nomination round for {unit} ran from {start} to {end} and is closed.",
                unit=ALSVIKU,
                start=t.datetime(item.starts_at),
                end=t.datetime(item.ends_at),
            )
            in closed["text"]
        )
        # Opened once and announced once, however many ticks went by.
        await asyncio.sleep(0.3)
        assert sum(opening in (m["text"] or "") for m in api.messages_to(ANNA)) == 1


async def test_when_the_round_closes_each_candidate_is_told_their_count_and_what_follows(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(ANNA, first_name="Anna Bērziņa")
        await bot.onboard(BERTA, first_name="Berta Kalna")
        await bot.onboard(CARL, first_name="Kārlis", unit="alsviku")
        await bot.onboard(DACE, first_name="Dace", unit="alsviku")
        round_id = await make_round(bot, supporters=2)
        await self_nominate(bot, ANNA, "Skolotāja.")
        await self_nominate(bot, BERTA, "Zemniece.")
        anna = await nomination_named(bot, "Anna Bērziņa")
        await support(bot, CARL, anna.support_code, "Kārlis Zariņš")
        await support(bot, DACE, anna.support_code, "Dace Ābele")

        await end_round(bot, round_id)

        def closing(count: int) -> str:
            return lv(
                "Nominations in {unit} have closed. Your nomination has {progress}.",
                unit=ALSVIKU,
                progress=lv_progress(count, 2),
            )

        [*_, to_anna] = await api.wait_for(chat_id=ANNA, predicate=has_text(closing(2)))
        assert (
            lv(
                "That is enough. The coordinator prepares the nomination form; you and your "
                "supporters sign it on paper, and the coordinator tells you the result."
            )
            in to_anna["text"]
        )
        [*_, to_berta] = await api.wait_for(chat_id=BERTA, predicate=has_text(closing(0)))
        assert (
            lv(
                "That is fewer than a candidate needs, so the nomination does not go further "
                "this time. Thank you for offering to represent your parish or town."
            )
            in to_berta["text"]
        )
        await bot.settle()
        # Supporters are not candidates, and each candidate is told once.
        for user in (CARL, DACE):
            texts = [m["text"] or "" for m in api.messages_to(user)]
            assert not any(closing(2) in text or closing(0) in text for text in texts)
        told = [m for m in api.messages_to(ANNA) if closing(2) in (m["text"] or "")]
        assert len(told) == 1


async def test_a_coordinator_ends_an_open_round_and_cancels_one_not_started(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(COORDINATOR, language="en")
        await bot.onboard(ANNA, first_name="Anna Bērziņa")
        open_round = await make_round(bot, supporters=2)
        await self_nominate(bot, ANNA, "Skolotāja.")
        async with bot.app.sessionmaker() as session, session.begin():
            later = await create_round(
                session,
                unit_ids=None,
                starts_at=utcnow() + timedelta(days=30),
                ends_at=utcnow() + timedelta(days=40),
                now=utcnow(),
            )
            later_round = later.id

        [home] = await bot.press(COORDINATOR, "nomc")
        assert {f"nomcend:{open_round}:n", f"nomcend:{later_round}:n"} <= set(payloads(home))

        # A resident's crafted button ends nothing, and is written down.
        [refused] = await bot.press(ANNA, f"nomcend:{open_round}:y")
        assert lv("Sorry, you are not allowed to do that.") in refused["text"]
        assert (await until_round(bot, open_round, "open")).ends_at > utcnow()

        [ask] = await bot.press(COORDINATOR, f"nomcend:{later_round}:n")
        assert f"Cancel round #{later_round}?" in ask["text"]
        assert payloads(ask) == [f"nomcend:{later_round}:y", "nomc"]
        [cancelled] = await bot.press(COORDINATOR, f"nomcend:{later_round}:y")
        assert f"Round #{later_round} is cancelled." in cancelled["text"]

        [ask] = await bot.press(COORDINATOR, f"nomcend:{open_round}:n")
        assert f"End round #{open_round} now?" in ask["text"]
        [ended] = await bot.press(COORDINATOR, f"nomcend:{open_round}:y")
        assert f"Round #{open_round} has ended." in ended["text"]
        await until_round(bot, open_round, "closed")
        closing = lv(
            "Nominations in {unit} have closed. Your nomination has {progress}.",
            unit=ALSVIKU,
            progress=lv_progress(0, 2),
        )
        await api.wait_for(chat_id=ANNA, predicate=has_text(closing))

        async with bot.app.sessionmaker() as session:
            assert await session.get(NominationRound, later_round) is None
            actions = [entry.action for entry in await audit_entries(session)]
            [refusal] = await audit_entries(session, action="refused")
        assert "nomination_round_cancelled" in actions and "nomination_round_ended" in actions
        assert refusal.details["attempted"] == "nominations_staff"


async def test_a_round_not_yet_started_refuses_with_its_dates_and_overlaps_are_refused(
    app: App,
) -> None:
    chat = Chat(app)
    await chat.onboard("anna")
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        item = await create_round(
            session,
            unit_ids=None,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=10),
            now=now,
        )
        with pytest.raises(Refused) as overlap:
            await create_round(
                session,
                unit_ids=[1],
                starts_at=now + timedelta(days=5),
                ends_at=now + timedelta(days=20),
                now=now,
            )
        assert overlap.value.reason == "round_overlap"
    t = Translator("en", timezone=RIGA)
    reply = await chat.say("anna", "/nominate")
    assert (
        f"Nominations for Alsviķi parish open on {t.datetime(item.starts_at)} and close on "
        f"{t.datetime(item.ends_at)}." in reply.text
    )
    assert "only while the round is open" in reply.text


# --------------------------------------------------------------------------- candidates


async def test_self_nomination_support_progress_threshold_and_withdrawal(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(ANNA, first_name="Anna Bērziņa")
        for user in (BERTA, CARL, DACE, EDGARS):
            await bot.onboard(user, unit="alsviku")
        await bot.onboard(FRANCIS, unit="annas")
        round_id = await make_round(bot, supporters=3)

        [done] = await self_nominate(bot, ANNA, "Esmu skolotāja Alsviķos.")
        nomination = await nomination_named(bot, "Anna Bērziņa")
        code = nomination.support_code
        link = f"https://t.me/{BOT_USERNAME}?start=support_{code}"
        assert link in done["text"]
        assert f"ATBALSTS {code}" in done["text"]
        assert nomination.status == "consented" and nomination.consent_origin == "self"

        [own] = await bot.send(ANNA, f"ATBALSTS {code}")
        assert lv("You cannot support your own nomination.") in own["text"]

        first = await support(bot, BERTA, code, "Jānis Kalniņš")
        assert lv("Thank you! You support {name}.", name="Anna Bērziņa") in first["text"]
        assert lv_progress(1, 3) in first["text"]
        [mine] = await bot.press(ANNA, "nommine")
        assert lv_progress(1, 3) in mine["text"]
        assert f"nomwithdraw:{nomination.id}:n" in payloads(mine)

        await support(bot, CARL, code, "Kārlis Zariņš")
        good_news = lv(
            "Good news: you have {progress}, as many as a candidate needs.",
            progress=lv_progress(3, 3),
        )
        assert not any(good_news in (m["text"] or "") for m in api.messages_to(ANNA))
        # The one who says they are not 16+ or not living there is not recorded.
        await bot.send(EDGARS, f"/start support_{code}")
        await bot.send(EDGARS, "Edgars Liepa")
        [no] = await bot.press(EDGARS, f"supno:{nomination.id}")
        assert (
            lv(
                "Only residents aged {age} or older whose declared place of residence is in {unit} "
                "can support a candidate there. Nothing was recorded.",
                age="16",
                unit=ALSVIKU,
            )
            in no["text"]
        )
        assert await supports_count(bot) == 2

        third = await support(bot, DACE, code, "Dace Ābele")
        assert lv_progress(3, 3) in third["text"]
        await api.wait_for(chat_id=ANNA, predicate=has_text(good_news))
        fourth = await support(bot, EDGARS, code, "Edgars Liepa")
        assert lv_progress(4, 3) in fourth["text"]
        await bot.settle()
        assert sum(good_news in (m["text"] or "") for m in api.messages_to(ANNA)) == 1

        [again] = await bot.send(BERTA, f"/start support_{code}")
        assert lv("You already support {name}.", name="Anna Bērziņa") in again["text"]
        [other_unit] = await bot.send(FRANCIS, f"/start support_{code}")
        assert (
            "Jūsu norādītā dzīvesvieta ir Annas pagastā, bet Anna Bērziņa kandidē Alsviķu pagastā. "
            "Šo kandidatūru var atbalstīt tikai Alsviķu pagasta iedzīvotāji." in other_unit["text"]
        )
        assert "/territory" in other_unit["text"]

        # The residents' list of candidates shows Anna with her bio and a Support button.
        [listed] = await bot.press(FRANCIS, "nomlist")
        assert lv("There are no candidates in {unit} yet.", unit=ANNAS) in listed["text"]
        [listed] = await bot.press(CARL, "nomlist")
        assert "Anna Bērziņa" in listed["text"] and "Esmu skolotāja Alsviķos." in listed["text"]
        assert f"supcode:{code}" in payloads(listed)

        # Withdrawing one's own support; another's support is refused and logged.
        [supports] = await bot.press(BERTA, "supmine")
        [drop] = [payload for payload in payloads(supports) if payload.startswith("supdrop:")]
        [carls] = await bot.press(CARL, "supmine")
        [carl_drop] = [p for p in payloads(carls) if p.startswith("supdrop:")]
        [refused] = await bot.press(BERTA, confirming(carl_drop))
        assert lv("Sorry, you are not allowed to do that.") in refused["text"]
        # Withdrawing cannot be undone in one tap: a confirmation with Yes and Back.
        [sure] = await bot.press(BERTA, drop)
        assert payloads(sure) == [confirming(drop), "supmine"]
        assert await supports_count(bot) == 4
        [withdrawn] = await bot.press(BERTA, confirming(drop))
        assert (
            lv("Your support for {name} has been withdrawn.", name="Anna Bērziņa")
            in withdrawn["text"]
        )
        assert await supports_count(bot) == 3

        await end_round(bot, round_id)
        [late] = await bot.press(CARL, confirming(carl_drop))
        assert (
            lv("Nominating and supporting are possible only while the round is open.")
            in late["text"]
        )
        [late] = await bot.send(BERTA, f"ATBALSTS {code}")
        assert (
            lv("Nominating and supporting are possible only while the round is open.")
            in late["text"]
        )
        assert await supports_count(bot) == 3
        async with bot.app.sessionmaker() as session:
            entries = await audit_entries(session, action="refused")
        assert [entry.details["attempted"] for entry in entries] == ["support_withdraw"]


async def test_a_registered_candidate_found_by_phone_consents_before_support(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(ANNA, first_name="Anna")
        await bot.onboard(BERTA, first_name="Berta")
        await bot.onboard(CARL)
        await bot.onboard(DACE, first_name="Dace")
        async with bot.app.sessionmaker() as session, session.begin():
            berta = await session.get(Resident, await resident_id(bot, BERTA))
            assert berta is not None
            berta.phone = "+37126123456"
        await make_round(bot, supporters=2)

        await bot.press(ANNA, "nomnew")
        await bot.press(ANNA, "nomwho:n")
        [contact] = await bot.send(ANNA, "Berta Ozoliņa")
        assert payloads(contact) == ["nomskip", "nom"]
        [wrong] = await bot.send(ANNA, "12")
        assert "26123456" in wrong["text"]
        await bot.send(ANNA, "26 123 456")
        [too_long] = await bot.send(ANNA, "ā" * 1001)
        assert (
            lv(
                "That is too long: at most {limit} characters, please. Yours has {length}.",
                limit=Translator("lv", timezone=RIGA).number(1000),
                length=Translator("lv", timezone=RIGA).number(1001),
            )
            in too_long["text"]
        )
        before = len(api.messages_to(BERTA))
        [thanks] = await bot.send(ANNA, "Berta vienmēr palīdz kaimiņiem.")
        assert (
            lv(
                "Thank you. {name} uses this assistant and has been asked to accept the "
                "nomination; you will be told the answer.",
                name="Berta Ozoliņa",
            )
            in thanks["text"]
        )
        nomination = await nomination_named(bot, "Berta Ozoliņa")
        assert nomination.candidate_phone == "+37126123456"
        assert nomination.status == "awaiting_consent"

        [asked] = (await api.wait_for(chat_id=BERTA, count=before + 1))[before:]
        assert "Anna" in asked["text"] and "Berta vienmēr palīdz kaimiņiem." in asked["text"]
        assert payloads(asked) == [
            f"nomconsent:{nomination.id}:y:n",
            f"nomconsent:{nomination.id}:n:n",
        ]
        # No support before consent.
        [early] = await bot.send(CARL, f"ATBALSTS {nomination.support_code}")
        assert (
            lv(
                "{name} has not agreed to be a candidate yet. "
                "Support can be given once they agree.",
                name="Berta Ozoliņa",
            )
            in early["text"]
        )
        # Only the candidate may answer.
        [crafted] = await bot.press(CARL, f"nomconsent:{nomination.id}:y:y")
        assert lv("Sorry, you are not allowed to do that.") in crafted["text"]

        told = len(api.messages_to(ANNA))
        # Agreeing cannot be undone in chat: one more tap, or Back.
        [sure] = await bot.press(BERTA, f"nomconsent:{nomination.id}:y:n")
        assert payloads(sure) == [f"nomconsent:{nomination.id}:y:y", "nommine"]
        assert (await nomination_named(bot, "Berta Ozoliņa")).status == "awaiting_consent"
        [bio] = await bot.press(BERTA, f"nomconsent:{nomination.id}:y:y")
        assert payloads(bio) == [f"nomnobio:{nomination.id}"]
        [shared] = await bot.send(BERTA, "Medmāsa, dzīvoju Alsviķos 30 gadus.")
        assert f"support_{nomination.support_code}" in shared["text"]
        [accepted] = (await api.wait_for(chat_id=ANNA, count=told + 1))[told:]
        assert lv("{name} accepted your nomination.", name="Berta Ozoliņa") in accepted["text"]

        done = await support(bot, CARL, nomination.support_code, "Kārlis Zariņš")
        assert lv_progress(1, 2) in done["text"]

        # The candidate withdraws; support is then refused.
        [confirm] = await bot.press(BERTA, f"nomwithdraw:{nomination.id}:n")
        assert payloads(confirm)[0] == f"nomwithdraw:{nomination.id}:y"
        await bot.press(BERTA, f"nomwithdraw:{nomination.id}:y")
        [refused] = await bot.send(DACE, f"ATBALSTS {nomination.support_code}")
        assert "Berta Ozoliņa" in refused["text"]
        assert (
            lv(
                "{name} is not collecting support: the nomination is {status}.",
                name="Berta Ozoliņa",
                status=lv("withdrawn"),
            )
            in refused["text"]
        )

        # A shared Telegram contact finds Dace; she declines and Anna is told.
        await bot.press(ANNA, "nomnew")
        await bot.press(ANNA, "nomwho:n")
        await bot.send(ANNA, "Dace Kļaviņa")
        contact_card = {"phone_number": "+371 29 999 999", "first_name": "Dace", "user_id": DACE}
        await bot.send(ANNA, None, contact=contact_card)
        before = len(api.messages_to(DACE))
        await bot.send(ANNA, "Dace zina visus.")
        dace_nomination = await nomination_named(bot, "Dace Kļaviņa")
        assert dace_nomination.candidate_phone == "+37129999999"
        assert dace_nomination.candidate_id == await resident_id(bot, DACE)
        await api.wait_for(chat_id=DACE, count=before + 1)
        told = len(api.messages_to(ANNA))
        [sure] = await bot.press(DACE, f"nomconsent:{dace_nomination.id}:n:n")
        assert payloads(sure) == [f"nomconsent:{dace_nomination.id}:n:y", "nommine"]
        await bot.press(DACE, f"nomconsent:{dace_nomination.id}:n:y")
        [declined] = (await api.wait_for(chat_id=ANNA, count=told + 1))[told:]
        assert lv("{name} declined your nomination.", name="Dace Kļaviņa") in declined["text"]


# --------------------------------------------------------------------------- coordinators


async def test_offline_consent_paper_supporters_decisions_and_paperwork(database_url: str) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(COORDINATOR, language="en")
        await bot.onboard(ANNA, first_name="Anna Bērziņa")
        await bot.onboard(CARL)
        await make_round(bot, supporters=2)
        async with bot.app.sessionmaker() as session:
            alsviku = await unit_by_slug(session, "alsviku")
            assert alsviku is not None

        await bot.press(ANNA, "nomnew")
        await bot.press(ANNA, "nomwho:n")
        await bot.send(ANNA, "Ēriks Šņore")
        await bot.press(ANNA, "nomskip")
        [waits] = await bot.send(ANNA, "Ēriks sakopj parku.")
        assert (
            lv(
                "Thank you. The nomination of {name} waits for their consent. When they tell the "
                "coordinator that they agree, the coordinator records it and they get a support "
                "code to share.",
                name="Ēriks Šņore",
            )
            in waits["text"]
        )
        eriks = await nomination_named(bot, "Ēriks Šņore")
        assert eriks.status == "awaiting_consent" and eriks.candidate_id is None

        # A resident's crafted coordinator button is refused and logged.
        [crafted] = await bot.press(CARL, f"nomcconsent:{eriks.id}:y")
        assert lv("Sorry, you are not allowed to do that.") in crafted["text"]

        [screen] = await bot.press(COORDINATOR, f"nomcunit:{alsviku.id}:awaiting_consent")
        assert "Ēriks Šņore" in screen["text"]
        assert f"nomcshow:{eriks.id}" in payloads(screen)
        [shown] = await bot.press(COORDINATOR, f"nomcshow:{eriks.id}")
        assert "waiting for the candidate's consent" in shown["text"]
        [sure] = await bot.press(COORDINATOR, f"nomcconsent:{eriks.id}:n")
        assert payloads(sure) == [f"nomcconsent:{eriks.id}:y", f"nomcshow:{eriks.id}"]
        [consented] = await bot.press(COORDINATOR, f"nomcconsent:{eriks.id}:y")
        assert f"SUPPORT {eriks.support_code}" in consented["text"]
        assert f"nomcpaper:{eriks.id}" in payloads(consented)

        await bot.press(COORDINATOR, f"nomcpaper:{eriks.id}")
        [recorded] = await bot.send(COORDINATOR, "Ģirts Ļoļa")
        assert (
            "Recorded: Ģirts Ļoļa." in recorded["text"] and "1 of 2 supporters" in recorded["text"]
        )
        await support(bot, CARL, eriks.support_code, "Žanis Čakste")

        _, form = await bot.press(COORDINATOR, f"nomcpdf:{eriks.id}", replies=2)
        assert form["document"]["filename"] == f"nomination-{eriks.id}.pdf"
        text = "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(form["document"]["content"])).pages
        )
        for name in ("Ēriks Šņore", "Ģirts Ļoļa", "Žanis Čakste", "Alsviķu pagasta pārstāvja"):
            assert name in text
        assert lv("Signature") in text

        _, table = await bot.press(COORDINATOR, f"nomcexport:{alsviku.id}:csv", replies=2)
        rows = list(csv.reader(io.StringIO(table["document"]["content"].decode("utf-8-sig"))))
        assert rows[0][:3] == ["No.", "Parish or town", "Candidate"]
        assert [row[2] for row in rows[1:]] == ["Ēriks Šņore"]
        assert rows[1][8] == "2"
        _, sheet = await bot.press(COORDINATOR, f"nomcexport:{alsviku.id}:xlsx", replies=2)
        workbook = load_workbook(io.BytesIO(sheet["document"]["content"]))
        assert workbook.sheetnames == ["Nominations", "Supporters"]
        supporters = [row[2] for row in workbook["Supporters"].iter_rows(values_only=True)][1:]
        assert supporters == ["Ģirts Ļoļa", "Žanis Čakste"]
        origins = [row[3] for row in workbook["Supporters"].iter_rows(values_only=True)][1:]
        assert origins == ["paper", "chat"]

        # Verify Anna's self-nomination, then reject Ēriks's with a reason.
        await self_nominate(bot, ANNA, "Par Alsviķiem.")
        anna = await nomination_named(bot, "Anna Bērziņa")
        told = len(api.messages_to(ANNA))
        await bot.press(COORDINATOR, f"nomcverify:{anna.id}")
        [verified] = (await api.wait_for(chat_id=ANNA, count=told + 1))[told:]
        assert "Jūsu kandidatūru Alsviķu pagasta pārstāvja amatam" in verified["text"]
        await bot.press(COORDINATOR, f"nomcreject:{anna.id}")
        told = len(api.messages_to(ANNA))
        # A typed 0 is the menu, never a reason; nothing is decided by it.
        [menu] = await bot.send(COORDINATOR, "0")
        assert "Rejected" not in menu["text"]
        await bot.press(COORDINATOR, f"nomcreject:{anna.id}")
        [sure] = await bot.send(COORDINATOR, "Nav deklarētās dzīvesvietas pagastā.")
        # Rejecting cannot be undone: the reason is shown once more, and nothing is told yet.
        assert sure["text"].startswith("Reject the nomination of Anna Bērziņa?")
        assert "Nav deklarētās dzīvesvietas pagastā." in sure["text"]
        assert payloads(sure) == [
            f"nomcreject:{anna.id}:y",
            f"nomcreject:{anna.id}:n",
            f"nomcshow:{anna.id}",
        ]
        assert len(api.messages_to(ANNA)) == told
        [rejected] = await bot.press(COORDINATOR, f"nomcreject:{anna.id}:y")
        assert "Rejected" in rejected["text"]
        [why] = (await api.wait_for(chat_id=ANNA, count=told + 1))[told:]
        assert "Nav deklarētās dzīvesvietas pagastā." in why["text"]
        async with bot.app.sessionmaker() as session:
            anna_now = await get_nomination(session, anna.id)
            assert anna_now is not None and anna_now.status == "rejected"
            entries = await audit_entries(session, action="refused")
        assert [entry.details["attempted"] for entry in entries] == ["nominations_staff"]


async def test_forgetting_a_supporter_removes_their_name_from_forms_and_lists(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(COORDINATOR, language="en")
        anna = await anna_stands_in_a_round_of_two(bot)
        await support(bot, BERTA, anna.support_code, "Līga Šteina")

        _, file = await bot.send(BERTA, "/mydata", replies=2)
        data = json.loads(file["document"]["content"].decode("utf-8"))
        assert data["nominations"]["supports"][0]["name"] == "Līga Šteina"
        assert data["nominations"]["supports"][0]["declared_age_at_least"] == 16

        await bot.send(BERTA, "/forget")
        await bot.press(BERTA, "forget:yes")

        _, form = await bot.press(COORDINATOR, f"nomcpdf:{anna.id}", replies=2)
        text = PdfReader(io.BytesIO(form["document"]["content"])).pages[0].extract_text()
        assert "Anna Bērziņa" in text and "Līga Šteina" not in text
        [shown] = await bot.press(COORDINATOR, f"nomcshow:{anna.id}")
        assert "Līga" not in shown["text"] and "0 of 2 supporters" in shown["text"]
        assert await supports_count(bot) == 0


async def anna_stands_in_a_round_of_two(bot: RunningBot) -> Nomination:
    """Anna and Berta are residents; Anna stands in a round that needs two supporters."""
    await bot.onboard(ANNA, first_name="Anna Bērziņa")
    await bot.onboard(BERTA)
    await make_round(bot, supporters=2)
    await self_nominate(bot, ANNA, "Par Alsviķiem.")
    return await nomination_named(bot, "Anna Bērziņa")


async def test_a_candidate_who_erases_their_data_leaves_no_nameless_trace(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        anna = await anna_stands_in_a_round_of_two(bot)
        await support(bot, BERTA, anna.support_code, "Līga Šteina")

        # The question says the candidacy goes with the data.
        [asked] = await bot.send(ANNA, "/forget")
        assert lv("Your candidacy is withdrawn, and the support given to it ends.") in asked["text"]
        await bot.press(ANNA, "forget:yes")

        # The supporter's list holds no candidate without a name, and the old code leads
        # nowhere, as any unknown code.
        [mine] = await bot.press(BERTA, "supmine")
        assert "Jūs neatbalstāt nevienu kandidātu." in mine["text"]
        [unknown] = await bot.send(BERTA, f"/start support_{anna.support_code}")
        [none] = await bot.send(BERTA, "/start support_ZZZZZ9")
        assert unknown["text"] == none["text"].replace("ZZZZZ9", anna.support_code)
        assert await supports_count(bot) == 0


# --------------------------------------------------------------------------- the rules


async def test_fifty_concurrent_support_attempts_record_exactly_one(database_url: str) -> None:
    """One resident taps Confirm 50 times at once, on two bot processes: one support."""
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        anna = await anna_stands_in_a_round_of_two(bot)
        await bot.send(BERTA, f"/start support_{anna.support_code}")
        await bot.send(BERTA, "Berta Liepiņa")

        # A second bot process on the same database (on PostgreSQL, truly at the same time).
        other = DialogEngine(
            sessionmaker=bot.app.sessionmaker, settings=bot.settings, flows=build_flows()
        )
        before = len(api.messages_to(BERTA))
        for _ in range(30):
            api.push_callback(BERTA, f"supyes:{anna.id}")

        async def tap(number: int) -> None:
            incoming = Incoming(
                channel="telegram",
                user_id=str(BERTA),
                chat_id=str(BERTA),
                payload=f"supyes:{anna.id}",
                update_key=f"other-{number}",
            )
            await bot.app.senders.deliver(await other.handle(incoming))

        await asyncio.gather(*(tap(number) for number in range(20)))
        replies = (await api.wait_for(chat_id=BERTA, count=before + 50, timeout=20))[before:]
        assert await supports_count(bot) == 1
        thanked = lv("Thank you! You support {name}.", name="Anna Bērziņa")
        already = lv("You already support {name}.", name="Anna Bērziņa")
        assert sum(thanked in message["text"] for message in replies) == 1
        assert sum(already in message["text"] for message in replies) == 49


async def test_fifty_concurrent_sessions_store_one_support(app: App) -> None:
    """The UNIQUE constraint decides between transactions racing past every check."""
    chat = Chat(app)
    await chat.onboard("anna")
    await chat.onboard("berta")
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        anna = await find_identity(session, "console", "anna")
        assert anna is not None and anna.resident.unit_id is not None
        item = await create_round(
            session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=1), now=now
        )
        nomination = await nominate(
            session,
            round_=item,
            unit_id=anna.resident.unit_id,
            nominated_by=anna.resident,
            candidate=anna.resident,
            name="Anna Bērziņa",
            phone=None,
            reason="Par Alsviķiem.",
            now=now,
        )
        nomination_id = nomination.id

    async def attempt() -> str:
        async with app.sessionmaker() as session, session.begin():
            berta = await find_identity(session, "console", "berta")
            found = await get_nomination(session, nomination_id)
            assert berta is not None and found is not None
            try:
                await add_support(
                    session,
                    nomination=found,
                    resident=berta.resident,
                    name="Berta Liepiņa",
                    now=utcnow(),
                )
            except Refused as refused:
                return refused.reason
            return "recorded"

    outcomes = await asyncio.gather(*(attempt() for _ in range(50)))
    assert sorted(set(outcomes)) == ["already_supports", "recorded"]
    assert outcomes.count("recorded") == 1
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Support)) == 1


async def test_one_candidate_per_resident_unless_the_round_allows_more(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(ANNA, first_name="Anna Bērziņa")
        await bot.onboard(BERTA, first_name="Berta Ozoliņa")
        await bot.onboard(CARL)
        await make_round(bot, supporters=2)
        await self_nominate(bot, ANNA, "Par Alsviķiem.")
        await self_nominate(bot, BERTA, "Par kultūru.")
        anna = await nomination_named(bot, "Anna Bērziņa")
        berta = await nomination_named(bot, "Berta Ozoliņa")
        await support(bot, CARL, anna.support_code, "Kārlis Zariņš")

        [refused] = await bot.send(CARL, f"ATBALSTS {berta.support_code.lower()}")
        assert "Anna Bērziņa" in refused["text"]
        assert (
            lv(
                "In this round each resident may support only one candidate, and you already "
                "support {name}. To support someone else, first withdraw that support.",
                name="Anna Bērziņa",
            )
            in refused["text"]
        )
        [drop] = [p for p in payloads(refused) if p.startswith("supdrop:")]
        await bot.press(CARL, confirming(drop))
        done = await support(bot, CARL, berta.support_code, "Kārlis Zariņš")
        assert lv_progress(1, 2) in done["text"]
        assert await supports_count(bot) == 1

        async with bot.app.sessionmaker() as session, session.begin():
            item = await session.get(NominationRound, anna.round_id)
            assert item is not None
            item.multiple_support = True
        done = await support(bot, CARL, anna.support_code, "Kārlis Zariņš")
        assert lv_progress(1, 2) in done["text"]
        assert await supports_count(bot) == 2


async def test_deadline_boundaries(app: App) -> None:
    chat = Chat(app)
    await chat.onboard("anna")
    await chat.onboard("berta")
    await chat.onboard("carl")
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        anna = await find_identity(session, "console", "anna")
        berta = await find_identity(session, "console", "berta")
        carl = await find_identity(session, "console", "carl")
        assert anna and berta and carl and anna.resident.unit_id
        item = await create_round(
            session,
            unit_ids=None,
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(days=1),
            now=now,
        )
        nomination = await nominate(
            session,
            round_=item,
            unit_id=anna.resident.unit_id,
            nominated_by=anna.resident,
            candidate=anna.resident,
            name="Anna",
            phone=None,
            reason=None,
            now=now,
        )
        with pytest.raises(Refused, match="round_closed"):
            await add_support(
                session,
                nomination=nomination,
                resident=berta.resident,
                name="Berta",
                now=item.starts_at - timedelta(microseconds=1),
            )
        await add_support(
            session, nomination=nomination, resident=berta.resident, name="B", now=item.starts_at
        )
        with pytest.raises(Refused, match="round_closed"):
            await add_support(
                session, nomination=nomination, resident=carl.resident, name="C", now=item.ends_at
            )
        supported = await add_support(
            session,
            nomination=nomination,
            resident=carl.resident,
            name="C",
            now=item.ends_at - timedelta(microseconds=1),
        )
        assert supported.count == 2


# --------------------------------------------------------------------------- every channel


async def test_typed_atbalsts_works_on_the_console_also_for_a_newcomer(app: App) -> None:
    chat = Chat(app)
    await chat.onboard("anna")
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        await create_round(
            session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=1), now=now
        )
    await run_rounds(JobContext(app.sessionmaker, app.settings, utcnow()))
    await chat.say("anna", "/nominate")
    await chat.say("anna", "2")  # someone else
    await chat.say("anna", "Zane Bērziņa")
    await chat.say("anna", "Skip")
    # An ordinary sentence starting with the word is a reason, not a support.
    reply = await chat.say("anna", "Atbalsts visiem")
    assert "waits for their consent" in reply.text
    async with app.sessionmaker() as session:
        zane = await session.scalar(select(Nomination))
        assert zane is not None and zane.reason == "Atbalsts visiem"
        zane.status = "consented"
        session.add(zane)
        await session.commit()
        code = zane.support_code

    # A newcomer types the word and the code: onboarding first, then the candidate's page.
    await chat.say("juris", f"atbalsts {code.lower()}")
    await chat.say("juris", "English")
    await chat.say("juris", "1")
    page = await chat.say("juris", "alsviku")
    assert "Zane Bērziņa stands as a candidate" in page.text
    confirm = await chat.say("juris", "Juris Ozols")
    assert "I am 16 or older" in confirm.text
    done = await chat.say("juris", "1")
    assert "Thank you! You support Zane Bērziņa." in done.text
    assert "1 of 10 supporters" in done.text
    unknown = await chat.say("juris", "ATBALSTS ZZZZZ9")
    assert "No candidate has the support code ZZZZZ9." in unknown.text


# --------------------------------------------------------------------------- command line


async def test_cli_opens_a_round_lists_and_exports_csv_xlsx_and_pdf(
    database_url: str, tmp_path: Path
) -> None:
    def padome(*args: str) -> subprocess.CompletedProcess[str]:
        return run_padome(
            list(args), stdin="", database_url=database_url, cwd=tmp_path, COLUMNS="200"
        )

    end = (utcnow() + timedelta(days=10)).astimezone(RIGA).strftime("%d.%m.%Y %H:%M")
    opened = padome(
        "nominations", "round", "open", "--units", "alsviku,annas", "--from", "now", "--to", end,
        "--supporters", "2",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert "Round #1 scheduled" in opened.stdout
    listed = padome("nominations", "round", "list")
    assert "alsviku,annas" in listed.stdout and "scheduled" in listed.stdout

    settings = make_settings(database_url)
    async with open_app(settings) as app:
        chat = Chat(app)
        await chat.onboard("anna")
        await chat.onboard("berta")
        await run_rounds(JobContext(app.sessionmaker, settings, utcnow()))
        async with app.sessionmaker() as session, session.begin():
            anna = await find_identity(session, "console", "anna")
            berta = await find_identity(session, "console", "berta")
            item = await session.get(NominationRound, 1)
            assert anna and berta and item and anna.resident.unit_id
            nomination = await nominate(
                session,
                round_=item,
                unit_id=anna.resident.unit_id,
                nominated_by=anna.resident,
                candidate=anna.resident,
                name="Anna Bērziņa",
                phone="+37126123456",
                reason="Par Alsviķiem.",
                now=utcnow(),
            )
            await add_support(
                session, nomination=nomination, resident=berta.resident, name="Līga Šteina",
                now=utcnow(),
            )  # fmt: skip
            await add_paper_support(
                session, nomination=nomination, name="Ōskars Ļeņins", recorded_by_id=None,
                now=utcnow(),
            )  # fmt: skip

    shown = padome("nominations", "list", "--unit", "alsviku")
    assert "Anna Bērziņa" in shown.stdout and "2/2" in shown.stdout

    exported = padome(
        "nominations", "export", "--unit", "alsviku", "--format", "csv", "--output", "n.csv"
    )
    assert exported.returncode == 0, exported.stderr
    written = (tmp_path / "n.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    # Latvian: Excel there splits at ";" and shows ="+371…" as the text +371…
    rows = list(csv.reader(io.StringIO(written.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:3] == [lv("No."), lv("Parish or town"), lv("Candidate")]
    assert rows[1][2:4] == ["Anna Bērziņa", '="+37126123456"']
    english = padome(
        "nominations", "export", "--unit", "alsviku", "--format", "csv",
        "--language", "en", "--output", "en.csv",
    )  # fmt: skip
    assert english.returncode == 0, english.stderr
    en_csv = (tmp_path / "en.csv").read_bytes().decode("utf-8-sig")
    assert en_csv.splitlines()[0].startswith("No.,Parish or town,Candidate")
    wrong = padome("nominations", "export", "--unit", "alsviku", "--language", "de")
    assert wrong.returncode != 0 and "--language is lv, ru or en." in wrong.stderr

    assert padome("nominations", "export", "--unit", "alsviku", "--format", "xlsx").returncode == 0
    workbook = load_workbook(tmp_path / "nominations-alsviku.xlsx")
    names = [row[2] for row in workbook.worksheets[1].iter_rows(values_only=True)][1:]
    assert names == ["Līga Šteina", "Ōskars Ļeņins"]
    nominations = workbook.worksheets[0]
    assert nominations["D2"].value == "+37126123456" and nominations["D2"].data_type == "s"
    assert nominations["I2"].value == 2  # supporters: a number
    for sheet in workbook.worksheets:  # 14 columns printed on A4 across, headings repeated
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth) == ("landscape", 9, 1)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"

    printed = padome("nominations", "export", "--unit", "alsviku", "--format", "pdf")
    assert printed.returncode == 0, printed.stderr
    text = PdfReader(tmp_path / "nominations-alsviku.pdf").pages[0].extract_text()
    for name in ("Anna Bērziņa", "Līga Šteina", "Ōskars Ļeņins", "Alsviķu pagasta pārstāvja"):
        assert name in text

    missing = padome("nominations", "round", "end", "7")
    assert missing.returncode == 1 and "There is no round #7." in missing.stderr
    ended = padome("nominations", "round", "end", "1")
    assert ended.returncode == 0 and "Round #1 has ended." in ended.stdout, ended.stderr
    async with open_app(settings) as app, app.sessionmaker() as session:
        item = await session.get(NominationRound, 1)
        assert item is not None and item.ends_at <= utcnow()
        entries = await audit_entries(session, action="nomination_round_ended")
        assert [entry.details["round"] for entry in entries] == [1]
    again = padome("nominations", "round", "end", "1")
    assert again.returncode == 1 and "Round #1 has already closed." in again.stderr


# --------------------------------------------------------------------------- issue 13


def pressable(reply: Any) -> list[str]:
    return [button.payload for button in reply.options]


def local(moment: Any) -> str:
    return moment.astimezone(RIGA).strftime("%d.%m.%Y %H:%M")


async def anna_stands_on_the_console(app: App) -> Nomination:
    """An open round for every unit, and console user anna's self-nomination in it."""
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        item = await create_round(
            session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=5), now=now
        )
        anna = await find_identity(session, "console", "anna")
        assert anna is not None and anna.resident.unit_id is not None
        nomination = await nominate(
            session,
            round_=item,
            unit_id=anna.resident.unit_id,
            nominated_by=anna.resident,
            candidate=anna.resident,
            name="Anna Bērziņa",
            phone=None,
            reason="Par Alsviķiem.",
            now=now,
        )
    await run_rounds(JobContext(app.sessionmaker, app.settings, utcnow()))
    return nomination


async def test_the_round_wizard_keeps_its_buttons_after_a_wrong_date_and_its_setup_after_an_overlap(
    app: App,
) -> None:
    chat = Chat(app)
    await chat.onboard("admin")
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        other = await create_round(
            session,
            unit_ids=None,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=10),
            now=now,
        )
    # The list of parishes leads back.
    units = await chat.say("admin", payload="nomcunits")
    assert {"nomc", "menu"} <= set(pressable(units))

    await chat.say("admin", payload="rndnew")
    await chat.say("admin", payload="rndall")
    passed = await chat.say("admin", "01.01.2020 10:00")
    assert "That time has already passed." in passed.text
    assert pressable(passed) == ["rndstart:now", "rndstart:tomorrow", "nomc"]
    end = await chat.say("admin", payload="rndstart:now")
    assert pressable(end) == ["rndend:14", "rndend:30", "nomc"]
    wrong = await chat.say("admin", "31.02.2027 10:00")
    assert "There is no such date or time: 31.02.2027 10:00." in wrong.text
    assert "When does it end?" in wrong.text
    assert pressable(wrong) == ["rndend:14", "rndend:30", "nomc"]
    # Typing a button's label still works after the wrong date.
    settings = await chat.say("admin", "In 14 days")
    assert "Supporters needed: 10" in settings.text
    await chat.say("admin", payload="rndset:supporters")
    settings = await chat.say("admin", "5")
    assert "Supporters needed: 5" in settings.text

    overlap = await chat.say("admin", payload="rndsave")
    assert f"It overlaps round #{other.id}" in overlap.text
    # What was entered is kept, and the dates can be changed.
    assert "Supporters needed: 5" in overlap.text
    assert {"rnddates", "rndsave"} <= set(pressable(overlap))
    start = await chat.say("admin", payload="rnddates")
    assert "When does nominating start?" in start.text
    await chat.say("admin", local(now + timedelta(days=11)))
    settings = await chat.say("admin", payload="rndend:14")
    assert "Supporters needed: 5" in settings.text
    saved = await chat.say("admin", payload="rndsave")
    assert "is ready" in saved.text
    async with app.sessionmaker() as session:
        rounds = list(await session.scalars(select(NominationRound).order_by(NominationRound.id)))
    assert [item.supporters_needed for item in rounds] == [10, 5]


async def test_support_codes_are_short_plain_and_typed_in_any_case_with_spaces_or_hyphens(
    app: App,
) -> None:
    chat = Chat(app)
    for person in ("anna", "berta", "carl"):
        await chat.onboard(person)
    nomination = await anna_stands_on_the_console(app)
    code = nomination.support_code
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)

    page = await chat.say("berta", f"atbalsts {code[:3].lower()} {code[3:].lower()}")
    assert "Anna Bērziņa stands as a candidate" in page.text

    # A code made before the shorter alphabet keeps working.
    async with app.sessionmaker() as session, session.begin():
        stored = await session.get(Nomination, nomination.id)
        assert stored is not None
        stored.support_code = "B8S2QD"
    page = await chat.say("carl", "ATBALSTS b8s-2qd")
    assert "Anna Bērziņa stands as a candidate" in page.text
    # An ordinary sentence after the word is not a code.
    reply = await chat.say("carl", "/menu")
    reply = await chat.say("carl", "atbalsts 2 kandidātiem")
    assert "stands as a candidate" not in reply.text


async def test_the_support_word_is_typed_and_named_in_each_language(app: App) -> None:
    """A Russian reader is told to write ПОДДЕРЖКА, an English reader SUPPORT; each word,
    and the Latvian one, is understood from anyone in any case."""
    chat = Chat(app)
    await chat.onboard("anna")
    for person in ("ivan", "olga"):
        await chat.onboard(person, language="Русский")
    await chat.onboard("juris")
    nomination = await anna_stands_on_the_console(app)
    code = nomination.support_code
    ru = Translator("ru", timezone=RIGA)

    async with app.sessionmaker() as session:
        stored = await session.get(Nomination, nomination.id)
        assert stored is not None
        english = share_text(Translator("en", timezone=RIGA), app.settings, stored)
        russian = share_text(ru, app.settings, stored)
        stands = ru._(
            "{name} stands as a candidate for the representative of {unit}.",
            name="Anna Bērziņa",
            unit=ru.place(stored.unit),
        )
    assert f"SUPPORT {code}" in english and "ATBALSTS" not in english
    assert f"ПОДДЕРЖКА {code}" in russian and "ATBALSTS" not in russian

    page = await chat.say("ivan", f"ПОДДЕРЖКА {code}")
    assert stands in page.text
    page = await chat.say("olga", f"поддержка {code.lower()}")
    assert "Anna Bērziņa" in page.text and "Извините" not in page.text
    page = await chat.say("juris", f"support {code}")
    assert "Anna Bērziņa stands as a candidate" in page.text


async def test_a_verified_candidate_is_told_at_the_close_what_the_coordinator_decided(
    database_url: str, tmp_path: Path
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(COORDINATOR, language="en")
        await bot.onboard(ANNA, first_name="Anna Bērziņa")
        await bot.onboard(CARL, unit="alsviku")
        await bot.onboard(DACE, unit="alsviku")
        round_id = await make_round(bot, supporters=2)
        await self_nominate(bot, ANNA, "Skolotāja.")
        anna = await nomination_named(bot, "Anna Bērziņa")
        await support(bot, CARL, anna.support_code, "Kārlis Zariņš")
        await support(bot, DACE, anna.support_code, "Dace Ābele")
        await bot.press(COORDINATOR, f"nomcverify:{anna.id}")
        # Later one supporter withdraws, the other erases her data; one signs on paper.
        [supports] = await bot.press(CARL, "supmine")
        [drop] = [payload for payload in payloads(supports) if payload.startswith("supdrop:")]
        await bot.press(CARL, confirming(drop))
        await bot.send(DACE, "/forget")
        await bot.press(DACE, "forget:yes")
        await bot.press(COORDINATOR, f"nomcpaper:{anna.id}")
        await bot.send(COORDINATOR, "Ģirts Ļoļa")

        await end_round(bot, round_id)
        closing = lv(
            "Nominations in {unit} have closed. Your nomination has {progress}.",
            unit=ALSVIKU,
            progress=lv_progress(1, 2),
        )
        [*_, told] = await api.wait_for(chat_id=ANNA, predicate=has_text(closing))
        assert (
            lv(
                "The coordinator has verified your nomination, so it goes further. You and "
                "your supporters sign the nomination form on paper, and the coordinator "
                "tells you the result."
            )
            in told["text"]
        )
        assert "netiek virzīts" not in told["text"]

    shown = run_padome(
        ["nominations", "list", "--unit", "alsviku"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
        COLUMNS="200",
    )
    assert shown.returncode == 0, shown.stderr
    [row] = [line for line in shown.stdout.splitlines() if "Anna Bērziņa" in line]
    assert "verified" in row and "1/2" in row


async def test_nomination_texts_in_latvian_hold_for_women_and_an_erased_self_nomination_stays_one(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, nominating(database_url, api) as bot:
        await bot.onboard(COORDINATOR, language="en")
        await bot.onboard(ANNA, first_name="Anna Bērziņa")
        await bot.onboard(BERTA, first_name="Berta")
        await bot.onboard(CARL, unit="alsviku")
        async with bot.app.sessionmaker() as session, session.begin():
            berta = await session.get(Resident, await resident_id(bot, BERTA))
            assert berta is not None
            berta.phone = "+37126123456"
        await make_round(bot, supporters=2)

        [done] = await self_nominate(bot, ANNA, "Skolotāja.")
        assert "Jūsu kandidatūra" in done["text"]
        assert "esat pārstāvja kandidāts" not in done["text"]
        anna = await nomination_named(bot, "Anna Bērziņa")
        await bot.send(CARL, f"/start support_{anna.support_code}")
        [declaration] = await bot.send(CARL, "Kārlis Zariņš")
        assert "man ir vismaz 16 gadu" in declaration["text"]
        assert "vecs" not in declaration["text"]
        [mine] = await bot.press(ANNA, "nommine")
        assert "Kandidāts" not in mine["text"]

        before = len(api.messages_to(BERTA))
        await bot.press(ANNA, "nomnew")
        await bot.press(ANNA, "nomwho:n")
        await bot.send(ANNA, "Berta Ozoliņa")
        await bot.send(ANNA, "26123456")
        await bot.send(ANNA, "Palīdz kaimiņiem.")
        [asked] = (await api.wait_for(chat_id=BERTA, count=before + 1))[before:]
        assert "Jūsu kandidatūru" in asked["text"] and "Vai piekrītat" in asked["text"]
        for masculine in ("gatavs", "izvirzīts", "kandidāts?"):
            assert masculine not in asked["text"]

        # An erased self-nomination is still a self-nomination on the coordinator's screen.
        await bot.send(ANNA, "/forget")
        await bot.press(ANNA, "forget:yes")
        [shown] = await bot.press(COORDINATOR, f"nomcshow:{anna.id}")
        assert "Self-nomination." in shown["text"]
        assert "Nominated by another resident." not in shown["text"]


async def test_a_rejection_reason_over_the_limit_is_named_and_asked_again_with_the_way_back(
    app: App,
) -> None:
    chat = Chat(app)
    await chat.onboard("admin")
    await chat.onboard("anna")
    nomination = await anna_stands_on_the_console(app)
    await chat.say("admin", payload=f"nomcreject:{nomination.id}")
    long = await chat.say("admin", "x" * 1001)
    assert "at most 1,000 characters" in long.text
    assert "Why is the nomination of Anna Bērziņa rejected?" in long.text
    assert pressable(long) == [f"nomcshow:{nomination.id}"]
    async with app.sessionmaker() as session:
        stored = await session.get(Nomination, nomination.id)
        assert stored is not None and stored.status == "consented"


async def test_the_console_shows_the_code_to_type_and_the_paper_note_once(app: App) -> None:
    """Without a Telegram link there is no "/start support_…" to copy: the candidate gets the
    word and the code anyone types; the note that signatures stay on paper comes once, on
    the nominations screen, not again on each step."""
    chat = Chat(app)
    await chat.onboard("anna")
    await chat.onboard("juris")
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        await create_round(
            session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=1), now=now
        )
    await run_rounds(JobContext(app.sessionmaker, app.settings, utcnow()))
    paper = "Signatures and the vote stay on paper"

    overview = await chat.say("anna", "/nominations")
    assert overview.text.count(paper) == 1
    who = await chat.say("anna", "1")  # Nominate a candidate
    assert who.text.startswith("Whom do you nominate") and paper not in who.text
    replies = [await chat.say("anna", "1")]  # myself
    replies.append(await chat.say("anna", "Anna Bērziņa"))
    while "SUPPORT" not in replies[-1].text:
        replies.append(await chat.say("anna", "Skip"))
    async with app.sessionmaker() as session:
        anna = await session.scalar(select(Nomination))
        assert anna is not None
    shared = replies[-1].text
    assert (
        "Residents of Alsviķi parish can support you by writing to the council's assistant: "
        f"SUPPORT {anna.support_code}"
    ) in shared
    assert "/start" not in shared and "support_" not in shared
    assert all(paper not in reply.text for reply in replies)

    await chat.say("juris", f"ATBALSTS {anna.support_code}")
    await chat.say("juris", "Juris Ozols")
    done = await chat.say("juris", "1")
    assert "Thank you! You support Anna Bērziņa." in done.text and paper not in done.text
    listing = await chat.say("juris", "/nominations")
    assert listing.text.count(paper) == 1
    candidates = await chat.say("juris", "2")  # Candidates of my parish or town
    assert "Anna Bērziņa" in candidates.text and paper not in candidates.text
    # Nothing to share on the console: the phone number is written, or skipped.
    await chat.say("juris", "/nominate")
    await chat.say("juris", "2")  # someone else
    reached = await chat.say("juris", "Zane Bērziņa")
    assert reached.text == (
        "How can Zane Bērziņa be reached? Write their phone number, or choose Skip."
    )


async def test_text_typed_at_whom_do_you_nominate_keeps_the_question_and_its_buttons(
    app: App,
) -> None:
    chat = Chat(app)
    await chat.onboard("anna")
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        await create_round(
            session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=5), now=now
        )
    question = await chat.say("anna", "/nominate")
    assert question.text.startswith("Whom do you nominate")
    buttons = pressable(question)
    # The resident types a name instead of choosing "Someone else".
    again = await chat.say("anna", "Jānis Kalniņš")
    assert again.text == "Please type the number of one of the options below."
    assert pressable(again) == [*buttons, "menu"]
    # The number of "Someone else" on the screen repeated still chooses it.
    name = await chat.say("anna", "2")
    assert name.text.startswith("The candidate's name and surname:")
    other = await chat.say("anna", "Jānis Kalniņš")
    assert "How can Jānis Kalniņš be reached?" in other.text
