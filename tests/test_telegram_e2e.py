"""The bot end to end on Telegram: the real PTB client against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest

from bot.channels import TemporaryFailure
from bot.channels.telegram import split_text
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_updates import StaggeredUpdates
from bot.dialog.messages import Address, Button, Reply
from bot.i18n import Translator
from models import Conversation, Identity, ProcessedUpdate, Resident, Role, RoleGrant, Unit
from models.audit import AuditEntry
from models.residents import find_identity
from models.roles import grant_role
from models.territory import add_locality, unit_by_slug
from padome.web import TELEGRAM_SECRET_HEADER
from tests.fakes.telegram_api import FailureKind, FakeTelegramAPI, FloodLimits, labels, payloads
from tests.telegram import (
    BOT_TOKEN,
    PUBLIC_BASE_URL,
    WEBHOOK_SECRET,
    RunningBot,
    fake_telegram_api,
    polling_bot,
    telegram_settings,
    webhook_bot,
    webhook_settings,
)

ANNA = 1001
BERTA = 1002
CARL = 1003
COORDINATOR = 900
GROUP = -100_777
OTHER_GROUP = -100_888
COMMANDS = [
    "start",
    "menu",
    "surveys",
    "help",
    "language",
    "territory",
    "nominate",
    "mydata",
    "forget",
    "cancel",
]


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramAPI]:
    async with fake_telegram_api() as api:
        yield api


@pytest.fixture
async def bot(telegram_api: FakeTelegramAPI, database_url: str) -> AsyncIterator[RunningBot]:
    """The bot polling the fake API; COORDINATOR is an admin by the ADMINS setting."""
    assert telegram_api.base_url is not None
    settings = telegram_settings(database_url, telegram_api.base_url, admins=f"tg:{COORDINATOR}")
    async with polling_bot(telegram_api, settings) as running:
        yield running


@pytest.fixture
async def webhook(telegram_api: FakeTelegramAPI, database_url: str) -> AsyncIterator[RunningBot]:
    """The bot in webhook mode behind uvicorn on 127.0.0.1."""
    assert telegram_api.base_url is not None
    settings = webhook_settings(database_url, telegram_api.base_url)
    async with webhook_bot(telegram_api, settings) as running:
        yield running


def lv(bot: RunningBot, message: str, **values: Any) -> str:
    """A text as a Latvian-speaking resident reads it."""
    return Translator("lv", timezone=bot.settings.tz)._(message, **values)


async def count(bot: RunningBot, model: type) -> int:
    async with bot.app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def resident_of(bot: RunningBot, user_id: int) -> Resident | None:
    async with bot.app.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(user_id))
        return identity.resident if identity is not None else None


async def give_role(bot: RunningBot, user_id: int, role: Role, unit_slug: str) -> RoleGrant:
    async with bot.app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "telegram", str(user_id))
        assert identity is not None
        unit = await unit_by_slug(session, unit_slug)
        grant, _ = await grant_role(session, resident=identity.resident, role=role, unit=unit)
        return grant


async def grants_of(bot: RunningBot, user_id: int) -> list[tuple[str, str | None]]:
    async with bot.app.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(user_id))
        assert identity is not None
        rows = await session.scalars(
            select(RoleGrant).where(RoleGrant.resident_id == identity.resident_id)
        )
        return [(row.role, row.unit.slug if row.unit else None) for row in rows]


# --------------------------------------------------------------------------- onboarding


async def test_onboarding_by_buttons_reaches_the_menu(bot: RunningBot) -> None:
    await onboard_by_buttons(bot)


async def test_onboarding_works_on_the_library_default_http_client(
    telegram_api: FakeTelegramAPI, database_url: str
) -> None:
    assert telegram_api.base_url is not None
    settings = telegram_settings(database_url, telegram_api.base_url, telegram_http_client="httpx")
    async with polling_bot(telegram_api, settings) as bot:
        assert type(bot.channel.bot.request).__name__ == "HTTPXRequest"
        await onboard_by_buttons(bot)


async def onboard_by_buttons(bot: RunningBot) -> None:
    [prompt] = await bot.send(ANNA, "/start")
    assert "Lūdzu, izvēlieties valodu." in prompt["text"]
    assert labels(prompt) == ["Latviešu", "Русский", "English"]
    assert payloads(prompt) == ["lang:lv", "lang:ru", "lang:en"]

    [notice] = await bot.press(ANNA, "lang:lv")
    assert "/forget" in notice["text"]
    assert payloads(notice) == ["privacy:agree", "privacy:decline"]

    [units] = await bot.press(ANNA, "privacy:agree")
    assert len(labels(units)) == 16
    assert "Alsviķu pagasts" in labels(units)
    assert "Alūksnes pilsēta" in labels(units)
    assert all(label.endswith((" pagasts", " pilsēta")) for label in labels(units))
    alsviki = payloads(units)[labels(units).index("Alsviķu pagasts")]

    [menu] = await bot.press(ANNA, alsviki)
    assert "Alsviķu pagasts" in menu["text"]
    assert lv(bot, "Main menu: choose what you want to do.") in menu["text"]
    assert {"mydata", "language", "territory"} <= set(payloads(menu))
    # Every tap was answered, so no button keeps spinning.
    await bot.settle()
    assert len(bot.api.answered_callbacks) == 3

    resident = await resident_of(bot, ANNA)
    assert resident is not None and resident.unit is not None
    assert (resident.unit.name, resident.language, resident.display_name) == (
        "Alsviķu pagasts",
        "lv",
        "Anna",
    )
    assert resident.consented_at is not None


async def test_declining_the_notice_stores_nothing(bot: RunningBot) -> None:
    await bot.send(ANNA, "/start")
    await bot.press(ANNA, "lang:en")
    [answer] = await bot.press(ANNA, "privacy:decline")

    assert "Nothing about you has been stored" in answer["text"]
    assert answer["buttons"] == [[{"callback_data": "restart", "text": "Start again"}]]
    for model in (Resident, Identity, Conversation):
        assert await count(bot, model) == 0, model.__tablename__
    [again] = await bot.press(ANNA, "restart")
    assert "Please choose your language." in again["text"]


async def test_language_switch_changes_the_menu_and_is_stored(bot: RunningBot) -> None:
    menu_lv = await bot.onboard(ANNA, language="lv")

    [prompt] = await bot.send(ANNA, "/language")
    # The languages, and the way back for someone who has a menu.
    assert payloads(prompt) == ["lang:lv", "lang:ru", "lang:en", "menu"]
    [menu_ru] = await bot.press(ANNA, "lang:ru")
    resident = await resident_of(bot, ANNA)
    assert resident is not None and resident.language == "ru"

    await bot.send(ANNA, "/language")
    [menu_en] = await bot.press(ANNA, "lang:en")
    resident = await resident_of(bot, ANNA)
    assert resident is not None and resident.language == "en"
    assert "Language changed to English." in menu_en["text"]

    headings = [menu["text"].splitlines()[-1] for menu in (menu_lv, menu_ru, menu_en)]
    assert len(set(headings)) == 3, headings
    menus = [labels(menu) for menu in (menu_lv, menu_ru, menu_en)]
    assert menus[0] != menus[1] != menus[2] != menus[0]
    assert re.search("[а-яА-Я]", menu_ru["text"])


async def test_territory_change_asks_for_the_locality(bot: RunningBot) -> None:
    async with bot.app.sessionmaker() as session, session.begin():
        annas = await unit_by_slug(session, "annas")
        assert annas is not None
        village = await add_locality(session, unit=annas, name="Testa ciems")
        village_id = village.id
    await bot.onboard(ANNA)

    [units] = await bot.send(ANNA, "/territory")
    assert "Annas pagasts" in labels(units)
    [question] = await bot.press(ANNA, "unit:annas")
    assert labels(question)[0] == "Testa ciems"
    assert payloads(question) == [f"loc:{village_id}", "loc:skip", "territory"]  # and Back
    [menu] = await bot.press(ANNA, f"loc:{village_id}")

    assert "Annas pagasts, Testa ciems" in menu["text"]
    resident = await resident_of(bot, ANNA)
    assert resident is not None and resident.unit is not None
    assert (resident.unit.slug, resident.locality_id) == ("annas", village_id)


# --------------------------------------------------------------------------- personal data


async def test_mydata_sends_the_stored_data_as_a_json_document(bot: RunningBot) -> None:
    await bot.onboard(ANNA)

    summary, file = await bot.send(ANNA, "/mydata", replies=2)

    assert "Alsviķu pagasts" in summary["text"]
    assert file["method"] == "sendDocument"
    assert file["document"]["filename"] == "padome-my-data.json"
    data = json.loads(file["document"]["content"].decode("utf-8"))
    assert data["resident"]["unit"] == "Alsviķu pagasts"
    assert data["resident"]["language"] == "lv"
    assert {"channel": "telegram", "id": str(ANNA)} == {
        key: data["accounts"][0][key] for key in ("channel", "id")
    }


async def test_forget_erases_after_confirmation(bot: RunningBot) -> None:
    await bot.onboard(ANNA)
    [question] = await bot.send(ANNA, "/forget")
    assert payloads(question) == ["forget:yes", "forget:no"]
    [kept] = await bot.press(ANNA, "forget:no")
    assert lv(bot, "Nothing was erased.") in kept["text"]
    assert await resident_of(bot, ANNA) is not None

    await bot.send(ANNA, "/forget")
    [done] = await bot.press(ANNA, "forget:yes")

    assert "/start" in done["text"]
    assert await count(bot, Identity) == 0
    assert await count(bot, Conversation) == 0
    async with bot.app.sessionmaker() as session:
        [resident] = list(await session.scalars(select(Resident)))
        alsviki = await unit_by_slug(session, "alsviku")
    assert alsviki is not None
    assert resident.erased_at is not None
    assert resident.unit_id == alsviki.id
    assert (resident.display_name, resident.phone, resident.locality_id) == (None, None, None)


# --------------------------------------------------------------------------- roles


async def test_crafted_privileged_buttons_are_refused_and_logged(bot: RunningBot) -> None:
    await bot.onboard(BERTA)
    berta_grant = await give_role(bot, BERTA, Role.REPRESENTATIVE, "alsviku")
    await bot.onboard(ANNA)
    refusal = lv(bot, "Sorry, you are not allowed to do that.")

    [revoke] = await bot.press(ANNA, f"revoke:{berta_grant.id}")
    [grant] = await bot.press(ANNA, "grant:admin")

    assert refusal in revoke["text"]
    assert refusal in grant["text"]
    async with bot.app.sessionmaker() as session:
        refused = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))
        )
    assert [entry.details["attempted"] for entry in refused] == ["revoke_role", "grant"]
    assert await grants_of(bot, BERTA) == [("representative", "alsviku")]
    assert await grants_of(bot, ANNA) == []


async def test_coordinator_hands_out_a_one_time_representative_link(bot: RunningBot) -> None:
    await bot.onboard(COORDINATOR)
    [roles] = await bot.send(COORDINATOR, "/grant")
    assert "grant:representative" in payloads(roles)
    [units] = await bot.press(COORDINATOR, "grant:representative")
    assert len(payloads(units)) == 16 + 1  # and Back
    [link] = await bot.press(COORDINATOR, "grant:representative:zeltinu")
    match = re.search(r"role_([A-Za-z0-9_-]+)", link["text"])
    assert match is not None, link["text"]
    code = match.group(1)

    await bot.onboard(ANNA)
    [welcome] = await bot.send(ANNA, f"/start role_{code}")
    assert "Zeltiņu pagasts" in welcome["text"]
    assert await grants_of(bot, ANNA) == [("representative", "zeltinu")]

    await bot.onboard(CARL)
    [refused] = await bot.send(CARL, f"/start role_{code}")
    assert lv(bot, "This role link is not valid any more. Ask for a new one.") in refused["text"]
    assert await grants_of(bot, CARL) == []


async def test_a_new_resident_opening_a_role_link_gets_the_role_after_onboarding(
    bot: RunningBot,
) -> None:
    await bot.onboard(COORDINATOR)
    await bot.send(COORDINATOR, "/grant")
    await bot.press(COORDINATOR, "grant:representative")
    [link] = await bot.press(COORDINATOR, "grant:representative:pededzes")
    match = re.search(r"role_[A-Za-z0-9_-]+", link["text"])
    assert match is not None

    # What Telegram sends when a new user opens https://t.me/<bot>?start=role_<code>.
    await bot.send(ANNA, f"/start {match.group(0)}")
    await bot.press(ANNA, "lang:lv")
    await bot.press(ANNA, "privacy:agree")
    saved, menu = await bot.press(ANNA, "unit:alsviku", replies=2)

    assert "Alsviķu pagasts" in saved["text"]
    assert "Pededzes pagasts" in menu["text"]
    assert await grants_of(bot, ANNA) == [("representative", "pededzes")]


# --------------------------------------------------------------------------- delivery


async def test_an_update_delivered_twice_acts_once(bot: RunningBot) -> None:
    update = bot.api.message_update(ANNA, "/start")
    bot.api.push_raw(update)
    bot.api.push_raw(update)
    await bot.api.wait_for(chat_id=ANNA, count=1)
    await bot.settle()
    # Redelivered later, after the first one was handled and confirmed.
    bot.api.push_raw(update)
    await bot.settle()

    assert len(bot.api.messages_to(ANNA)) == 1
    async with bot.app.sessionmaker() as session:
        keys = list(
            await session.scalars(
                select(ProcessedUpdate.key).where(ProcessedUpdate.channel == "telegram")
            )
        )
    assert keys.count(str(update["update_id"])) == 1


async def test_while_a_reply_waits_on_telegram_the_next_resident_is_answered(
    bot: RunningBot,
) -> None:
    """Updates start one after the other, but one waiting on Telegram's servers does not hold
    up the next: Anna's reply is held by the server until Berta has had hers."""
    send = bot.api._methods["sendmessage"]
    berta_answered = asyncio.Event()

    async def held(params: dict[str, Any]) -> Any:
        if int(params["chat_id"]) == ANNA:
            await asyncio.wait_for(berta_answered.wait(), 10)
        answer = await send(params)
        if int(params["chat_id"]) == BERTA:
            berta_answered.set()
        return answer

    bot.api._methods["sendmessage"] = held
    bot.api.push_message(ANNA, "/start")
    bot.api.push_message(BERTA, "/start")
    [anna] = await bot.api.wait_for(chat_id=ANNA, timeout=10)
    [berta] = bot.api.messages_to(BERTA)
    assert anna["text"] == berta["text"]
    assert labels(anna) == labels(berta)
    assert [message["chat_id"] for message in bot.api.messages] == [BERTA, ANNA]


