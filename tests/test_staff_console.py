"""The staff console end to end: the real bot on the fake Bot API gives the sign-in link, the
real web app serves the console over HTTP, and a real headless Chromium uses it.

Staff read in English here, so the console's texts are the message ids; residents write in
Latvian. Every page a test looks at is checked by axe-core (no violation of impact serious or
critical) and saved as a full-page screenshot, to CONSOLE_SCREENSHOTS or else
`<pytest's temporary directory>/console-screenshots`.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import uvicorn
from playwright.async_api import Browser, Download, Page
from sqlalchemy import func, select, update

from bot.i18n import Translator
from broadcasts.service import BroadcastService
from handlers.ideas.submit import place_of
from models.audit import audit_entries
from models.base import utcnow
from models.ideas import Idea, IdeaAnswer, area_by_slug, assign_area, submit_idea
from models.meeting_answers import record_answer as record_meeting_answer
from models.meetings import AnswerChoice, Meeting, MeetingKind, MeetingPlan, create_meeting
from models.neighbour_help import Contact, HelpPost, create_post
from models.neighbour_help import Kind as HelpKind
from models.neighbour_help import report as help_report
from models.nominations.candidacies import nominate
from models.nominations.rounds import create_round
from models.nominations.tables import RoundStatus
from models.residents import find_identity
from models.roles import Role, Roles, grant_role, list_grants_of, revoke_role
from models.staff_console import (
    ConsoleLink,
    ConsoleSession,
    active_session,
    create_link,
    end_session,
    peek_link,
    redeem_link,
    start_session,
)
from models.surveys import Kind as SurveyKind
from models.surveys import Status as SurveyStatus
from models.surveys import Survey
from models.territory import unit_by_slug
from padome.app import App, open_app
from padome.console.audit import may_read_audit
from padome.console.help import may_moderate_help
from padome.console.people import findable_units, may_find_people, may_see_contacts
from padome.console.security import check_init_data, sign_init_data
from padome.web import create_web_app
from tests.browser import (
    accessibility_problems,
    axe_violations,
    chromium,
    keyboard_reaches,
    save_screenshot,
    screenshots_folder,
)
from tests.chat import Chat
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram import (
    BOT_TOKEN,
    RunningBot,
    _until,
    fake_telegram_api,
    polling_bot,
    telegram_settings,
)

COORDINATOR = 910
ANNA = 1001  # Alsviķu pagasts
BERTA = 1002  # Annas pagasts
LINK = re.compile(r"http://127\.0\.0\.1:\d+/console/login/[A-Za-z0-9_-]+")
# What a resident (writing in Latvian) reads when refused.
REFUSED = Translator("lv", timezone=ZoneInfo("Europe/Riga"))._(
    "Sorry, you are not allowed to do that."
)


@dataclass
class Running:
    bot: RunningBot
    base_url: str
    screenshots: Path

    @property
    def api(self) -> FakeTelegramAPI:
        return self.bot.api


@pytest.fixture
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshots_folder(tmp_path_factory)


@asynccontextmanager
async def console_bot(database_url: str, screenshots: Path) -> AsyncIterator[Running]:
    """The bot polling the fake Bot API with its outbox running, and the web app serving the
    console at PUBLIC_BASE_URL on this machine (plain http, so no Secure cookie)."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    async with fake_telegram_api() as api:
        settings = telegram_settings(
            database_url,
            api.base_url or "",
            quiet_hours="off",
            broadcast_retry_seconds=0.05,
            public_base_url=base_url,
        )
        async with polling_bot(api, settings) as bot:
            service = BroadcastService(
                engine=bot.app.engine,
                sessionmaker=bot.app.sessionmaker,
                settings=settings,
                senders=bot.app.senders,
                jobs=(),
                tick_seconds=0.1,
            )
            await service.start()
            web = create_web_app(
                settings=settings, telegram=None, sessionmaker=bot.app.sessionmaker
            )
            server = uvicorn.Server(uvicorn.Config(web, log_level="warning", lifespan="off"))
            serving = asyncio.create_task(server.serve(sockets=[listening]))
            try:
                await _until(lambda: server.started or serving.done())
                yield Running(bot, base_url, screenshots)
            finally:
                server.should_exit = True
                await serving
                await service.stop()


async def join(bot: RunningBot, user: int, *, unit: str, language: str, name: str) -> int:
    await bot.send(user, "/start", first_name=name)
    await bot.press(user, f"lang:{language}")
    await bot.press(user, "privacy:agree")
    [answer] = await bot.press(user, f"unit:{unit}")
    if any(
        button.get("callback_data") == "loc:skip"
        for row in answer["buttons"] or []
        for button in row
    ):
        await bot.press(user, "loc:skip")
    async with bot.app.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(user))
        assert identity is not None
        return identity.resident_id


async def set_role(bot: RunningBot, user: int, role: Role, *, granted: bool = True) -> None:
    async with bot.app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "telegram", str(user))
        assert identity is not None
        if granted:
            await grant_role(session, resident=identity.resident, role=role)
        else:
            await revoke_role(session, resident=identity.resident, role=role)


