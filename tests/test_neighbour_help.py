"""Neighbour help end to end: a ride offered on WhatsApp (numbered options) and taken on
Telegram (buttons), over the fake Twilio and the fake Bot API; contacts only after
acceptance; reports, blocks, crafted buttons and erasure."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.channels import text_with_options
from bot.i18n import Translator
from broadcasts.service import BroadcastService, JobContext
from handlers.neighbour_help.after import ShareCount, after_the_date, monthly_counts
from handlers.neighbour_help.common import Decide, Done, OpenPost, OpenRequest, Want
from models.audit import audit_entries
from models.base import utcnow
from models.broadcasts import Broadcast
from models.neighbour_help import (
    HelpPost,
    HelpRequest,
    add_destination,
)
from models.residents import find_identity
from models.roles import Role, grant_role
from models.territory import add_locality, unit_by_slug
from tests.chat import Chat
from tests.conftest import ON_POSTGRES
from tests.fakes.telegram_api import labels, payloads
from tests.telegram import fake_telegram_api
from tests.test_console import run_padome
from tests.test_erasure import database_files, logical_dump
from tests.test_ideas import ideas_bot, join
from tests.test_twilio import both_messengers, onboard, say

RIGA = ZoneInfo("Europe/Riga")
JANIS = "+37126000011"  # drives, on WhatsApp
ANNA = 5101  # needs a ride, on Telegram
BERTA = 5102  # needs a ride too, on Telegram
CARL = 5103  # a third one, when the car is full
REFUSED = "Sorry, you are not allowed to do that."
SENT = "Your request has been sent. When it is accepted, you both get each other's contact here."


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=RIGA)._(message, **values)


def local(days: int, hour: int) -> str:
    moment = (utcnow().astimezone(RIGA) + timedelta(days=days)).replace(hour=hour, minute=0)
    return moment.strftime("%d.%m.%Y %H:%M")


async def with_outbox(app: Any, settings: Any) -> BroadcastService:
    service = BroadcastService(
        engine=app.engine,
        sessionmaker=app.sessionmaker,
        settings=settings,
        senders=app.senders,
        jobs=(),
        tick_seconds=0.1,
    )
    await service.start()
    return service


async def setup_places(app: Any) -> None:
    async with app.sessionmaker() as session, session.begin():
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        await add_locality(session, unit=unit, name="Alsviķi")
        await add_destination(session, unit=unit, name="Alūksne")


async def waiting_for(get: Any, part: str, seconds: float = 10) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        for message in get():
            if part in message:
                return message
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no message with {part!r} in {get()}")
        await asyncio.sleep(0.05)


def numbered(body: str, label: str) -> str:
    """The number of an option in a WhatsApp message: `2) Alūksne` -> "2"."""
    for line in body.splitlines():
        number, _, rest = line.partition(") ")
        if rest.strip() == label and number.strip().isdigit():
            return number.strip()
    raise AssertionError(f"no option {label!r} in {body!r}")


async def test_a_ride_offered_on_whatsapp_is_taken_on_telegram(database_url: str) -> None:
    async with both_messengers(database_url, quiet_hours="off", broadcast_retry_seconds=0.05) as (
        api,
        fake,
        telegram,
        bot,
    ):
        app = telegram.app
        await setup_places(app)
        service = await with_outbox(app, telegram.app.settings)
        try:
            await onboard(fake, bot, "whatsapp", JANIS)
            for user in (ANNA, BERTA, CARL):
                await telegram.onboard(user, unit="alsviku")

            async def answer(text: str) -> str:
                replies = await say(fake, bot, "whatsapp", JANIS, text)
                return "\n".join(reply.body for reply in replies)

            menu = await answer("0")
            screen = await answer(numbered(menu, lv("Neighbour help")))
            kinds = await answer(numbered(screen, lv("Offer or ask for help")))
            where_from = await answer(numbered(kinds, lv("I offer a ride")))
            where_to = await answer(numbered(where_from, "Alsviķi"))
            when = await answer(numbered(where_to, "Alūksne"))
            assert "dd.mm" not in when
            back = await answer(local(2, 9))
            assert "13:00" in back
            seats = await answer("13:00")
            assert lv("How many free seats?") in seats
            extra = await answer("2")
            preview = await answer(numbered(extra, lv("Skip")))
            assert "Alsviķi → Alūksne" in preview and "13:00" in preview
            done = await answer(numbered(preview, lv("Publish")))
            assert "#1" in done
            async with app.sessionmaker() as session:
                [post] = list(await session.scalars(select(HelpPost)))
                assert (post.kind, post.count, post.status) == ("ride_offer", 2, "open")

            # Anna finds it on Telegram and asks; the driver's number is nowhere yet
            [found] = await telegram.press(ANNA, "nhfind")
            assert OpenPost(post.id).pack() in payloads(found)
            [seen] = await telegram.press(ANNA, OpenPost(post.id).pack())
            assert JANIS not in seen["text"] and JANIS[1:] not in seen["text"]
            [sent] = await telegram.press(ANNA, Want(post.id).pack())
            assert lv(SENT) in sent["text"]
            [again] = await telegram.press(ANNA, Want(post.id).pack())
            assert again["text"] == lv("You have already asked for it.")

            answered = lv(
                "A neighbour answered your neighbour help No. {id}. Open it to accept or decline.",
                id=post.id,
            )
            notice = await waiting_for(lambda: [m.body for m in fake.messages_to(JANIS)], answered)
            assert "Anna" not in notice  # the name shows only on the screen behind it
            async with app.sessionmaker() as session:
                [request] = list(await session.scalars(select(HelpRequest)))
            # Berta cannot open, accept or withdraw Anna's request with crafted buttons
            for forged in (
                OpenRequest(request.id).pack(),
                Decide(request.id, True).pack(),
            ):
                [refused] = await telegram.press(BERTA, forged)
                assert refused["text"] == lv(REFUSED)
            async with app.sessionmaker() as session:
                refusals = [e.details for e in await audit_entries(session, action="refused")]
            assert {"attempted": "help_request", "request": request.id} in refusals

            opened = await answer(numbered(notice, lv("Open")))
            assert "Anna (Alsviķu pagasts)" in opened
            accepted = await answer(numbered(opened, lv("Accept")))
            assert f"tg://user?id={ANNA}" in accepted
            # Anna is told and sees the driver's WhatsApp only now
            await waiting_for(
                lambda: [m.get("text") or "" for m in api.messages_to(ANNA)],
                lv(
                    "Your request for neighbour help No. {id} was accepted. Open it to see the "
                    "contact.",
                    id=post.id,
                ),
            )
            [contact] = await telegram.press(ANNA, OpenRequest(request.id).pack())
            assert "https://wa.me/" + JANIS[1:] in contact["text"]
            assert (
                Translator("lv", timezone=RIGA).ngettext("{n} free seat", "{n} free seats", 1)
                in (contact["text"])
            )

            # Berta takes the last seat; the ride is full and closed for Carl
            await telegram.press(BERTA, Want(post.id).pack())
            [carl_asks] = await telegram.press(CARL, Want(post.id).pack())
            assert lv(SENT) in carl_asks["text"]

            def notices() -> list[str]:
                return [m.body for m in fake.messages_to(JANIS) if answered in m.body]

            deadline = asyncio.get_running_loop().time() + 10
            while len(notices()) < 3:
                assert asyncio.get_running_loop().time() < deadline, notices()
                await asyncio.sleep(0.05)
            async with app.sessionmaker() as session:
                berta_request = (
                    await session.scalars(select(HelpRequest).order_by(HelpRequest.id))
                ).all()[1]
            berta_screen = await answer(
                numbered(
                    await answer(numbered(await answer("0"), lv("Neighbour help"))),
                    lv("My posts and requests"),
                )
            )
            post_screen = await answer("1")
            request_label = lv(
                "Request {number}: {status}",
                number=berta_request.id,
                status=lv("waiting for an answer"),
            )
            berta_screen = await answer(numbered(post_screen, request_label))
            assert lv("Accept") in berta_screen
            await answer(numbered(berta_screen, lv("Accept")))
            async with app.sessionmaker() as session:
                post = await session.get(HelpPost, post.id)
                assert post is not None and (post.taken, post.status) == (2, "full")
                statuses = [
                    r.status
                    for r in await session.scalars(select(HelpRequest).order_by(HelpRequest.id))
                ]
            assert statuses == ["accepted", "accepted", "declined"]
            await waiting_for(
                lambda: [m.get("text") or "" for m in api.messages_to(CARL)],
                lv(
                    "Neighbour help No. {id} is full now, so your request could not be accepted.",
                    id=post.id,
                ),
            )
            [closed] = await telegram.press(CARL, "nhfind")
            assert OpenPost(post.id).pack() not in payloads(closed)
        finally:
            await service.stop()


async def test_a_report_reaches_the_representative_who_hides_the_post(chat: Chat) -> None:
    app = chat.app
    await setup_places(app)
    for user in ("driver", "rider", "rep", "other"):
        await chat.onboard(user, unit="annas" if user == "other" else "Alsviķu pagasts")
    async with app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "console", "rep")
        unit = await unit_by_slug(session, "alsviku")
        assert identity is not None
        await grant_role(session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=unit)
    await chat.say("driver", payload="nhnew:parcel_offer")
    await chat.say("driver", "Alūksne")
    await chat.say("driver", local(1, 15))
    await chat.say("driver", "3")
    await chat.say("driver", payload="nhstep:notext")
    done = await chat.say("driver", payload="nhstep:publish")
    assert "#1" in done.text
    # someone of another parish cannot see or report it
    refused = await chat.say("other", payload=OpenPost(1).pack())
    assert refused.text == REFUSED
    seen = await chat.say("rider", payload=OpenPost(1).pack())
    assert "Up to 3 parcels".lower() in seen.text.lower()
    reported = await chat.say("rider", payload="nhrep:1")
    assert "representative" in reported.text
    # a resident cannot hide it
    refused = await chat.say("rider", payload="nhhide:1")
    assert refused.text == REFUSED
    staff = await chat.say("rep", payload=OpenPost(1).pack())
    assert "nhhide:1" in [b.payload for b in staff.options]
    hidden = await chat.say("rep", payload="nhhide:1")
    assert hidden.text.startswith("It is hidden now.")
    listing = await chat.say("rider", payload="nhfind")
    assert "nhpost:1" not in [b.payload for b in listing.options]
    await chat.say("rep", payload="nhban:1")
    banned = await chat.say("driver", payload="nhnew")
    assert banned.text == REFUSED


async def test_forget_withdraws_an_open_match_and_leaves_no_post(
    chat: Chat, database_url: str
) -> None:
    app = chat.app
    await setup_places(app)
    for user in ("driver", "rider"):
        await chat.onboard(user)
    await chat.say("driver", payload="nhnew:other_offer")
    await chat.say("driver", "Varu palīdzēt ar malku QXWOOD77.")
    await chat.say("driver", local(3, 12))
    await chat.say("driver", payload="nhstep:publish")
    await chat.say("rider", payload=Want(1).pack())
    mydata = await chat.say("driver", "/mydata")
    assert mydata.attachment is not None and b"QXWOOD77" in mydata.attachment.content
    assert "Your neighbour help:\n#1 Help offered, " in mydata.text
    assert mydata.text.count(": open") == 1
    theirs = await chat.say("rider", "/mydata")
    assert "My request: #1 Help offered, " in theirs.text
    await chat.say("driver", "/forget")
    await chat.say("driver", payload="forget:yes")
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(HelpPost))) == []
        assert list(await session.scalars(select(HelpRequest))) == []
        rider = await find_identity(session, "console", "rider")
        assert rider is not None
        notices = [
            broadcast.texts["lv"]
            for broadcast in await session.scalars(select(Broadcast).order_by(Broadcast.id))
            if broadcast.resident_ids == [rider.resident_id]
        ]
    # the rider learns only that it was withdrawn
    assert notices[-1] == lv("An offer or request of neighbour help you had was withdrawn.")
    assert b"QXWOOD77" not in logical_dump(database_url)
    if not ON_POSTGRES:
        for name, content in database_files(database_url).items():
            assert b"QXWOOD77" not in content, name


async def test_after_the_date_both_are_asked_once_and_the_month_is_counted(
    chat: Chat,
) -> None:
    app = chat.app
    await setup_places(app)
    for user in ("driver", "rider", "rep"):
        await chat.onboard(user)
    async with app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "console", "rep")
        unit = await unit_by_slug(session, "alsviku")
        assert identity is not None
        await grant_role(session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=unit)
    await chat.say("driver", payload="nhnew:ride_request")
    await chat.say("driver", "Alsviķi")
    await chat.say("driver", "Alūksne")
    await chat.say("driver", local(1, 8))
    await chat.say("driver", "1")
    await chat.say("driver", payload="nhstep:notext")
    await chat.say("driver", payload="nhstep:publish")
    await chat.say("rider", payload=Want(1).pack())
    accepted = await chat.say("driver", payload=Decide(1, True).pack())
    assert "Contact: console:rider" in accepted.text
    async with app.sessionmaker() as session:
        post = await session.get(HelpPost, 1)
        assert post is not None and post.status == "full"
        starts = post.starts_at

    async def notices_with(payload: str) -> list[Broadcast]:
        async with app.sessionmaker() as session:
            return [
                item
                for item in await session.scalars(select(Broadcast).order_by(Broadcast.id))
                if any(button == payload for _, button in item.actions)
            ]

    later = JobContext(app.sessionmaker, app.settings, starts + timedelta(hours=4))
    await after_the_date(later)
    await after_the_date(later)  # asked once
    asked = await notices_with(Done(1, True).pack())
    assert len(asked) == 2
    assert asked[0].texts["en"].startswith("Did neighbour help No. 1 of ")
    assert (await chat.say("driver", payload=Done(1, True).pack())).text.startswith("Thank you!")
    refused = await chat.say("rep", payload=Done(1, True).pack())
    assert refused.text == REFUSED
    async with app.sessionmaker() as session:
        request = await session.get(HelpRequest, 1)
        assert request is not None and request.author_says_done is True
        assert request.asker_says_done is None

    local_start = starts.astimezone(RIGA)
    next_month = (local_start.replace(day=28) + timedelta(days=4)).replace(day=2, hour=10)
    async with app.sessionmaker() as session:
        before = len(list(await session.scalars(select(Broadcast))))
    for _ in range(2):
        await monthly_counts(JobContext(app.sessionmaker, app.settings, next_month))
    async with app.sessionmaker() as session:
        sent = list(await session.scalars(select(Broadcast).order_by(Broadcast.id)))[before:]
    assert [item.texts["en"] for item in sent] == [
        f"Neighbour help in Alsviķi parish, {local_start.strftime('%m.%Y')}: neighbours helped "
        "each other 1 time (offers and requests: 1)."
    ]


async def test_a_post_in_the_group_has_no_contact_and_a_link_to_answer_privately(
    database_url: str,
) -> None:
    group = -1001234567
    async with (
        fake_telegram_api() as api,
        ideas_bot(database_url, api, telegram_bot_username="padome_test_bot") as bot,
    ):
        await setup_places(bot.app)
        async with bot.app.sessionmaker() as session, session.begin():
            unit = await unit_by_slug(session, "alsviku")
            assert unit is not None
            unit.telegram_group_chat_id = group
        await join(bot, ANNA, name="Anna Ozola")
        await join(bot, BERTA, name="Berta")
        await bot.send(ANNA, "/neighbours")
        await bot.press(ANNA, "nhnew:parcel_offer")
        [when] = await bot.send(ANNA, "Alūksne")
        assert when["text"] == lv(
            "When do you go? Write the date and time like {example}.", example=local(1, 9)
        )
        await bot.send(ANNA, local(1, 10))
        await bot.press(ANNA, "nhcount:3")
        [ask] = await bot.press(ANNA, "nhstep:notext")
        assert payloads(ask) == ["nhgroup:y", "nhgroup:n", "nhstep:cancel"]
        [preview] = await bot.press(ANNA, "nhgroup:y")
        assert lv("Publish") in labels(preview)
        await bot.press(ANNA, "nhstep:publish")
        [posted] = await api.wait_for(chat_id=group)
        assert "https://t.me/padome_test_bot?start=help_1" in posted["text"]
        assert "Anna" not in posted["text"] and str(ANNA) not in posted["text"]
        assert "Alūksne" in posted["text"]
        # a neighbour opens the link and sees the post with the button to ask
        [opened] = await bot.send(BERTA, "/start help_1")
        assert Want(1).pack() in payloads(opened)
        [forged] = await bot.send(BERTA, "/start help_x1")
        assert forged["text"] == lv(REFUSED)


async def test_the_month_s_count_goes_to_the_group_when_the_representative_wishes(
    database_url: str,
) -> None:
    group = -1001234568
    representative = 5104
    async with (
        fake_telegram_api() as api,
        ideas_bot(database_url, api, telegram_bot_username="padome_test_bot") as bot,
    ):
        await setup_places(bot.app)
        await join(bot, ANNA, name="Anna Ozola")
        await join(bot, BERTA, name="Berta")
        await join(bot, representative, name="Rita")
        async with bot.app.sessionmaker() as session, session.begin():
            unit = await unit_by_slug(session, "alsviku")
            assert unit is not None
            unit.telegram_group_chat_id = group
            identity = await find_identity(session, "telegram", str(representative))
            assert identity is not None
            await grant_role(
                session, resident=identity.resident, role=Role.REPRESENTATIVE, unit=unit
            )
        await bot.send(ANNA, "/neighbours")
        await bot.press(ANNA, "nhnew:parcel_offer")
        await bot.send(ANNA, "Alūksne")
        await bot.send(ANNA, local(1, 10))
        await bot.press(ANNA, "nhcount:3")
        await bot.press(ANNA, "nhstep:notext")
        await bot.press(ANNA, "nhgroup:n")
        await bot.press(ANNA, "nhstep:publish")
        await bot.press(BERTA, Want(1).pack())
        await bot.press(ANNA, Decide(1, True).pack())
        async with bot.app.sessionmaker() as session:
            post = await session.get(HelpPost, 1)
            assert post is not None
            local_start = post.starts_at.astimezone(RIGA)
        month = local_start.strftime("%Y-%m")
        next_month = (local_start.replace(day=28) + timedelta(days=4)).replace(day=2, hour=10)
        await monthly_counts(JobContext(bot.app.sessionmaker, bot.settings, next_month))
        share = ShareCount("alsviku", month).pack()
        notices = await api.wait_for(
            chat_id=representative,
            predicate=lambda sent: any(share in payloads(item) for item in sent),
        )
        [notice] = [item for item in notices if share in payloads(item)]
        assert "1 reizi" in notice["text"]
        before = len(api.messages_to(group))

        # Only who manages the unit may post it; a crafted button is refused.
        [refused] = await bot.press(BERTA, share)
        assert refused["text"] == lv(REFUSED)
        [posted] = await bot.press(representative, share)
        assert posted["text"].startswith(lv("Posted in the community group. Thank you!"))
        [count] = (await api.wait_for(chat_id=group, count=before + 1))[before:]
        assert count["text"].startswith(
            f"Kaimiņu palīdzība Alsviķu pagastā, {local_start.strftime('%m.%Y')}: kaimiņi "
            "palīdzēja cits citam 1 reizi."
        )
        assert "Anna" not in count["text"] and "Berta" not in count["text"]
        # Pressed again: once is enough.
        [again] = await bot.press(representative, share)
        assert again["text"].startswith(lv("That count is already in the community group."))
        await bot.settle()
        assert len(api.messages_to(group)) == before + 1


async def test_a_blocked_neighbour_neither_sees_nor_asks(chat: Chat) -> None:
    app = chat.app
    await setup_places(app)
    for user in ("driver", "rider"):
        await chat.onboard(user)
    await chat.say("driver", payload="nhnew:other_request")
    await chat.say("driver", "Vajag palīdzēt iznest skapi.")
    await chat.say("driver", local(2, 12))
    await chat.say("driver", payload="nhstep:publish")
    listing = await chat.say("rider", payload="nhfind")
    assert "nhpost:1" in [b.payload for b in listing.options]
    seen = await chat.say("rider", payload="nhpost:1")
    assert [b.payload for b in seen.options] == [
        "nhwant:1",
        "nhrep:1",
        "nhblockp:1",
        "nhfind",
    ]
    blocked = await chat.say("rider", payload="nhblockp:1")
    assert blocked.text.startswith("Done: you will not see this person's posts")
    listing = await chat.say("rider", payload="nhfind")
    assert "nhpost:1" not in [b.payload for b in listing.options]
    # a crafted press to ask anyway is not taken
    refused = await chat.say("rider", payload="nhwant:1")
    assert refused.text.startswith("That post is no longer open.")
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(HelpRequest))) == []


async def test_a_neighbouring_parish_s_ride_that_goes_my_way_is_shown(
    chat: Chat, tmp_path: Path
) -> None:
    app = chat.app
    await setup_places(app)  # Alsviķu pagasts goes to Alūksne
    # Staff record that Annas and Alsviķu parishes border each other.
    added = run_padome(
        ["help", "neighbours", "add", "annas", "alsviku"],
        stdin="",
        database_url=app.settings.database_url,
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    listed = run_padome(
        ["help", "neighbours", "list", "alsviku"],
        stdin="",
        database_url=app.settings.database_url,
        cwd=tmp_path,
    )
    assert listed.stdout.strip() == "Annas pagasts"
    await chat.onboard("driver", unit="Annas pagasts")
    await chat.onboard("rider")  # Alsviķu pagasts
    await chat.onboard("far", unit="Ziemera pagasts")  # not a neighbour
    for going in ("Alūksne", "Gulbene"):
        await chat.say("driver", payload="nhnew:ride_offer")
        await chat.say("driver", "Anna")
        await chat.say("driver", going)
        await chat.say("driver", local(1, 8))
        await chat.say("driver", payload="nhstep:noback")
        await chat.say("driver", "2")
        await chat.say("driver", payload="nhstep:notext")
        await chat.say("driver", payload="nhstep:publish")
    async with app.sessionmaker() as session:
        posts = list(await session.scalars(select(HelpPost).order_by(HelpPost.id)))
    assert [(post.id, post.to_place) for post in posts] == [(1, "Alūksne"), (2, "Gulbene")]

    # The ride to Alūksne goes where Alsviķi goes; the one to Gulbene does not.
    found = await chat.say("rider", payload="nhfind")
    assert "rides from neighbouring parishes and towns" in found.text
    assert [button.payload for button in found.options][:1] == [OpenPost(1).pack()]
    assert OpenPost(2).pack() not in [button.payload for button in found.options]
    opened = await chat.say("rider", payload=OpenPost(1).pack())
    assert "Offered in Anna parish." in opened.text
    assert await chat.say("rider", payload=Want(1).pack())
    async with app.sessionmaker() as session:
        [request] = list(await session.scalars(select(HelpRequest)))
        assert request.post_id == 1
    # Not the other ride, and nothing for a parish that is no neighbour: refused and audited.
    assert (await chat.say("rider", payload=Want(2).pack())).text == REFUSED
    assert (await chat.say("far", payload=OpenPost(1).pack())).text == REFUSED
    far = await chat.say("far", payload="nhfind")
    assert OpenPost(1).pack() not in [button.payload for button in far.options]
    async with app.sessionmaker() as session:
        refused = await audit_entries(session, action="refused")
    assert {entry.details["attempted"] for entry in refused} >= {"help_ask", "help_post_view"}


async def test_a_return_before_leaving_is_asked_again_and_lists_show_the_year(chat: Chat) -> None:
    app = chat.app
    await setup_places(app)
    for user in ("driver", "rider"):
        await chat.onboard(user)
    leaving = local(2, 9)
    await chat.say("driver", payload="nhnew:ride_offer")
    await chat.say("driver", "Alsviķi")
    await chat.say("driver", "Alūksne")
    asked = await chat.say("driver", leaving.replace(" 09:00", " 9.00"))
    assert asked.text.startswith("About when do you come back?")
    for early in ("08:00", "9.00"):
        again = await chat.say("driver", early)
        assert again.text.startswith(
            f"You leave at {leaving}: the time back must be later that day.\n\n"
            "About when do you come back?"
        ), again.text
        assert "nhstep:noback" in [b.payload for b in again.options]
    seats = await chat.say("driver", "13:00")
    assert seats.text.startswith("How many free seats?")
    await chat.say("driver", "2")
    await chat.say("driver", payload="nhstep:notext")
    await chat.say("driver", payload="nhstep:publish")
    async with app.sessionmaker() as session:
        [post] = list(await session.scalars(select(HelpPost)))
        assert post.returns_at is not None and post.returns_at > post.starts_at
        assert (post.returns_at - post.starts_at) == timedelta(hours=4)
    listing = await chat.say("rider", payload="nhfind")
    assert f"#1 Ride offered: Alsviķi → Alūksne, {leaving}" in [b.label for b in listing.options]
    mine = await chat.say("driver", payload="nhmine")
    assert any(b.label.endswith(f", {leaving}") for b in mine.options), mine.options


async def test_a_typed_count_is_the_count_and_never_cancels(chat: Chat) -> None:
    """Where options are typed (WhatsApp, SMS, the console), a typed number is the count: 9
    seats is refused naming the range, not taken for Cancel; Cancel is its word, and with
    answers given it asks before the post is given up."""
    app = chat.app
    await setup_places(app)
    await chat.onboard("driver")
    await chat.say("driver", payload="nhnew:ride_offer")
    await chat.say("driver", "Alsviķi")
    await chat.say("driver", "Alūksne")
    await chat.say("driver", local(2, 9))
    seats = await chat.say("driver", "13:00")
    question = 'How many free seats?\nChoose or write a number from 1 to 8, or "Cancel".'
    assert seats.text == question and not seats.numbered
    assert [b.label for b in seats.options] == [*map(str, range(1, 9)), "Cancel"]
    assert text_with_options(seats) == f"{question}\n- 1 · 2 · 3 · 4\n- 5 · 6 · 7 · 8\n- Cancel"
    for typed, why in (
        ("9", "At most 8 in one post. Please write a number from 1 to 8."),
        ("12", "At most 8 in one post. Please write a number from 1 to 8."),
        ("0", "Please write a number from 1 to 8."),
    ):
        again = await chat.say("driver", typed)
        assert again.text == f"{why}\n\n{question}", again.text
        assert "nhstep:cancel" in [b.payload for b in again.options]
    extra = await chat.say("driver", "8")
    assert extra.text.startswith("Anything to add?"), extra.text
    await chat.say("driver", payload="nhstep:notext")
    await chat.say("driver", payload="nhstep:publish")
    async with app.sessionmaker() as session:
        [post] = list(await session.scalars(select(HelpPost)))
        assert (post.count, post.status) == (8, "open")

    await chat.say("driver", payload="nhnew:ride_request")
    await chat.say("driver", "Alsviķi")
    await chat.say("driver", "Alūksne")
    people = await chat.say("driver", local(3, 9))
    assert people.text.startswith("How many people need the ride?"), people.text
    refused = await chat.say("driver", "9")
    assert refused.text.startswith("At most 8 in one post."), refused.text
    sure = await chat.say("driver", "cancel")
    assert sure.text == "Cancel this post? What you have entered so far will not be kept."
    assert [b.label for b in sure.options] == ["Yes, cancel it", "No, go on"] and sure.numbered
    back = await chat.say("driver", "2")
    assert back.text.startswith("How many people need the ride?"), back.text
    await chat.say("driver", "Cancel")
    gone = await chat.say("driver", "1")
    assert gone.text.startswith("Nothing was published."), gone.text
    async with app.sessionmaker() as session:
        assert len(list(await session.scalars(select(HelpPost)))) == 1


async def test_a_ride_to_where_it_starts_is_asked_again(chat: Chat) -> None:
    """A ride from a village to the same village is refused in the resident's language and
    where to is asked again, with Cancel; the start is not offered as where to."""
    app = chat.app
    await setup_places(app)
    await chat.onboard("rider", language="Latviešu")
    await chat.say("rider", payload="nhnew:ride_request")
    where_to = await chat.say("rider", "Alsviķi")
    assert where_to.text.startswith(lv("Where to?")), where_to.text
    assert [b.label for b in where_to.options] == ["Alūksne", lv("Cancel")]
    question = where_to.text
    for typed in ("Alsviķi", "alsviki"):
        again = await chat.say("rider", typed)
        why = lv(
            "A ride cannot end where it starts ({place}). Please choose or write another place.",
            place="Alsviķi",
        )
        assert again.text == f"{why}\n\n{question}", again.text
        assert [b.label for b in again.options] == ["Alūksne", lv("Cancel")]
    when = await chat.say("rider", "1")
    assert when.text == lv(
        "When do you leave? Write the date and time like {example}.", example=local(1, 9)
    )
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(HelpPost))) == []


async def test_on_telegram_counts_are_buttons_and_cancel_asks_first(database_url: str) -> None:
    """On Telegram the counts stay buttons; Cancel with answers given asks first, and going
    on shows the same step again. A ride to where it starts is refused in Russian too."""
    async with (
        fake_telegram_api() as api,
        ideas_bot(database_url, api) as bot,
    ):
        await setup_places(bot.app)
        await join(bot, ANNA, language="ru")
        ru = Translator("ru", timezone=RIGA)
        start = await bot.press(ANNA, "nhnew:ride_offer")
        assert start[-1]["text"].startswith(ru._("Where do you drive from?"))
        [first] = await bot.press(ANNA, "nhstep:cancel")
        assert first["text"].startswith(ru._("Nothing was published."))
        await bot.press(ANNA, "nhnew:ride_offer")
        await bot.send(ANNA, "Alsviķi")
        [same] = await bot.send(ANNA, "Alsviķi")
        assert same["text"].startswith(
            ru._(
                "A ride cannot end where it starts ({place}). "
                "Please choose or write another place.",
                place="Alsviķi",
            )
        )
        assert "nhstep:cancel" in payloads(same)
        await bot.send(ANNA, "Alūksne")
        await bot.send(ANNA, local(2, 9))
        [seats] = await bot.press(ANNA, "nhstep:noback")
        assert seats["text"].startswith(ru._("How many free seats?"))
        assert payloads(seats) == [*(f"nhcount:{n}" for n in range(1, 9)), "nhstep:cancel"]
        [sure] = await bot.press(ANNA, "nhstep:cancel")
        assert sure["text"] == ru._(
            "Cancel this post? What you have entered so far will not be kept."
        )
        assert payloads(sure) == ["nhstep:discard", "nhstep:resume"]
        # a count tapped on the screen before waits for the answer: nothing is lost
        [wait] = await bot.press(ANNA, "nhcount:4")
        assert wait["text"].endswith(sure["text"]) and payloads(wait) == payloads(sure)
        [again] = await bot.press(ANNA, "nhstep:resume")
        assert payloads(again) == payloads(seats)
        await bot.press(ANNA, "nhcount:3")
        await bot.press(ANNA, "nhstep:notext")
        await bot.press(ANNA, "nhstep:publish")
        async with bot.app.sessionmaker() as session:
            [post] = list(await session.scalars(select(HelpPost)))
            assert (post.from_place, post.to_place, post.count) == ("Alsviķi", "Alūksne", 3)


async def test_a_ride_back_the_next_day_is_given_with_its_date(chat: Chat) -> None:
    """A time alone is later the same day; a date and time may be any later day. What is
    not understood is refused naming both forms."""
    app = chat.app
    await setup_places(app)
    await chat.onboard("driver")
    leaving = local(2, 9)
    back = local(3, 18)
    await chat.say("driver", payload="nhnew:ride_offer")
    await chat.say("driver", "Alsviķi")
    await chat.say("driver", "Alūksne")
    asked = await chat.say("driver", leaving)
    assert asked.text == (
        "About when do you come back? Write the time like 13:00, or for another day the date "
        f"and time like {back}, or choose Skip."
    )
    refused = await chat.say("driver", "rīt vakarā")
    assert refused.text.startswith(
        f"Please write the time like 13:00, or the date and time like {back}, or choose Skip."
    ), refused.text
    before = await chat.say("driver", local(1, 18))
    assert before.text.startswith(f"You leave at {leaving}: the time back must be later."), (
        before.text
    )
    seats = await chat.say("driver", back)
    assert seats.text.startswith("How many free seats?"), seats.text
    await chat.say("driver", "2")
    preview = await chat.say("driver", payload="nhstep:notext")
    assert f"Back around {back}" in preview.text, preview.text
    await chat.say("driver", payload="nhstep:publish")
    async with app.sessionmaker() as session:
        [post] = list(await session.scalars(select(HelpPost)))
        assert post.returns_at is not None
        assert post.returns_at.astimezone(RIGA).strftime("%d.%m.%Y %H:%M") == back