async def _started_in_turn(most: int, stagger: float, updates: int) -> list[list[int]]:
    """Who was being handled each time an update started, under StaggeredUpdates, when
    every update waits until the test lets it end, after a while, in order."""
    processor = StaggeredUpdates(most, stagger=stagger)
    running: list[int] = []
    seen: list[list[int]] = []
    ends = [asyncio.Event() for _ in range(updates)]

    async def handle(number: int) -> None:
        running.append(number)
        seen.append(list(running))
        await ends[number].wait()
        running.remove(number)

    tasks = [
        asyncio.create_task(processor.process_update(number, handle(number)))
        for number in range(updates)
    ]
    await asyncio.sleep(0.2)
    for end in ends:  # one ends, and a moment later the next
        end.set()
        await asyncio.sleep(0.05)
    await asyncio.gather(*tasks)
    return seen


async def test_an_update_still_computing_is_not_joined_by_the_next() -> None:
    # A stagger far longer than the test: only an update's end lets the next one start.
    processor = StaggeredUpdates(16, stagger=60)
    order: list[str] = []
    first_may_end = asyncio.Event()

    async def first() -> None:
        order.append("first started")
        await first_may_end.wait()
        order.append("first ended")

    async def second() -> None:
        order.append("second started")

    tasks = [
        asyncio.create_task(processor.process_update(1, first())),
        asyncio.create_task(processor.process_update(2, second())),
    ]
    await asyncio.sleep(0.1)
    assert order == ["first started"]
    first_may_end.set()
    await asyncio.gather(*tasks)
    assert order == ["first started", "first ended", "second started"]