async def council(running: Running) -> int:
    """A coordinator, two residents, and an idea of Anna's waiting for 10 days; its number."""
    bot = running.bot
    await join(bot, COORDINATOR, unit="alsviku", language="en", name="Coordinator")
    await set_role(bot, COORDINATOR, Role.COORDINATOR)
    anna = await join(bot, ANNA, unit="alsviku", language="lv", name="Anna")
    await join(bot, BERTA, unit="annas", language="lv", name="Berta")
    async with bot.app.sessionmaker() as session, session.begin():
        roads = await area_by_slug(session, "roads")
        identity = await find_identity(session, "telegram", str(ANNA))
        assert roads is not None and identity is not None and identity.resident_id == anna
        idea, _ = await submit_idea(
            session,
            author=identity.resident,
            area=roads,
            text="Ceļš uz skolu ir pilns ar bedrēm.",
            place="Skolas iela",
            photo_ref=None,
            photo_channel=None,
            show_author=True,
            keep_text=True,
            submission_key="console-test",
            now=utcnow() - timedelta(days=10),
        )
        # An open survey and an open nomination round with Anna as a candidate.
        now = utcnow()
        session.add(
            Survey(
                kind=SurveyKind.SURVEY.value,
                title={"lv": "Ceļi", "en": "Roads"},
                status=SurveyStatus.OPEN.value,
                opens_at=now,
                closes_at=now + timedelta(days=7),
            )
        )
        round_ = await create_round(
            session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=30), now=now
        )
        round_.status = RoundStatus.OPEN.value
        await nominate(
            session,
            round_=round_,
            unit_id=identity.resident.unit_id,
            nominated_by=identity.resident,
            candidate=identity.resident,
            name="Anna Bērziņa",
            phone=None,
            reason=None,
            now=now,
        )
        return idea.id


async def sign_in_link(running: Running, user: int = COORDINATOR) -> str:
    [answer] = await running.bot.send(user, "/console")
    found = LINK.search(answer["text"])
    assert found is not None, answer["text"]
    return found.group(0)


async def fresh_page(browser: Browser) -> Page:
    """A page in a browser context of its own: no cookies; a step that hangs fails soon."""
    context = await browser.new_context()
    context.set_default_timeout(5000)
    return await context.new_page()


async def open_console(browser: Browser, link: str) -> Page:
    """A fresh browser (no cookies) that opens the link and presses the button."""
    page = await fresh_page(browser)
    await page.goto(link)
    await page.get_by_role("button", name="Open the console").click()
    await page.wait_for_load_state()
    return page


async def check_page(page: Page, running: Running, name: str) -> None:
    """No accessibility problem the simple check or axe-core finds; a screenshot for
    reviewers."""
    assert await accessibility_problems(page) == [], name
    assert await axe_violations(page) == [], name
    await save_screenshot(page, running.screenshots, name)


def cell(page: Page, table: str, row: str, column: int) -> str:
    return f"#{table} tr[data-unit='{row}'] > :nth-child({column})"


