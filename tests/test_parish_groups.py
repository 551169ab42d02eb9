"""The unit's Telegram group with the bot as its host: the join link, join requests, the
collected welcome and the few answers in the group; over the real client and the fake API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.i18n import Translator
from broadcasts.service import JobContext
from handlers.parish_group import (
    AskCoordinator,
    LetIn,
    NotResident,
    WithdrawRequest,
    decline_stale_requests,
    welcome_new_members,
)
from models import JoinRequest
from models.base import utcnow
from models.residents import find_identity, register_resident
from models.roles import Role, grant_role
from models.territory import unit_by_slug
from tests.fakes.telegram_api import FakeTelegramAPI, FloodLimits, payloads
from tests.telegram import RunningBot, fake_telegram_api
from tests.test_console import run_padome
from tests.test_ideas import ideas_bot

REPRESENTATIVE = 1001
RESIDENT = 1002
STRANGER = 1003
COORDINATOR = 900
GROUP = -100_777
OTHER_GROUP = -100_888
RIGA = ZoneInfo("Europe/Riga")
IN_GROUP: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup"}


def lv(message: str, **values: Any) -> str:
    return Translator("lv", timezone=RIGA)._(message, **values)


async def about_alsviku(bot: RunningBot, message: str) -> str:
    """`message` with {unit} as a Latvian speaker reads it of Alsviķu pagasts."""
    async with bot.app.sessionmaker() as session:
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        t = Translator("lv", timezone=RIGA)
        return t._(message, unit=t.place(unit))


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with fake_telegram_api(flood_limits=FloodLimits()) as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeTelegramAPI, database_url: str) -> AsyncIterator[RunningBot]:
    async with ideas_bot(database_url, api, telegram_bot_username="padome_test_bot") as running:
        yield running


async def grant(bot: RunningBot, user_id: int, role: Role, unit_slug: str | None) -> None:
    async with bot.app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "telegram", str(user_id))
        assert identity is not None
        unit = await unit_by_slug(session, unit_slug) if unit_slug else None
        await grant_role(session, resident=identity.resident, role=role, unit=unit)


async def linked_group(bot: RunningBot) -> str:
    """A representative of Alsviķi links GROUP; returns the join link the bot made."""
    await bot.onboard(REPRESENTATIVE)
    await grant(bot, REPRESENTATIVE, Role.REPRESENTATIVE, "alsviku")
    [linked] = await bot.send(REPRESENTATIVE, "/linkgroup", **IN_GROUP)
    assert linked["text"] == "Tagad šī ir Alsviķu pagasta kopienas grupa."
    await bot.api.wait_for_calls("createChatInviteLink", count=1)
    assert bot.api.invite_links[GROUP][-1]["creates_join_request"] is True
    await bot.settle()
    async with bot.app.sessionmaker() as session:
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None and unit.telegram_join_link is not None
        return unit.telegram_join_link


async def requests(bot: RunningBot) -> list[tuple[str, str, str | None]]:
    async with bot.app.sessionmaker() as session:
        rows = await session.scalars(select(JoinRequest).order_by(JoinRequest.id))
        return [(row.user_id, row.status, row.approved_by) for row in rows]


async def test_linking_makes_a_join_link_that_residents_get(bot: RunningBot) -> None:
    link = await linked_group(bot)
    assert link == bot.api.invite_links[GROUP][-1]["invite_link"]
    menu = await bot.onboard(RESIDENT)
    assert lv("Join your community group: {link}", link=link) in menu["text"]
    [group] = await bot.send(RESIDENT, "/group")
    assert link in group["text"]


async def test_a_group_linked_before_gets_its_join_link_when_the_bot_starts(
    bot: RunningBot,
) -> None:
    async with bot.app.sessionmaker() as session, session.begin():
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        unit.telegram_group_chat_id = GROUP
        unit.invite_link = "https://t.me/+old"
    # what `TelegramChannel.start` does after the client is up
    await bot.channel.make_missing_join_links()
    made = bot.api.invite_links[GROUP][-1]
    assert made["creates_join_request"] is True
    menu = await bot.onboard(RESIDENT)
    assert made["invite_link"] in menu["text"] and "+old" not in menu["text"]
    # nothing was said in the group
    assert bot.api.messages_to(GROUP) == []


async def test_a_group_where_the_bot_is_no_admin_is_told_what_to_do(bot: RunningBot) -> None:
    bot.api.not_admin_in.add(GROUP)
    await bot.onboard(REPRESENTATIVE)
    await grant(bot, REPRESENTATIVE, Role.REPRESENTATIVE, "alsviku")
    _, told = await bot.send(REPRESENTATIVE, "/linkgroup", replies=2, **IN_GROUP)
    assert told["text"].startswith("Es nevarēju izveidot")
    assert "/linkgroup" in told["text"]
    async with bot.app.sessionmaker() as session:
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        assert (unit.telegram_join_link, unit.telegram_join_link_problem) == (None, "not_admin")


async def test_a_resident_of_the_unit_is_let_in_at_once(bot: RunningBot, tmp_path: Path) -> None:
    await linked_group(bot)
    await bot.onboard(RESIDENT)
    bot.api.push_join_request(RESIDENT, GROUP, first_name="Berta")
    await bot.api.wait_for_calls("approveChatJoinRequest", count=1)
    await bot.settle()
    assert bot.api.members[GROUP] == {RESIDENT}
    assert await requests(bot) == [(str(RESIDENT), "approved", "resident")]

    # staff see the group, its state, one let in and one waiting
    bot.api.push_join_request(STRANGER, GROUP, first_name="Carl")
    await bot.api.wait_for(chat_id=STRANGER, count=1)
    listed = run_padome(
        ["groups", "list"],
        stdin="",
        database_url=bot.settings.database_url,
        cwd=tmp_path,
        COLUMNS="200",
    )
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if "alsviku" in line]
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[1:3] == [str(GROUP), "bot admits"]
    assert cells[-2:] == ["1", "1"]


async def test_a_stranger_who_chooses_the_unit_is_let_in(bot: RunningBot) -> None:
    await linked_group(bot)
    before = len(bot.api.messages_to(STRANGER))
    bot.api.push_join_request(STRANGER, GROUP, first_name="Carl")
    [offer] = (await bot.api.wait_for(chat_id=STRANGER, count=before + 1))[before:]
    assert "Alsviķu pagasta kopienas grupā" in offer["text"]
    assert payloads(offer) == ["restart", NotResident(1).pack()]
    assert GROUP not in bot.api.members
    await bot.press(STRANGER, "restart")
    await bot.press(STRANGER, "lang:lv")
    await bot.press(STRANGER, "privacy:agree")
    [menu] = await bot.press(STRANGER, "unit:alsviku")
    assert (await about_alsviku(bot, "I have let you into the community group of {unit}.")) in menu[
        "text"
    ]
    await bot.api.wait_for_calls("approveChatJoinRequest", count=1)
    assert bot.api.members[GROUP] == {STRANGER}
    assert await requests(bot) == [(str(STRANGER), "approved", "onboarding")]


async def test_a_stranger_who_chooses_another_unit_is_turned_down_kindly(bot: RunningBot) -> None:
    await linked_group(bot)
    bot.api.push_join_request(STRANGER, GROUP, first_name="Carl", language_code="ru")
    # someone new hears of the group in their Telegram app's language
    [offer] = await bot.api.wait_for(chat_id=STRANGER, count=1)
    assert "группу жителей Алсвикской волости" in offer["text"]
    await bot.press(STRANGER, "restart")
    await bot.press(STRANGER, "lang:lv")
    await bot.press(STRANGER, "privacy:agree")
    [menu] = await bot.press(STRANGER, "unit:annas")
    assert "nevarēju Jūs ielaist" in menu["text"]
    await bot.api.wait_for_calls("declineChatJoinRequest", count=1)
    assert bot.api.declined[GROUP] == {STRANGER}
    assert GROUP not in bot.api.members
    assert await requests(bot) == [(str(STRANGER), "declined", None)]


async def test_a_stranger_who_does_not_live_there_may_withdraw(bot: RunningBot) -> None:
    await linked_group(bot)
    bot.api.push_join_request(STRANGER, GROUP, first_name="Carl")
    await bot.api.wait_for(chat_id=STRANGER, count=1)
    # Someone else's crafted button does nothing to the request.
    await bot.onboard(RESIDENT)
    [refused] = await bot.press(RESIDENT, WithdrawRequest(1).pack())
    assert refused["text"] == lv("Sorry, you are not allowed to do that.")
    assert await requests(bot) == [(str(STRANGER), "pending", None)]

    await bot.press(STRANGER, NotResident(1).pack())
    [said] = await bot.press(STRANGER, WithdrawRequest(1).pack())
    assert said["text"].startswith("Jūsu lūgums pievienoties Alsviķu pagasta kopienas grupai")
    assert payloads(said) == ["restart"]
    await bot.api.wait_for_calls("declineChatJoinRequest", count=1)
    assert bot.api.declined[GROUP] == {STRANGER}
    assert await requests(bot) == [(str(STRANGER), "declined", None)]
    # Pressed again: told it is closed, nothing asked of Telegram twice.
    [again] = await bot.press(STRANGER, WithdrawRequest(1).pack())
    assert again["text"] == lv("That request is already closed.")
    await bot.settle()
    assert len(bot.api.calls_to("declineChatJoinRequest")) == 1


async def test_a_stranger_who_leaves_without_an_answer_is_declined_after_two_days(
    bot: RunningBot,
) -> None:
    await linked_group(bot)
    bot.api.push_join_request(STRANGER, GROUP, first_name="Carl")
    await bot.api.wait_for(chat_id=STRANGER, count=1)
    await bot.onboard(RESIDENT)  # someone else, already let in: nothing to decline
    start = utcnow()
    for later in (timedelta(days=1), timedelta(days=1, hours=23)):
        await decline_stale_requests(
            JobContext(bot.app.sessionmaker, bot.settings, start + later, bot.app.senders)
        )
    assert await requests(bot) == [(str(STRANGER), "pending", None)]
    for _ in range(2):  # run again: asked of Telegram once
        await decline_stale_requests(
            JobContext(
                bot.app.sessionmaker,
                bot.settings,
                start + timedelta(days=2, minutes=1),
                bot.app.senders,
            )
        )
    await bot.api.wait_for_calls("declineChatJoinRequest", count=1)
    assert bot.api.declined[GROUP] == {STRANGER}
    assert await requests(bot) == [(str(STRANGER), "declined", None)]
    await bot.settle()
    assert len(bot.api.calls_to("declineChatJoinRequest")) == 1


async def test_a_coordinator_lets_a_non_resident_in_and_a_resident_may_not(
    bot: RunningBot,
) -> None:
    await linked_group(bot)
    await bot.onboard(COORDINATOR)
    await grant(bot, COORDINATOR, Role.COORDINATOR, None)
    await bot.onboard(RESIDENT)
    bot.api.push_join_request(STRANGER, GROUP, first_name="Carl")
    await bot.api.wait_for(chat_id=STRANGER, count=1)
    # The coordinators hear of the request, with the button to let the person in.
    notice = (await bot.api.wait_for(chat_id=COORDINATOR, predicate=_with(LetIn(1).pack())))[-1]
    assert "Carl" in notice["text"]
    [asked] = await bot.press(STRANGER, NotResident(1).pack())
    assert payloads(asked) == [AskCoordinator(1).pack(), WithdrawRequest(1).pack()]
    [said] = await bot.press(STRANGER, AskCoordinator(1).pack())
    assert "koordinators" in said["text"]
    assert await requests(bot) == [(str(STRANGER), "pending", None)]

    # A resident who crafts the button is refused, and nobody is let in.
    [refused] = await bot.press(RESIDENT, LetIn(1).pack())
    assert refused["text"] == lv("Sorry, you are not allowed to do that.")
    await bot.settle()
    assert GROUP not in bot.api.members

    [done] = await bot.press(COORDINATOR, LetIn(1).pack(), message_id=notice["message_id"])
    assert "Carl" in done["text"]
    await bot.api.wait_for_calls("approveChatJoinRequest", count=1)
    assert bot.api.members[GROUP] == {STRANGER}
    [told] = (await bot.api.wait_for(chat_id=STRANGER, count=3))[-1:]
    assert told["text"] == await about_alsviku(
        bot, "A coordinator has let you into the community group of {unit}."
    )
    assert await requests(bot) == [(str(STRANGER), "approved", "coordinator")]
    # Pressed again: already in, nothing asked of Telegram twice.
    [again] = await bot.press(COORDINATOR, LetIn(1).pack(), message_id=notice["message_id"])
    assert again["text"].startswith(lv("That person is already in the group."))


async def test_fifty_residents_let_in_at_once_hear_one_welcome(bot: RunningBot) -> None:
    await linked_group(bot)
    people = list(range(5000, 5050))
    async with bot.app.sessionmaker() as session, session.begin():
        unit = await unit_by_slug(session, "alsviku")
        assert unit is not None
        for user in people:
            resident = await register_resident(
                session,
                channel="telegram",
                external_id=str(user),
                language="lv",
                display_name=f"N{user}",
            )
            resident.unit_id = unit.id
    for user in people:
        bot.api.push_join_request(user, GROUP, first_name=f"N{user}")
    await bot.api.wait_for_calls("approveChatJoinRequest", count=50)
    await bot.settle()
    assert bot.api.members[GROUP] == set(people)

    now = utcnow()
    for moment in (now, now + timedelta(minutes=1), now + timedelta(minutes=4)):
        await welcome_new_members(JobContext(bot.app.sessionmaker, bot.settings, moment))
    welcome = (await bot.api.wait_for(chat_id=GROUP, count=2))[-1]
    # Ten names, in the order they were let in (three requests are handled at once), and
    # the count of the rest.
    assert welcome["text"].startswith("Laipni lūdzam grupā, N")
    named = welcome["text"].removeprefix("Laipni lūdzam grupā, ").split(" un vēl 40!")[0]
    assert len(set(named.split(", "))) == 10
    assert set(named.split(", ")) <= {f"N{user}" for user in people}
    assert "https://t.me/padome_test_bot?start=group_start" in welcome["text"]
    await bot.settle()
    # the group heard the link reply and one welcome: far under 20 a minute, none refused
    assert len(bot.api.messages_to(GROUP)) == 2
    assert [
        call for call in bot.api.calls if call.params.get("chat_id") == GROUP and call.refused
    ] == []


async def test_in_the_group_help_is_short_and_personal_commands_move_to_private(
    bot: RunningBot,
) -> None:
    await linked_group(bot)
    await bot.onboard(RESIDENT)
    [helped] = await bot.send(RESIDENT, "/help@padome_test_bot", **IN_GROUP)
    assert "/news" in helped["text"] and len(helped["text"]) < 250
    assert "https://t.me/padome_test_bot?start=group_help" in helped["text"]
    [mine] = await bot.send(RESIDENT, "/mydata", **IN_GROUP)
    assert mine["text"] == lv(
        "Let us talk about that in a private chat: {link}",
        link="https://t.me/padome_test_bot?start=group_mydata",
    )
    [news] = await bot.send(RESIDENT, "/news", **IN_GROUP)
    assert news["text"] == "Alsviķu pagastam vēl nav ziņu."
    # the link opens the private chat with the menu
    [opened] = await bot.send(RESIDENT, "/start group_mydata")
    assert opened["text"].startswith(lv("Here we can talk privately."))
    # a group that is nobody's community group hears nothing
    bot.api.push_message(RESIDENT, "/mydata", chat_id=OTHER_GROUP, chat_type="supergroup")
    await bot.settle()
    assert bot.api.messages_to(OTHER_GROUP) == []


def _with(payload: str) -> Any:
    def check(messages: list[dict[str, Any]]) -> bool:
        return any(payload in payloads(message) for message in messages)

    return check