async def test_updates_waiting_longer_than_the_stagger_are_joined_in_order_up_to_the_most() -> None:
    seen = await _started_in_turn(most=3, stagger=0.01, updates=5)
    # Each started while the earlier ones still waited, in the order they came, at most 3.
    assert seen == [[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4]]


def test_split_text_keeps_every_word_within_the_limit() -> None:
    words = [f"vārds{number}" for number in range(2000)]
    first_line = " ".join(words[:300])
    text = first_line + "\n" + " ".join(words[300:])
    assert len(first_line) < 4096 < len(text)

    pieces = split_text(text, limit=4096)

    assert all(0 < len(piece) <= 4096 for piece in pieces)
    assert " ".join(pieces).split() == words
    # A line break is preferred over a space as the place to cut.
    assert pieces[0] == first_line
    assert split_text("x" * 5000, limit=4096) == ["x" * 4096, "x" * 904]
    assert split_text("short") == ["short"]


async def test_a_long_reply_arrives_in_pieces_with_the_buttons_on_the_last(
    bot: RunningBot,
) -> None:
    words = [f"vārds{number}" for number in range(1000)]
    text = " ".join(words)
    assert 2 * 4096 < len(text) <= 3 * 4096

    await bot.channel.send(
        Address("telegram", str(ANNA)), Reply(text, ((Button("Izvēlne", "menu"),),))
    )

    pieces = bot.api.messages_to(ANNA)
    assert len(pieces) == 3
    assert all(len(piece["text"]) <= 4096 for piece in pieces)
    assert " ".join(piece["text"] for piece in pieces).split() == words
    assert [payloads(piece) for piece in pieces] == [[], [], ["menu"]]