async def test_sign_in_see_the_overview_and_answer_an_idea(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        idea_id = await council(running)
        link = await sign_in_link(running)
        page = await open_console(browser, link)

        assert await page.locator("h1").inner_text() == "Overview"
        assert await page.locator("html").get_attribute("lang") == "en"
        assert await page.locator("#consented").inner_text() == "3"
        assert await page.locator("#new-this-week").inner_text() == "3"
        assert await page.locator("#erased").inner_text() == "0"
        assert await page.locator("#waiting-count").inner_text() == "1"
        # Alsviķu pagasts: the coordinator and Anna, both on Telegram; Annas pagasts: Berta.
        assert await page.locator(cell(page, "units", "alsviku", 2)).inner_text() == "2"
        assert await page.locator(cell(page, "units", "alsviku", 3)).inner_text() == "2"
        assert await page.locator(cell(page, "units", "annas", 2)).inner_text() == "1"
        assert (await page.locator("#units thead").inner_text()).strip() == (
            "Parish or town\tResidents\tTelegram\tCandidates"
        )
        assert f"#{idea_id}" in await page.locator("#waiting").inner_text()
        assert await page.locator(cell(page, "units", "alsviku", 4)).inner_text() == "1"
        assert (await page.locator("#surveys tbody").inner_text()).split("\t")[2:] == [
            "0 of 3",
            "0 %",
        ]
        assert (await page.locator("#candidates tbody").inner_text()).split("\t") == [
            "Alsviķi parish",
            "Anna Bērziņa",
            "collecting support",
            "0 of 10",
        ]
        await check_page(page, running, "overview")
        # On a phone's screen the page needs no sideways scrolling; the wide table scrolls
        # in its own box.
        await page.set_viewport_size({"width": 390, "height": 844})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await check_page(page, running, "overview-phone")
        await page.set_viewport_size({"width": 1280, "height": 800})
        assert await keyboard_reaches(page, "a[href='/console/ideas']")

        await page.get_by_role("link", name="Ideas and concerns").click()
        await page.get_by_label("Status").select_option("new")
        async with running.bot.app.sessionmaker() as session:
            alsviku = await unit_by_slug(session, "alsviku")
            assert alsviku is not None
        await page.get_by_label("Parish or town").select_option(str(alsviku.id))
        await page.get_by_role("button", name="Show").click()
        await page.wait_for_load_state()
        assert "status=new" in page.url
        rows = page.locator("#ideas tbody tr")
        assert await rows.count() == 1
        assert "Ceļš uz skolu" in await rows.first.inner_text()
        await check_page(page, running, "ideas")

        await page.get_by_role("link", name=f"#{idea_id}").click()
        assert await page.locator("#idea-text").inner_text() == "Ceļš uz skolu ir pilns ar bedrēm."
        await check_page(page, running, "idea")
        before = len(running.api.messages_to(ANNA))
        await page.get_by_label(re.compile("Your answer to the resident")).fill(
            "Paldies! Ceļu salabos nākamnedēļ."
        )
        await page.get_by_role("button", name="Send the answer").click()
        await page.wait_for_load_state()
        assert f"Your answer to #{idea_id} goes to the resident." in await page.inner_text("main")
        assert "Paldies! Ceļu salabos nākamnedēļ." in await page.locator("#answers").inner_text()
        await check_page(page, running, "idea-answered")

        # The resident gets it over the messenger, as an answer written in chat would come.
        [message] = (await running.api.wait_for(chat_id=ANNA, count=before + 1))[before:]
        assert "Paldies! Ceļu salabos nākamnedēļ." in message["text"]

        async with running.bot.app.sessionmaker() as session:
            idea = await session.get(Idea, idea_id)
            assert idea is not None and idea.status == "answered"
            actions = [entry.action for entry in await audit_entries(session)]
        assert "console_sign_in" in actions and "idea_answered" in actions

        # Switching the language changes the console's, not the chat's.
        await page.get_by_label("Language").select_option("lv")
        await page.get_by_role("button", name="Change").click()
        await page.wait_for_load_state()
        assert await page.locator("html").get_attribute("lang") == "lv"
        await check_page(page, running, "idea-lv")

        # The link was good once.
        again = await fresh_page(browser)
        await again.goto(link)
        assert await again.locator("h1").inner_text() == "This link does not open the console"


async def test_who_and_what_the_console_refuses(database_url: str, screenshots: Path) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        idea_id = await council(running)

        # A resident gets no link.
        [answer] = await running.bot.send(ANNA, "/console")
        assert REFUSED in answer["text"] and LINK.search(answer["text"]) is None

        # A link older than 10 minutes, and one never sent, open nothing.
        stale = await sign_in_link(running)
        async with running.bot.app.sessionmaker() as session, session.begin():
            await session.execute(
                update(ConsoleLink).values(expires_at=utcnow() - timedelta(seconds=1))
            )
        for link in (stale, stale.rsplit("/", 1)[0] + "/made-up-token"):
            page = await fresh_page(browser)
            response = await page.goto(link)
            assert response is not None and response.status == 403
            assert "older than 10 minutes" in await page.inner_text("main")
        # Posted straight to the sign-in address, as a script would, it is refused too.
        page = await fresh_page(browser)
        response = await page.request.post(stale)
        assert response.status == 403
        assert await page.context.cookies() == []

        # Signed in; a form sent without its CSRF token changes nothing.
        page = await open_console(browser, await sign_in_link(running))
        cookie = next(
            item for item in await page.context.cookies() if item["name"] == "padome_console"
        )
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
        for number in ("99999999999999999999999", "²", str(idea_id + 1)):
            response = await page.goto(f"{running.base_url}/console/ideas/{number}")
            assert response is not None and response.status == 404, number
        await page.goto(f"{running.base_url}/console/ideas/{idea_id}")
        await page.locator("form.answer input[name=csrf]").evaluate("field => field.remove()")
        await page.get_by_label(re.compile("Your answer to the resident")).fill("Bez žetona.")
        await page.get_by_role("button", name="Send the answer").click()
        await page.wait_for_load_state()
        assert await page.locator("h1").inner_text() == "Not accepted"
        async with running.bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(IdeaAnswer)) == 0

        # The role revoked meanwhile: the next request is refused and the session ends.
        await page.goto(f"{running.base_url}/console")
        assert await page.locator("h1").inner_text() == "Overview"
        await set_role(running.bot, COORDINATOR, Role.COORDINATOR, granted=False)
        response = await page.goto(f"{running.base_url}/console/ideas")
        assert response is not None and response.status == 403
        assert "no longer include the staff console" in await page.inner_text("main")
        await set_role(running.bot, COORDINATOR, Role.COORDINATOR)
        response = await page.goto(f"{running.base_url}/console")
        assert response is not None and response.status == 401

        # Telegram's Mini App: signed init data signs the coordinator in; forged data, or a
        # resident's, is refused.
        def init_data(user: int, *, token: str = BOT_TOKEN) -> str:
            fields = {
                "auth_date": str(int(time.time())),
                "query_id": "AAH-test",
                "user": json.dumps({"id": user, "first_name": "X", "language_code": "en"}),
            }
            return sign_init_data(fields, bot_token=token)

        # Someone unknown reads the browser's language; Anna, her own.
        nav_atlauts = Translator("lv", timezone=ZoneInfo("Europe/Riga"))._("Not allowed")
        for data, status, shown in (
            (init_data(COORDINATOR, token="123456:FORGED"), 403, "Not allowed"),
            (init_data(COORDINATOR).replace("X", "Y"), 403, "Not allowed"),
            (init_data(ANNA), 403, nav_atlauts),
            (init_data(COORDINATOR), 200, "Overview"),
        ):
            page = await fresh_page(browser)
            async with page.expect_response(lambda r: r.request.method == "POST") as posted:
                await page.goto(f"{running.base_url}/console/telegram#tgWebAppData={quote(data)}")
            assert (await posted.value).status == (303 if status == 200 else status)
            await page.wait_for_load_state()
            heading = await page.locator("h1").inner_text()
            assert heading == shown, data
        async with running.bot.app.sessionmaker() as session:
            vias = list(await session.scalars(select(ConsoleSession.via)))
            refused = [
                entry.details.get("attempted")
                for entry in await audit_entries(session, action="refused")
            ]
        assert "telegram" in vias
        assert refused.count("console_telegram") == 3
        assert {"console_link", "console_csrf", "console"} <= set(refused)