async def test_a_reply_refused_with_wait_arrives_once_after_the_wait(bot: RunningBot) -> None:
    """Telegram's 429 says nothing left: the reply to a resident is sent again after the
    wait, not lost."""
    bot.api.fail_next(ANNA, FailureKind.FLOOD, delay=1)
    bot.api.push_message(ANNA, "/start")
    [question] = await bot.api.wait_for(chat_id=ANNA, timeout=15)
    assert question["text"].startswith(lv(bot, "Please choose your language."))
    sends = [
        call
        for call in bot.api.calls
        if call.method == "sendMessage" and call.params.get("chat_id") == ANNA
    ]
    assert [call.refused for call in sends] == ["flood", None]
    assert sends[1].at >= sends[0].at + 1  # not before Telegram's Retry-After


async def test_a_reply_that_timed_out_after_leaving_is_not_sent_twice(bot: RunningBot) -> None:
    """A timeout while waiting for the answer may mean the message arrived: not repeated."""
    bot.api.fail_next(ANNA, FailureKind.TIMEOUT, delay=7.0, deliver=True)
    with pytest.raises(TemporaryFailure):
        await bot.channel.reply(Address("telegram", str(ANNA)), Reply("Paldies!"))
    assert [m["text"] for m in bot.api.messages_to(ANNA)] == ["Paldies!"]


async def test_commands_are_published_in_each_language(bot: RunningBot) -> None:
    published = {code: bot.api.commands_for(code) for code in ("", "lv", "ru", "en")}

    for code, commands in published.items():
        assert [item["command"] for item in commands] == COMMANDS, code
    assert published[""] == published["lv"]
    descriptions = {code: published[code][0]["description"] for code in ("lv", "ru", "en")}
    assert len(set(descriptions.values())) == 3, descriptions


# --------------------------------------------------------------------------- groups


async def test_a_representative_links_a_group_and_a_resident_may_not(bot: RunningBot) -> None:
    await bot.onboard(ANNA)
    await give_role(bot, ANNA, Role.REPRESENTATIVE, "alsviku")
    await bot.onboard(BERTA)
    in_group = {"chat_id": GROUP, "chat_type": "supergroup"}
    in_other = {"chat_id": OTHER_GROUP, "chat_type": "supergroup"}

    [linked] = await bot.send(ANNA, "/linkgroup@padome_test_bot", **in_group)
    assert linked["text"] == "Tagad šī ir Alsviķu pagasta kopienas grupa."

    # Talk and private commands in a group get no answer; the refusal after them is the
    # first and only thing the other group receives.
    bot.api.push_message(BERTA, "Labdien visiem!", **in_other)
    bot.api.push_message(BERTA, "/mydata", **in_other)
    [refused] = await bot.send(BERTA, "/linkgroup", **in_other)
    await bot.settle()

    assert lv(bot, "Sorry, you are not allowed to do that.") in refused["text"]
    assert [message["text"] for message in bot.api.messages_to(OTHER_GROUP)] == [refused["text"]]
    assert len(bot.api.messages_to(GROUP)) == 1
    async with bot.app.sessionmaker() as session:
        linked_units = list(
            await session.execute(
                select(Unit.slug, Unit.telegram_group_chat_id).where(
                    Unit.telegram_group_chat_id.is_not(None)
                )
            )
        )
        refused_entries = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "refused")
        )
    assert [tuple(row) for row in linked_units] == [("alsviku", GROUP)]
    assert refused_entries == 1