def test_telegram_init_data_is_checked_as_telegram_signs_it() -> None:
    fields = {"auth_date": "1700000000", "user": json.dumps({"id": 42, "language_code": "lv"})}
    signed = sign_init_data(fields, bot_token=BOT_TOKEN)
    user = check_init_data(signed, bot_token=BOT_TOKEN, now=1700000100)
    assert user is not None and user.id == 42 and user.language_code == "lv"
    for forged, now in (
        (sign_init_data(fields, bot_token="1:OTHER"), 1700000100),
        (signed.replace("42", "43"), 1700000100),
        (signed, 1700000000 + 2 * 3600),  # too old
        ("hash=&user=%7B%7D", 1700000100),
        ("", 1700000100),
        ("%%%", 1700000100),
    ):
        assert check_init_data(forged, bot_token=BOT_TOKEN, now=now) is None


@pytest.mark.parametrize(
    ("public_base_url", "console_url", "on_this_machine"),
    [
        ("https://padome.example.lv", "https://padome.example.lv", False),
        ("http://localhost:8080", "http://localhost:8080", True),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", True),
        # Plain http elsewhere would carry the session cookie in clear: no console.
        ("http://padome.example.lv", None, False),
        ("http://localhost.example.lv", None, False),
        (None, None, False),
    ],
)
def test_where_the_console_is_served(
    public_base_url: str | None, console_url: str | None, on_this_machine: bool
) -> None:
    settings = make_settings("sqlite+aiosqlite://", public_base_url=public_base_url)
    assert settings.console_base_url == console_url
    assert settings.console_on_this_machine is on_this_machine


async def test_a_link_on_a_messenger_without_buttons_and_none_without_an_address(
    database_url: str,
) -> None:
    """`/console` typed on a messenger without buttons (the terminal here) by an administrator
    gives the link; where PUBLIC_BASE_URL gives the console no address, it says so."""
    for public_base_url, link in (
        ("https://padome.example.lv", re.compile(r"https://padome\.example\.lv/console/login/\S+")),
        (None, None),
    ):
        settings = make_settings(database_url, public_base_url=public_base_url)
        async with open_app(settings) as app:
            chat = Chat(app)
            if link is not None:  # the first time round: the same database then
                await chat.onboard("admin")
                await chat.onboard("anna")
            menu = await chat.say("admin", "/menu")
            labels = [button.label for row in menu.buttons for button in row]
            # On the menu only where it has an address; typed, the command says what is missing.
            assert ("Staff console in the browser" in labels) is (link is not None)
            answer = await chat.say("admin", "/console")
            if link is None:
                assert "not set up on this server yet" in answer.text
            else:
                assert link.search(answer.text) is not None, answer.text
            refused = await chat.say("anna", "/console")
            assert refused.text == "Sorry, you are not allowed to do that."