# --------------------------------------------------------------------------- webhook


async def post_update(bot: RunningBot, body: bytes | dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[TELEGRAM_SECRET_HEADER] = secret
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(base_url=bot.web_url or "", timeout=5) as client:
        response = await client.post("/telegram/webhook", content=content, headers=headers)
    return response.status_code


async def test_webhook_mode_sets_the_webhook_and_answers_updates(webhook: RunningBot) -> None:
    assert webhook.api.webhook is not None
    assert webhook.api.webhook["url"] == f"{PUBLIC_BASE_URL}/telegram/webhook"
    assert webhook.api.webhook["secret_token"] == WEBHOOK_SECRET
    update = webhook.api.message_update(ANNA, "/start")

    assert await post_update(webhook, update, WEBHOOK_SECRET) == 200
    assert await post_update(webhook, update, WEBHOOK_SECRET) == 200

    # The webhook answers after handling, so the replies are already there.
    [prompt] = webhook.api.messages_to(ANNA)
    assert "Lūdzu, izvēlieties valodu." in prompt["text"]
    assert webhook.api.calls_to("getUpdates") == []


async def test_webhook_without_the_right_secret_is_refused(webhook: RunningBot) -> None:
    update = webhook.api.message_update(ANNA, "/start")

    assert await post_update(webhook, update, None) == 403
    assert await post_update(webhook, update, "wrong-secret") == 403
    assert await post_update(webhook, update, WEBHOOK_SECRET + "x") == 403

    assert webhook.api.calls_to("sendMessage") == []
    assert await count(webhook, ProcessedUpdate) == 0
    assert await count(webhook, Conversation) == 0


async def test_webhook_refuses_what_is_not_an_update(webhook: RunningBot) -> None:
    for body in (b"{not json", b"[]", b'{"update_id": "7"}', b"\xff\xfe"):
        assert await post_update(webhook, body, WEBHOOK_SECRET) == 400, body

    assert webhook.api.calls_to("sendMessage") == []
    assert await count(webhook, ProcessedUpdate) == 0


# --------------------------------------------------------------------------- the fake API
# Flood limits and failures, as the real client meets them (for broadcasts to build on).


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    assert isinstance(value, timedelta)
    return value.total_seconds()


async def test_fake_api_enforces_the_flood_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Opt in to PTB 23's timedelta, so RetryAfter does not warn about the coming change.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    clock = ManualClock()
    limits = FloodLimits(overall_per_second=3, private_chat_per_second=1, group_per_minute=20)
    async with (
        fake_telegram_api(flood_limits=limits, clock=clock) as api,
        Bot(BOT_TOKEN, base_url=f"{api.base_url}/bot") as client,
    ):
        await client.send_message(1, "a")
        with pytest.raises(RetryAfter) as per_chat:
            await client.send_message(1, "b")
        assert retry_seconds(per_chat.value) == 1
        await client.send_message(2, "c")
        await client.send_message(3, "d")
        with pytest.raises(RetryAfter):
            await client.send_message(4, "e")  # the fourth message within one second
        clock.now += 1.0
        await client.send_message(4, "e")

        for _ in range(20):
            clock.now += 1.5
            await client.send_message(GROUP, "news")
        with pytest.raises(RetryAfter) as per_group:
            await client.send_message(GROUP, "more news")
        assert 1 <= retry_seconds(per_group.value) <= 60

        assert api.rate_limited == 3
        assert [m["text"] for m in api.messages_to(1)] == ["a"]
        assert len(api.messages_to(GROUP)) == 20


def http_client(kind: str) -> dict[str, BaseRequest]:
    """The Bot's request object: the library's default (httpx) or the bot's (aiohttp)."""
    return {"request": AiohttpRequest(pool_size=8)} if kind == "aiohttp" else {}


HTTP_CLIENTS = pytest.mark.parametrize("kind", ["aiohttp", "httpx"])


@HTTP_CLIENTS
async def test_fake_api_injects_failures_per_chat(kind: str) -> None:
    async with (
        fake_telegram_api() as api,
        Bot(BOT_TOKEN, base_url=f"{api.base_url}/bot", **http_client(kind)) as client,
    ):
        api.fail_next(1, FailureKind.BLOCKED, count=2)
        api.fail_next(2, FailureKind.SERVER_ERROR)
        api.fail_next(3, FailureKind.TIMEOUT, delay=2.0, deliver=True)

        for _ in range(2):
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await client.send_message(1, "a")
        await client.send_message(1, "a")
        with pytest.raises(NetworkError):
            await client.send_message(2, "b")
        await client.send_message(2, "b")
        with pytest.raises(TimedOut):
            await client.send_message(3, "c", read_timeout=0.2)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await client.send_message(4, "x" * 4097)

        # A timed-out send may still have been delivered: the resident has it.
        assert [m["text"] for m in api.messages_to(3)] == ["c"]
        assert [m["text"] for m in api.messages_to(1)] == ["a"]
        assert api.injected_failures == 4


@HTTP_CLIENTS
async def test_fake_api_keeps_uploads_and_applies_edits(kind: str) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Jā", callback_data="yes")]])
    async with (
        fake_telegram_api() as api,
        Bot(BOT_TOKEN, base_url=f"{api.base_url}/bot", **http_client(kind)) as client,
    ):
        await client.send_document(
            ANNA, InputFile(b'{"a": 1}', filename="dati.json"), caption="Jūsu dati"
        )
        await client.send_photo(ANNA, InputFile(b"\x89PNG...", filename="plakāts.png"))
        sent = await client.send_message(ANNA, "Vai piekrītat?", reply_markup=markup)
        await client.edit_message_text("Paldies!", chat_id=ANNA, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="not modified"):
            await client.edit_message_text("Paldies!", chat_id=ANNA, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await client.send_message(
                ANNA,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("x", callback_data="x" * 65)]]
                ),
            )

    document, photo, question = api.messages_to(ANNA)
    assert document["document"]["filename"] == "dati.json"
    assert document["document"]["content"] == b'{"a": 1}'
    assert document["text"] == "Jūsu dati"
    assert photo["photo"]["filename"] == "plakāts.png"
    assert photo["photo"]["content"] == b"\x89PNG..."
    assert (question["text"], question["buttons"], question["edited"]) == ("Paldies!", [], True)


def image(width: int, height: int, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format=kind)
    return buffer.getvalue()


async def test_fake_api_refuses_photos_telegram_would_refuse() -> None:
    async with (
        fake_telegram_api() as api,
        Bot(BOT_TOKEN, base_url=f"{api.base_url}/bot", **http_client("aiohttp")) as client,
    ):
        for refused in (image(850, 10_490), image(9_000, 1_001, "JPEG"), image(2_100, 100)):
            with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
                await client.send_photo(ANNA, InputFile(refused, filename="chart.png"))
        with pytest.raises(BadRequest, match=r"(?i)photo_save_file_invalid"):
            await client.send_photo(ANNA, InputFile(b"\x89PNG" + bytes(10 * 2**20), filename="x"))
        sent = await client.send_photo(ANNA, InputFile(image(850, 2_000), filename="chart.png"))
        edge = await client.send_photo(ANNA, InputFile(image(5_000, 5_000, "JPEG"), filename="x"))

    assert (sent.photo[-1].width, sent.photo[-1].height) == (850, 2_000)
    assert (edge.photo[-1].width, edge.photo[-1].height) == (5_000, 5_000)
    assert len(api.messages_to(ANNA)) == 2


async def test_an_unreachable_api_is_a_network_error_that_does_not_show_the_token() -> None:
    async with fake_telegram_api() as api:
        url = f"{api.base_url}/bot{BOT_TOKEN}/getMe"
    # The server has stopped: nothing listens on its port any more.
    request = AiohttpRequest(pool_size=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as refused:
            await request.post(url)
    finally:
        await request.shutdown()
    assert not isinstance(refused.value, TimedOut)
    assert BOT_TOKEN not in str(refused.value)