async def test_links_and_sessions_last_as_long_as_they_should(app: App, chat: Chat) -> None:
    """Told the time instead of waiting for it: a link 10 minutes and once, a session 4 hours
    without use and 12 hours at most."""
    await chat.onboard("admin")
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "console", "admin")
        assert identity is not None
        person = identity.resident_id
        link = await create_link(session, resident_id=person, now=now)
        assert await redeem_link(session, link, now=now + timedelta(minutes=10)) is None
        assert await peek_link(session, link, now=now + timedelta(minutes=9)) == person
        assert await redeem_link(session, link, now=now + timedelta(minutes=9)) == person
        assert await redeem_link(session, link, now=now + timedelta(minutes=9)) is None
        assert await redeem_link(session, link + "x", now=now) is None

        token = await start_session(session, resident_id=person, via="link", now=now)
        moment = now
        for _ in range(3):  # used every 3 hours 59 minutes: still open
            moment += timedelta(hours=3, minutes=59)
            assert await active_session(session, token, now=moment) is not None
        # Twelve hours after signing in it ends, however often it is used.
        assert await active_session(session, token, now=now + timedelta(hours=12)) is None
        idle = await start_session(session, resident_id=person, via="link", now=now)
        assert await active_session(session, idle, now=now + timedelta(hours=4)) is None
        ended = await start_session(session, resident_id=person, via="link", now=now)
        found = await active_session(session, ended, now=now)
        assert found is not None
        end_session(found, now=now)
        assert await active_session(session, ended, now=now) is None


async def downloaded(download: Download) -> bytes:
    """The bytes of a file the browser downloaded."""
    return await asyncio.to_thread(Path(await download.path()).read_bytes)


async def resident_id(running: Running, user: int) -> int:
    async with running.bot.app.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(user))
        assert identity is not None
        return identity.resident_id


async def grants_of(running: Running, user: int) -> list[tuple[str, int | None]]:
    async with running.bot.app.sessionmaker() as session:
        grants = await list_grants_of(session, await resident_id(running, user))
        return [(grant.role, grant.unit_id) for grant in grants]


async def test_people_found_roles_granted_and_revoked_and_the_audit_log(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        await council(running)
        async with running.bot.app.sessionmaker() as session:
            alsviku = await unit_by_slug(session, "alsviku")
            assert alsviku is not None
        page = await open_console(browser, await sign_in_link(running))

        # The menu and the search form, with the keyboard only.
        assert await keyboard_reaches(page, "nav a[href='/console/people']")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/console/people")
        assert await page.locator("h1").inner_text() == "People and roles"
        await check_page(page, running, "people")
        assert await keyboard_reaches(page, "#people-q")
        await page.keyboard.type("anna")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/console/people?q=anna*")
        found = page.locator("#found tbody tr")
        assert await found.count() == 1
        assert "Anna" in await found.first.inner_text()
        # Not found: said so.
        await page.get_by_label("Name or phone number").fill("Zigfrīds")
        await page.get_by_role("button", name="Find").click()
        assert "Nobody with that name or phone number." in await page.inner_text("main")
        await page.get_by_label("Name or phone number").fill("ANNA")
        await page.get_by_role("button", name="Find").click()
        await page.get_by_role("link", name="Anna").click()
        assert await page.locator("h1").inner_text() == "Anna"
        assert await page.locator("#person-unit").inner_text() == "Alsviķi parish"
        assert await page.locator("#person-messengers").inner_text() == f"Telegram ({ANNA})"
        await check_page(page, running, "person")
        # A coordinator hands out every role but coordinator and administrator.
        offered = await page.locator("#grant-role option").all_inner_texts()
        assert "parish or town representative" in offered
        assert "coordinator" not in offered and "administrator" not in offered

        # A role that needs a parish or town, asked without one, is explained.
        await page.get_by_label("Role", exact=True).select_option("representative")
        await page.get_by_role("button", name="Give the role").click()
        assert (
            "This role needs a parish or town" in await page.locator("#person-error").inner_text()
        )
        # With one: asked first, given only on "Yes".
        await page.get_by_label("Role", exact=True).select_option("representative")
        await page.get_by_label(re.compile("^Where")).select_option(f"u{alsviku.id}")
        await page.get_by_role("button", name="Give the role").click()
        assert await page.locator("h1").inner_text() == "Give a role"
        assert await page.locator("#question").inner_text() == (
            "Give Anna the role: parish or town representative (Alsviķi parish)?"
        )
        await check_page(page, running, "person-grant-confirm")
        assert await grants_of(running, ANNA) == []
        await page.get_by_role("button", name="Yes, give the role").click()
        assert "The role is given." in await page.inner_text("main")
        assert await grants_of(running, ANNA) == [("representative", alsviku.id)]
        assert "parish or town representative (Alsviķi parish)" in (
            await page.locator("#roles").inner_text()
        )

        # Revoked after a confirmation; "No, go back" keeps it.
        await page.get_by_role(
            "button", name="Revoke: parish or town representative (Alsviķi parish)"
        ).click()
        assert await page.locator("#question").inner_text() == (
            "Revoke the role of Anna: parish or town representative (Alsviķi parish)?"
        )
        await page.get_by_role("link", name="No, go back").click()
        assert await grants_of(running, ANNA) == [("representative", alsviku.id)]
        await page.get_by_role("button", name=re.compile("^Revoke: parish")).click()
        await page.get_by_role("button", name="Yes, revoke").click()
        assert "The role has been revoked." in await page.inner_text("main")
        assert await grants_of(running, ANNA) == []

        # A role the coordinator may not give, forced into the form, is refused and written
        # down; nothing is granted.
        await page.locator("#grant-role").evaluate(
            "select => { select.add(new Option('admin', 'admin')); select.value = 'admin'; }"
        )
        await page.get_by_label(re.compile("^Where")).select_option("")
        await page.get_by_role("button", name="Give the role").click()
        assert await page.locator("h1").inner_text() == "Not allowed"
        assert await grants_of(running, ANNA) == []

        # The audit log, filtered by action, by person and by period.
        await page.goto(f"{running.base_url}/console/audit")
        await check_page(page, running, "audit")
        await page.get_by_label("Action").select_option("role_granted")
        await page.get_by_role("button", name="Show").click()
        rows = page.locator("#audit tbody tr")
        assert await rows.count() == 1
        assert "role_granted" in await rows.first.inner_text()
        assert "Coordinator" in await rows.first.inner_text()
        assert f"resident: {await resident_id(running, ANNA)}" in await rows.first.inner_text()
        await page.get_by_label("Action").select_option("")
        await page.get_by_label("Person's number").fill(str(await resident_id(running, ANNA)))
        await page.get_by_role("button", name="Show").click()
        whos = await page.locator("#audit tbody tr > :nth-child(2)").all_inner_texts()
        assert whos and set(whos) == {"Anna"}
        await page.get_by_label("Person's number").fill(
            str(await resident_id(running, COORDINATOR))
        )
        await page.get_by_label("Action").select_option("refused")
        await page.get_by_role("button", name="Show").click()
        assert "attempted: grant" in await page.locator("#audit").inner_text()
        await page.get_by_label("First day").fill("2020-01-01")
        await page.get_by_label("Last day").fill("2020-01-31")
        await page.get_by_role("button", name="Show").click()
        assert "Nothing here." in await page.inner_text("main")
        await page.get_by_label("Parish or town of the person").select_option(str(alsviku.id))
        await page.get_by_label("First day").fill("")
        await page.get_by_label("Last day").fill("")
        await page.get_by_role("button", name="Show").click()
        assert await page.locator("#audit tbody tr").count() >= 1
        async with running.bot.app.sessionmaker() as session:
            entries = await audit_entries(session)
        assert [
            entry.details.get("via") for entry in entries if entry.action == "role_revoked"
        ] == ["console"]

        # The chair finds people but sees no phone or account, and may give no role.
        await set_role(running.bot, BERTA, Role.CHAIR)
        chair = await fresh_page(browser)
        await chair.goto(await sign_in_link(running, BERTA))
        await chair.locator("main form button").click()  # in Latvian, Berta's language
        await chair.wait_for_load_state()
        await chair.goto(f"{running.base_url}/console/people?q=anna")
        await chair.locator("#found").get_by_role("link", name="Anna").click()
        assert await chair.locator("#person-messengers").inner_text() == "Telegram"
        assert await chair.locator("#grant-form").count() == 0
        assert await chair.get_by_role("button", name=re.compile("^Revoke")).count() == 0
        assert await chair.locator("nav a[href='/console/audit']").count() == 0
        response = await chair.goto(f"{running.base_url}/console/audit")
        assert response is not None and response.status == 403

        # The coordinator's role revoked while the form is open: the grant is refused at the
        # next request and the session ends.
        await page.goto(f"{running.base_url}/console/people/{await resident_id(running, ANNA)}")
        await page.get_by_label("Role", exact=True).select_option("council_member")
        await set_role(running.bot, COORDINATOR, Role.COORDINATOR, granted=False)
        await page.get_by_role("button", name="Give the role").click()
        assert "no longer include the staff console" in await page.inner_text("main")
        assert await grants_of(running, ANNA) == []
        await set_role(running.bot, COORDINATOR, Role.COORDINATOR)
        response = await page.goto(f"{running.base_url}/console/people")
        assert response is not None and response.status == 401


async def test_an_idea_forwarded_marked_the_same_and_exported(
    database_url: str, screenshots: Path
) -> None:
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        idea_id = await council(running)
        await set_role(running.bot, BERTA, Role.COUNCIL_MEMBER)
        async with running.bot.app.sessionmaker() as session, session.begin():
            roads = await area_by_slug(session, "roads")
            anna = await find_identity(session, "telegram", str(ANNA))
            berta = await find_identity(session, "telegram", str(BERTA))
            assert roads is not None and anna is not None and berta is not None
            await assign_area(session, area=roads, resident=berta.resident, by=None)
            second, _ = await submit_idea(
                session,
                author=anna.resident,
                area=roads,
                text="Bedre pie veikala.",
                place=place_of(57.42156, 27.04721),
                photo_ref=None,
                photo_channel=None,
                show_author=False,
                keep_text=True,
                submission_key="console-test-2",
                now=utcnow(),
            )
        page = await open_console(browser, await sign_in_link(running))

        # The table filtered by area and age: only the item received 10 days ago.
        await page.goto(f"{running.base_url}/console/ideas")
        await page.get_by_label("Area").select_option(str(roads.id))
        await page.get_by_label("Received at least this many days ago").fill("5")
        await page.get_by_role("button", name="Show").click()
        rows = page.locator("#ideas tbody tr")
        assert await rows.count() == 1
        assert f"#{idea_id}" in await rows.first.inner_text()
        await page.get_by_label("Received at least this many days ago").fill("")
        await page.get_by_role("button", name="Show").click()
        assert await rows.count() == 2

        # A shared location opens on the map.
        await page.get_by_role("link", name=f"#{second.id}").click()
        href = await page.locator("#map-link").get_attribute("href")
        assert href is not None and href.startswith(
            "https://www.openstreetmap.org/?mlat=57.42156&mlon=27.04721"
        )
        await check_page(page, running, "idea-with-map")

        # Forwarded to the council member responsible for roads: they and Anna hear of it.
        await page.goto(f"{running.base_url}/console/ideas/{idea_id}")
        to_berta = len(running.api.messages_to(BERTA))
        to_anna = len(running.api.messages_to(ANNA))
        await page.get_by_label(re.compile("^Forward to a council member")).select_option(
            str(berta.resident_id)
        )
        await page.get_by_role("button", name="Forward", exact=True).click()
        assert await page.locator("#done").inner_text() == f"#{idea_id} is forwarded."
        assert await page.locator("#forwarded-to").inner_text() == "Berta"
        [notice] = (await running.api.wait_for(chat_id=BERTA, count=to_berta + 1))[to_berta:]
        assert f"Nr. {idea_id}," in notice["text"]
        [told] = (await running.api.wait_for(chat_id=ANNA, count=to_anna + 1))[to_anna:]
        assert f"Nr. {idea_id}" in told["text"]

        # Marked in progress, then the same as the second item after a confirmation.
        await page.get_by_role("button", name="Mark: in progress").click()
        assert await page.locator("#done").inner_text() == f"#{idea_id} is now: in progress."
        await page.get_by_label("The same as item number").fill(str(idea_id))
        await page.get_by_role("button", name="Mark as the same as another").click()
        assert "There is no other item with that number" in await page.inner_text("main")
        await page.get_by_label("The same as item number").fill(str(second.id))
        await page.get_by_role("button", name="Mark as the same as another").click()
        assert await page.locator("h1").inner_text() == (
            f"Mark #{idea_id} as the same as #{second.id}?"
        )
        await check_page(page, running, "idea-same-confirm")
        await page.get_by_role("button", name="Yes, mark it").click()
        assert await page.locator("#done").inner_text() == (
            f"#{idea_id} is marked as the same as #{second.id}."
        )
        async with running.bot.app.sessionmaker() as session:
            item = await session.get(Idea, idea_id)
            assert item is not None
            assert (item.status, item.duplicate_of_id, item.forwarded_to_id) == (
                "duplicate",
                second.id,
                berta.resident_id,
            )
            actions = [entry.action for entry in await audit_entries(session)]
        assert {"idea_forwarded", "idea_status", "idea_duplicate"} <= set(actions)

        # Made-up addresses and values get a page that says so, never an error.
        for address, status in (
            ("/console/ideas?age=99999999999&area=x&unit=%C2%B2&offset=-1", 200),
            ("/console/ideas/export?from=2026-13-45&to=x&format=exe", 400),
            ("/console/ideas/export?from=2026-12-01&to=2026-11-01", 400),
            ("/console/people/%C2%B2", 404),
            ("/console/people/99999999999999999999", 404),
            ("/console/audit?actor=x&action=%3Cscript%3E&from=2026-02-30&offset=abc", 200),
            ("/console/meetings/0", 404),
            ("/console/people?q=" + "a" * 5000, 200),
        ):
            response = await page.goto(f"{running.base_url}{address}")
            assert response is not None and response.status == status, address
            assert await page.locator("h1").count() == 1, address

        # The export: XLSX and CSV of the period chosen, as `padome ideas export` writes them.
        await page.goto(f"{running.base_url}/console/ideas")
        async with page.expect_download() as downloading:
            await page.get_by_role("button", name="Export").click()
        download = await downloading.value
        assert download.suggested_filename.startswith("padome-ideas-")
        assert download.suggested_filename.endswith(".xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(await downloaded(download))).worksheets[0]
        numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert sorted(numbers) == sorted([idea_id, second.id])
        await page.get_by_label("File", exact=True).select_option("csv")
        async with page.expect_download() as downloading:
            await page.get_by_role("button", name="Export").click()
        content = (await downloaded(await downloading.value)).decode("utf-8-sig")
        assert "Bedre pie veikala." in content and content.splitlines()[0].count(",") > 5


async def test_every_console_page_passes_axe(database_url: str, screenshots: Path) -> None:
    """axe-core on every page of the console (and the sign-in page), in English and in
    Latvian and Russian: no violation of impact serious or critical."""
    async with console_bot(database_url, screenshots) as running, chromium() as browser:
        idea_id = await council(running)
        async with running.bot.app.sessionmaker() as session, session.begin():
            identity = await find_identity(session, "telegram", str(COORDINATOR))
            assert identity is not None
            meeting = await create_meeting(
                session,
                plan=MeetingPlan(
                    kind=MeetingKind.SESSION,
                    title="Budžets",
                    unit=None,
                    locality=None,
                    starts_at=utcnow() + timedelta(days=3),
                    place="Dārza iela 11",
                    agenda=("Budžets 2027",),
                ),
                organiser=identity.resident,
                video_base_url="https://meet.example.lv",
                now=utcnow(),
            )
            anna = await find_identity(session, "telegram", str(ANNA))
            assert anna is not None
            # Anna's answer, given for her by a trusted person: the organiser sees it so.
            await record_meeting_answer(
                session,
                meeting=meeting,
                resident=anna.resident,
                answer=AnswerChoice.YES,
                now=utcnow(),
                helper_id=identity.resident.id,
            )
            post = await create_post(
                session,
                author=anna.resident,
                kind=HelpKind.RIDE_OFFER,
                from_place="Alsviķi",
                to_place="Alūksne",
                starts_at=utcnow() + timedelta(days=1),
                returns_at=None,
                count=2,
                text=None,
                contact=Contact.MESSENGER,
                channel="telegram",
                to_group=False,
                now=utcnow(),
            )
            await help_report(
                session, post=post, request=None, reporter=identity.resident, now=utcnow()
            )
        link = await sign_in_link(running)
        page = await fresh_page(browser)
        await page.goto(link)
        await check_page(page, running, "sign-in")
        await page.get_by_role("button", name="Open the console").click()
        anna_id = await resident_id(running, ANNA)
        pages = {
            "overview": "/console",
            "ideas": "/console/ideas",
            "idea": f"/console/ideas/{idea_id}",
            "people": "/console/people?q=a",
            "person": f"/console/people/{anna_id}",
            "audit": "/console/audit",
            "meetings": "/console/meetings",
            "meeting": f"/console/meetings/{meeting.id}",
            "help": "/console/help",
        }
        for language in ("en", "lv", "ru"):
            if language != "en":
                await page.get_by_label(re.compile("Language|Valoda|Язык")).select_option(language)
                await page.locator("form[action='/console/language'] button").click()
            for name, address in pages.items():
                response = await page.goto(f"{running.base_url}{address}")
                assert response is not None and response.status == 200, address
                assert await page.locator("html").get_attribute("lang") == language
                await check_page(page, running, f"{name}-{language}")
                if name == "meeting" and language == "en":
                    shown = await page.locator("main").inner_text()
                    assert "(through a trusted person: 1)" in shown
                    assert "(through a trusted person)" in shown
        # The meeting's answers and its quorum, and its cancelling after a confirmation.
        await page.goto(f"{running.base_url}/console/meetings/{meeting.id}")
        await page.locator("form[action$='/cancel'] button").click()
        await check_page(page, running, "meeting-cancel-confirm-ru")
        await page.locator("form.confirm button").click()
        async with running.bot.app.sessionmaker() as session:
            assert (await session.get(Meeting, meeting.id)).status == "cancelled"  # type: ignore[union-attr]
        # Hiding the reported post after a confirmation.
        await page.goto(f"{running.base_url}/console/help")
        await page.locator(f"tr[data-post='{post.id}'] button").click()
        await page.locator("form.confirm button").click()
        async with running.bot.app.sessionmaker() as session:
            assert (await session.get(HelpPost, post.id)).status == "hidden"  # type: ignore[union-attr]
            actions = [entry.action for entry in await audit_entries(session)]
        assert {"meeting_cancelled", "help_hidden"} <= set(actions)


@pytest.mark.parametrize(
    ("grants", "finds", "units", "contacts", "audit_log", "moderates_help"),
    [
        (((Role.COORDINATOR, None, None),), True, None, True, True, True),
        (((Role.ADMIN, None, None),), True, None, True, True, True),
        (((Role.CHAIR, None, None),), True, None, False, False, False),
        (((Role.VICE_CHAIR, None, None),), False, set(), False, False, False),
        (((Role.REPRESENTATIVE, 3, None),), True, {3}, False, False, True),
        (((Role.DEPUTY, 3, 7),), False, set(), False, False, False),
        ((), False, set(), False, False, False),
    ],
)
def test_who_finds_whom_and_sees_what(
    grants: tuple[tuple[Role, int | None, int | None], ...],
    finds: bool,
    units: set[int] | None,
    contacts: bool,
    audit_log: bool,
    moderates_help: bool,
) -> None:
    roles = Roles(grants=grants)
    assert may_find_people(roles) is finds
    assert findable_units(roles) == units
    assert may_see_contacts(roles) is contacts
    assert may_read_audit(roles) is audit_log
    assert may_moderate_help(roles) is moderates_help
