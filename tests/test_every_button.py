"""Every button reachable from the menu works, for every role.

A realistic world is set up first (a resident with a candidacy and an idea, a representative
with a poll and a scheduled message, a deputy, a coordinator, the chair; an open round, an
open survey, delivered news). Then, as each role, every button shown from /menu on is pressed
by its payload, as a messenger would send it, breadth-first to a bounded depth; each path is
replayed from /menu. Where a typed answer is asked, wrong answers are typed too, then a likely
answer that the question takes, and the walk goes on past it. A press or typed answer fails on
the apology, a logged error, a "not understood", "no longer being prepared" or "not allowed"
reply where the button was just shown or the question just asked, or on a screen offering
nothing to press.
"""

from __future__ import annotations

import ast
import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from string import Formatter
from zoneinfo import ZoneInfo

import jinja2
import jinja2.nodes
import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.messages import Address, Outgoing, Reply
from bot.i18n import DOMAIN, LOCALES_DIR, Translator
from broadcasts.compose import Audience, create_broadcast
from handlers.ideas.submit import AreaChosen, Draft, DraftStep, KeepText, ShowName
from handlers.surveys.payloads import PollBack, PollDays, PollScreen, PollStart
from models.base import utcnow
from models.broadcasts import Broadcast, Delivery, DeliveryStatus, Status, create_deliveries
from models.conversations import load_conversation
from models.houses import House, add_house
from models.ideas import area_by_slug
from models.nominations import NominationRound, create_round
from models.residents import Resident, find_resident
from models.roles import Role, grant_role, load_roles
from models.survey_file import create_survey, parse_survey_file, resolve_audience
from models.surveys import Survey
from models.territory import Locality, add_locality, unit_by_slug
from padome.app import App
from tests.chat import Chat
from tests.test_surveys import survey_yaml

RESIDENT = "resident"
DEPUTY = "deputy"
REPRESENTATIVE = "representative"
COORDINATOR = "coordinator"
CHAIR = "chair"
# (user, language, unit); everyone but the coordinator lives in Alsviķi, Alsviķu pagasts.
PEOPLE = (
    (RESIDENT, "lv", "alsviku"),
    (DEPUTY, "ru", "alsviku"),
    (REPRESENTATIVE, "lv", "alsviku"),
    (COORDINATOR, "en", "annas"),
    (CHAIR, "lv", "alsviku"),
)
RIGA = ZoneInfo("Europe/Riga")
MAX_DEPTH = 10
MAX_SCREENS = 1000
# Pressing it erases the walker; tested on its own below.
DESTROYS_THE_WORLD = frozenset({"forget:yes"})
# Typed where an answer is asked: longer than any dialog takes, an emoji, a stray letter.
WRONG_ANSWERS = ("x" * 4100, "Ä" * 1200, "🙂", "x")
# Typed to get past a question to the buttons after it: a name, a text, answer options,
# a phone number, a date and time, a number. A typed step is marked so in a path.
LIKELY_ANSWERS = (
    "Jānis Bērziņš",
    "Sestdien; Svētdien",
    "+37126123456",
    "12.12.2099 10:00",
    "1",
)
TYPED = "✎ "
# Buttons (payload beginnings) each role's walk must have pressed: the world's content.
EVERYONE = ("news", "nomlist", "svopen", "ideastep:send")
STAFF_TOO = ("inbox", "ideaans", "ideaexpf")
SENDERS = ("bcs", "bcx:", "bcsend", "pollgo")
REACHED = {
    RESIDENT: (*EVERYONE, "svsend", "nomwithdraw", "nhwdp", "hpick", "cov"),
    DEPUTY: (*EVERYONE, *STAFF_TOO, "svsend", "supyes", "nhwant", "nhrep"),
    REPRESENTATIVE: (
        *EVERYONE,
        *STAFF_TOO,
        *SENDERS,
        *("svsend", "supyes", "nhwant", "nhhide", "hpick", "cov", "bchouse"),
    ),
    COORDINATOR: (*EVERYONE, *STAFF_TOO, *SENDERS, "nomcend", "revoke:", "areamember"),
    # The chair sees only their own messages, none of them waiting: no Cancel. Their answers
    # go with the quick poll's option itself ("svans"), which needs no Send.
    CHAIR: (
        *EVERYONE,
        *STAFF_TOO,
        *("bcs", "bcsend", "pollgo", "svans", "supyes", "areamember", "nhwant"),
    ),
}

APOLOGY = "Sorry, something went wrong on our side. Please try again, or send /menu."
NOT_UNDERSTOOD = (
    "I did not understand that. Please choose from the menu.",
    "I do not know that command. Send /help to see what I can do.",
    "That message is no longer being prepared.",
    "That idea is no longer being prepared.",
    "That round is no longer being prepared.",
    "That poll is no longer being prepared.",
    "That paper questionnaire is no longer being entered.",
    # A button shown to someone who may not press it.
    "Sorry, you are not allowed to do that.",
)


def in_every_language(message: str) -> list[str]:
    return [Translator(code, timezone=RIGA)._(message) for code in ("lv", "ru", "en")]


APOLOGIES = in_every_language(APOLOGY)
CONFUSED = [text for message in NOT_UNDERSTOOD for text in in_every_language(message)]


@dataclass
class World:
    # The representative's message due tomorrow.
    scheduled_id: int
    # What reached each console user outside their own conversation (invitations, news).
    received: dict[str, list[Reply]] = field(default_factory=dict)


@asynccontextmanager
async def service_running(app: App) -> AsyncIterator[None]:
    service = app.broadcasting(tick_seconds=0.05)
    await service.start()
    try:
        yield
    finally:
        await service.stop()


async def until(
    app: App, check: Callable[[AsyncSession], Awaitable[bool]], what: str, seconds: float = 15
) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        async with app.sessionmaker() as session:
            if await check(session):
                return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


async def resident_of(app: App, user: str) -> Resident:
    async with app.sessionmaker() as session:
        resident = await find_resident(session, "console", user)
        assert resident is not None, user
        return resident


def buttons_of(reply: Reply) -> list[str]:
    return [button.payload for button in reply.options]


async def build_world(app: App, chat: Chat) -> World:
    """Everyone registered by chat, roles granted, and something to find on every screen."""
    received: dict[str, list[Reply]] = {}

    async def deliver(address: Address, reply: Reply) -> str:
        received.setdefault(address.chat_id, []).append(reply)
        return str(len(received[address.chat_id]))

    async def edit(address: Address, message_id: str, text: str) -> None:
        await deliver(address, Reply(text))

    app.senders.register("console", deliver, edit)
    async with app.sessionmaker() as session, session.begin():
        alsviku = await unit_by_slug(session, "alsviku")
        assert alsviku is not None
        village = await add_locality(session, unit=alsviku, name="Alsviķi")
        village_id = village.id
        # Made-up houses: an apartment block, a house on a street, a named rural house.
        block = await add_house(
            session, unit=alsviku, locality=village, street="Parka iela", number="1", flats=24
        )
        block_id = block.id
        await add_house(session, unit=alsviku, locality=village, street="Skolas iela", number="2")
        await add_house(session, unit=alsviku, house_name="Kalnmaļi")
    for user, language, unit in PEOPLE:
        await chat.say(user, "/start")
        await chat.say(user, payload=f"lang:{language}")
        await chat.say(user, payload="privacy:agree")
        answer = await chat.say(user, payload=f"unit:{unit}")
        if "loc:skip" in buttons_of(answer):
            await chat.say(user, payload=f"loc:{village_id}")
    async with app.sessionmaker() as session, session.begin():
        alsviku = await unit_by_slug(session, "alsviku")
        village = await session.get(Locality, village_id)
        grants = (
            (REPRESENTATIVE, Role.REPRESENTATIVE, alsviku, None),
            (DEPUTY, Role.DEPUTY, None, village),
            (COORDINATOR, Role.COORDINATOR, None, None),
            (CHAIR, Role.CHAIR, None, None),
        )
        for user, role, unit, locality in grants:
            person = await find_resident(session, "console", user)
            assert person is not None
            await grant_role(session, resident=person, role=role, unit=unit, locality=locality)
        elder = await find_resident(session, "console", RESIDENT)
        assert elder is not None
        await grant_role(
            session,
            resident=elder,
            role=Role.HOUSE_ELDER,
            house=await session.get(House, block_id),
        )
        now = utcnow()
        round_id = (
            await create_round(
                session, unit_ids=None, starts_at=now, ends_at=now + timedelta(days=14), now=now
            )
        ).id
        spec = parse_survey_file(survey_yaml(), name="survey.yaml", timezone=app.settings.tz)
        audience = await resolve_audience(session, spec, name="survey.yaml")
        survey_id = (await create_survey(session, spec=spec, audience=audience, now=now)).id
        chair = await find_resident(session, "console", CHAIR)
        assert chair is not None
        delivered_id = (
            await create_broadcast(
                session,
                roles=await load_roles(session, chair, admins=[]),
                created_by_id=chair.id,
                audience=Audience(),
                texts={"lv": "Padomes sēde ceturtdien plkst. 18:00."},
                due_at=now,
                now=now,
            )
        ).id
    async with service_running(app):
        await until(app, lambda s: _survey_open(s, survey_id), "the survey opens")
        await until(app, lambda s: _round_open(s, round_id), "the round opens")

        # The resident stands as a candidate and sends an idea, all by chat.
        await chat.say(RESIDENT, payload="nom")
        await chat.say(RESIDENT, payload="nomnew")
        await chat.say(RESIDENT, payload="nomwho:y")
        await chat.say(RESIDENT, "Anna Bērziņa")
        await chat.say(RESIDENT, "Strādāju skolā, gribu labākus ceļus.")
        async with app.sessionmaker() as session:
            roads = await area_by_slug(session, "roads")
            assert roads is not None
        await chat.say(RESIDENT, "/idea")
        await chat.say(RESIDENT, payload=AreaChosen(roads.id).pack())
        await chat.say(RESIDENT, "Bedre Dzirnavu ielā pie veikala.")
        await chat.say(RESIDENT, payload=DraftStep(Draft.NO_PHOTO).pack())
        await chat.say(RESIDENT, payload=DraftStep(Draft.NO_PLACE).pack())
        await chat.say(RESIDENT, payload=ShowName(False).pack())
        await chat.say(RESIDENT, payload=KeepText(False).pack())
        sent = await chat.say(RESIDENT, payload=DraftStep(Draft.SEND).pack())
        assert "numuru 1." in sent.text, sent.text

        # The resident offers to bring parcels: neighbours find it, staff may hide it.
        await chat.say(RESIDENT, payload="nhnew:parcel_offer")
        await chat.say(RESIDENT, payload="nhplace:0")
        when = (utcnow() + timedelta(days=2)).astimezone(RIGA).replace(hour=10, minute=0)
        await chat.say(RESIDENT, when.strftime("%d.%m.%Y %H:%M"))
        await chat.say(RESIDENT, payload="nhcount:2")
        await chat.say(RESIDENT, payload="nhstep:notext")
        posted = await chat.say(RESIDENT, payload="nhstep:publish")
        assert "#1" in posted.text, posted.text

        # The representative runs a quick poll in their parish.
        await chat.say(REPRESENTATIVE, "/poll")
        await chat.say(REPRESENTATIVE, "Kad rīkot talku?")
        await chat.say(REPRESENTATIVE, "Sestdien; Svētdien")
        audience_screen = await chat.say(
            REPRESENTATIVE, payload=PollBack(PollScreen.AUDIENCE).pack()
        )
        await chat.say(REPRESENTATIVE, payload=buttons_of(audience_screen)[0])
        await chat.say(REPRESENTATIVE, payload=PollDays(3).pack())
        started = await chat.say(REPRESENTATIVE, payload=PollStart().pack())
        assert f"Nr. {survey_id + 1}" in started.text, started.text

        await until(app, _all_sent, "the news and invitations go out")
        # A message of the representative's due tomorrow: it waits in /broadcasts.
        async with app.sessionmaker() as session, session.begin():
            representative = await find_resident(session, "console", REPRESENTATIVE)
            assert representative is not None and representative.unit_id is not None
            scheduled_id = (
                await create_broadcast(
                    session,
                    roles=await load_roles(session, representative, admins=[]),
                    created_by_id=representative.id,
                    audience=Audience(unit_ids=(representative.unit_id,)),
                    texts={"lv": "Rīt talka pie skolas."},
                    due_at=utcnow() + timedelta(days=1),
                    now=utcnow(),
                )
            ).id
    async with app.sessionmaker() as session:
        delivered = await session.get(Broadcast, delivered_id)
        assert delivered is not None and delivered.status == Status.DONE.value
    return World(scheduled_id=scheduled_id, received=received)


async def _survey_open(session: AsyncSession, survey_id: int) -> bool:
    survey = await session.get(Survey, survey_id)
    return survey is not None and survey.status == "open"


async def _round_open(session: AsyncSession, round_id: int) -> bool:
    item = await session.get(NominationRound, round_id)
    return item is not None and item.status == "open"


async def _all_sent(session: AsyncSession) -> bool:
    busy = await session.scalar(
        select(func.count())
        .select_from(Broadcast)
        .where(Broadcast.status.in_([Status.SCHEDULED.value, Status.SENDING.value]))
    )
    return not busy


# --------------------------------------------------------------------------- the walk


@dataclass
class Walk:
    """One role's walk: what was seen, and what went wrong."""

    user: str
    screens: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Paths whose button was no longer on the screen when replayed, or whose typed answer
    # met another question (an answer already given, a candidacy withdrawn): pressed or
    # typed anyway, as a person may on an earlier message.
    old_buttons: list[tuple[str, ...]] = field(default_factory=list)
    # Buttons still queued when the bound on screens was reached.
    unexplored: int = 0

    def summary(self) -> str:
        lines = [f"{self.user}: {len(self.screens)} screens, {self.unexplored} left unexplored"]
        lines += [f"  {' > '.join(path) or '/menu'}: {text[:70]!r}" for path, text in self.screens]
        if self.old_buttons:
            lines.append(
                f"  pressed or typed where the screen had changed: {len(self.old_buttons)}"
            )
            lines += [f"    {' > '.join(path)}" for path in self.old_buttons]
        return "\n".join(lines)


class Walker:
    def __init__(
        self, app: App, chat: Chat, user: str, home: tuple[int | None, int | None, str]
    ) -> None:
        self.app = app
        self.chat = chat
        self.user = user
        self.home = home
        self.walk = Walk(user)
        # The question open where each typed step of a path was first typed.
        self.asked_at: dict[tuple[str, ...], str] = {}

    async def restore(self) -> None:
        """Put the walker back where they live, in their language, before each path."""
        unit_id, locality_id, language = self.home
        async with self.app.sessionmaker() as session, session.begin():
            resident = await find_resident(session, "console", self.user)
            assert resident is not None, f"{self.user} was erased during the walk"
            await session.execute(
                update(Resident)
                .where(Resident.id == resident.id)
                .values(unit_id=unit_id, locality_id=locality_id, language=language)
            )

    async def state(self) -> str | None:
        async with self.app.sessionmaker() as session:
            conversation = await load_conversation(session, "console", self.user)
            return conversation.state

    async def act(
        self,
        what: str,
        caplog: pytest.LogCaptureFixture,
        *,
        text: str | None = None,
        payload: str | None = None,
        shown: bool = True,
    ) -> Reply | None:
        """Send one message; note any failure; return the last reply to this chat. A button
        no longer shown may rightly say that its moment has passed."""
        caplog.clear()
        outgoing: list[Outgoing] = await self.chat.send(self.user, text, payload=payload)
        mine = [item.reply for item in outgoing if item.address.chat_id == self.user]
        errors = [
            record.getMessage().splitlines()[0]
            for record in caplog.records
            if record.levelno >= logging.ERROR
        ]
        for error in errors:
            self.walk.problems.append(f"{what}: logged error {error}")
        if not mine:
            self.walk.problems.append(f"{what}: no reply")
            return None
        for reply in mine:
            if any(apology in reply.text for apology in APOLOGIES):
                self.walk.problems.append(f"{what}: the apology")
            elif shown and any(confused in reply.text for confused in CONFUSED):
                self.walk.problems.append(f"{what}: not understood: {reply.text[:90]!r}")
        last = mine[-1]
        if not last.options:
            self.walk.problems.append(f"{what}: nothing to press: {last.text[:90]!r}")
        return last

    async def replay(self, path: tuple[str, ...], caplog: pytest.LogCaptureFixture) -> Reply | None:
        """From /menu, press the path's buttons and type its answers; the last screen, or None
        without a reply."""
        await self.restore()
        screen = await self.act("/menu", caplog, text="/menu")
        for step, payload in enumerate(path):
            where = " > ".join(path[: step + 1])
            if payload.startswith(TYPED):
                # Typed where the same question stood when this path was found.
                shown = await self.state() == self.asked_at.get(path[: step + 1])
            else:
                shown = screen is not None and payload in buttons_of(screen)
            if not shown and path[: step + 1] not in self.walk.old_buttons:
                self.walk.old_buttons.append(path[: step + 1])
            if payload.startswith(TYPED):
                screen = await self.act(
                    where, caplog, text=payload.removeprefix(TYPED), shown=shown
                )
            else:
                screen = await self.act(where, caplog, payload=payload, shown=shown)
        return screen

    async def run(self, caplog: pytest.LogCaptureFixture) -> Walk:
        seen: set[str] = set()
        answered: set[str] = set()
        queue: deque[tuple[str, ...]] = deque([()])
        while queue and len(self.walk.screens) < MAX_SCREENS:
            path = queue.popleft()
            screen = await self.replay(path, caplog)
            if screen is None:
                continue
            self.walk.screens.append((path, screen.text))
            asked = await self.state()
            if asked is not None:
                await self.type_wrong(path, caplog)
            if len(path) >= MAX_DEPTH:
                continue
            if asked is not None and asked not in answered:
                answered.add(asked)
                answer = await self.type_answer(path, asked, caplog)
                if answer is not None:
                    queue.append((*path, TYPED + answer))
                    self.asked_at[queue[-1]] = asked
            for payload in buttons_of(screen):
                if payload in seen or payload in DESTROYS_THE_WORLD:
                    continue
                seen.add(payload)
                queue.append((*path, payload))
        self.walk.unexplored = len(queue)
        return self.walk

    async def type_wrong(self, path: tuple[str, ...], caplog: pytest.LogCaptureFixture) -> None:
        """At a screen that waits for typed text, wrong answers get a clear reply."""
        where = " > ".join(path) or "/menu"
        asked = await self.state()
        for number, wrong in enumerate(WRONG_ANSWERS):
            # A refused answer leaves the question standing; one taken moves on, so the
            # question is asked again for the next.
            if number and await self.state() != asked:
                await self.replay(path, caplog)
                if await self.state() != asked:
                    return  # the question is not asked any more (the answer was taken)
            await self.act(f"{where} + typed {wrong[:8]!r}…", caplog, text=wrong)

    async def type_answer(
        self, path: tuple[str, ...], asked: str, caplog: pytest.LogCaptureFixture
    ) -> str | None:
        """The first of the likely answers this question takes, to walk on past it."""
        for answer in LIKELY_ANSWERS:
            await self.replay(path, caplog)
            if await self.state() != asked:
                return None
            await self.act(f"{' > '.join(path)} + typed {answer!r}", caplog, text=answer)
            if await self.state() != asked:
                return answer
        return None


async def home_of(app: App, user: str) -> tuple[int | None, int | None, str]:
    resident = await resident_of(app, user)
    return resident.unit_id, resident.locality_id, resident.language


@pytest.mark.parametrize("user", [RESIDENT, DEPUTY, REPRESENTATIVE, COORDINATOR, CHAIR])
async def test_every_button_reachable_from_the_menu_works(
    app: App, chat: Chat, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    await build_world(app, chat)
    caplog.set_level(logging.WARNING)
    walker = Walker(app, chat, user, await home_of(app, user))
    walk = await walker.run(caplog)
    problems = "\n".join(dict.fromkeys(walk.problems))
    assert not walk.problems, f"{problems}\n\n{walk.summary()}"
    # The walk reached the world's content, not just the menu.
    steps = {step for path, _ in walk.screens for step in path}
    missing = [want for want in REACHED[user] if not any(s.startswith(want) for s in steps)]
    assert not missing, f"{missing} not reached\n{walk.summary()}"


async def test_cancel_in_my_messages_stops_a_message_on_its_way(app: App, chat: Chat) -> None:
    world = await build_world(app, chat)
    # A message of the representative's caught mid-way (rate limits, quiet hours): its rows
    # wait to be sent.
    async with app.sessionmaker() as session, session.begin():
        representative = await find_resident(session, "console", REPRESENTATIVE)
        assert representative is not None and representative.unit_id is not None
        now = utcnow()
        broadcast = await create_broadcast(
            session,
            roles=await load_roles(session, representative, admins=[]),
            created_by_id=representative.id,
            audience=Audience(unit_ids=(representative.unit_id,)),
            texts={"lv": "Ūdens atslēgts līdz pusdienlaikam."},
            due_at=now,
            now=now,
        )
        broadcast.status = Status.SENDING.value
        broadcast.started_at = now
        waiting = await create_deliveries(session, broadcast, channels={"console"})
        broadcast_id = broadcast.id
    assert waiting == 4  # everyone in Alsviķu pagasts

    mine = await chat.say(REPRESENTATIVE, payload="bcs")
    assert f"bcx:{broadcast_id}" in buttons_of(mine)
    assert f"bcx:{world.scheduled_id}" in buttons_of(mine)
    done = await chat.say(REPRESENTATIVE, payload=f"bcx:{broadcast_id}")
    assert done.text.startswith(
        f"Ziņa Nr. {broadcast_id} ir atcelta; 4 iedzīvotāji to nesaņems.\n\nGalvenā izvēlne"
    ), done.text
    assert "bcs" in buttons_of(done)
    async with app.sessionmaker() as session:
        stored = await session.get(Broadcast, broadcast_id)
        assert stored is not None and stored.status == Status.CANCELLED.value
        statuses = await session.scalars(
            select(Delivery.status).where(Delivery.broadcast_id == broadcast_id)
        )
        assert set(statuses) == {DeliveryStatus.CANCELLED.value}

    # The dispatcher runs on: nobody gets the cancelled message; the list says so.
    async with service_running(app):
        await asyncio.sleep(0.5)
    texts = [reply.text for replies in world.received.values() for reply in replies]
    assert not any("Ūdens atslēgts" in text for text in texts)
    listed = await chat.say(REPRESENTATIVE, payload="bcs")
    assert f"Nr. {broadcast_id} atcelta" in listed.text, listed.text
    assert f"bcx:{broadcast_id}" not in buttons_of(listed)
    # Pressed again (an old button), it says so instead of failing.
    again = await chat.say(REPRESENTATIVE, payload=f"bcx:{broadcast_id}")
    assert again.text.startswith(f"Ziņu Nr. {broadcast_id} vairs nevar atcelt."), again.text

    # One not yet due is cancelled for everyone it would have reached.
    scheduled = await chat.say(REPRESENTATIVE, payload=f"bcx:{world.scheduled_id}")
    assert scheduled.text.startswith(
        f"Ziņa Nr. {world.scheduled_id} ir atcelta; 4 iedzīvotāji to nesaņems."
    ), scheduled.text
    async with app.sessionmaker() as session:
        stored = await session.get(Broadcast, world.scheduled_id)
        assert stored is not None and stored.status == Status.CANCELLED.value


# --------------------------------------------------------------------------- placeholders

SOURCES = ("bot", "handlers", "models", "broadcasts", "reports", "padome")
TRANSLATING = {"_": 1, "ngettext": 2}  # the function, and how many message ids it takes


# Functions and classes that take a message id marked with N_ and the values of its
# placeholders, as keywords or a dict written out beside it, to translate it later (a survey
# file's problem, told in the console's language).
HANDING_ON = {"problem", "Problem", "NotSchedulable"}


def _handed_on_leaving_a_placeholder_empty(
    node: ast.Call, path: Path, root: Path, checked: set[str] | None
) -> list[str]:
    messages = [
        argument.args[0].value
        for argument in node.args
        if isinstance(argument, ast.Call)
        and getattr(argument.func, "id", None) == "N_"
        and argument.args
        and isinstance(argument.args[0], ast.Constant)
        and isinstance(argument.args[0].value, str)
    ]
    if not messages or any(keyword.arg is None for keyword in node.keywords):
        return []
    given = {keyword.arg for keyword in node.keywords} | {
        key.value
        for argument in node.args
        if isinstance(argument, ast.Dict)
        for key in argument.keys
        if isinstance(key, ast.Constant)
    }
    if checked is not None:
        checked.update(messages)
    missing = {
        field
        for message in messages
        for _, field, _, _ in Formatter().parse(message)
        if field is not None
    } - given
    if not missing:
        return []
    return [f"{path.relative_to(root)}:{node.lineno}: {sorted(missing)} not given"]


def _calls_leaving_a_placeholder_empty(checked: set[str] | None = None) -> list[str]:
    """Every literal message shown through `_` or `ngettext` whose `{placeholders}` are not
    all given where they are filled."""
    root = Path(__file__).resolve().parent.parent
    found: list[str] = []
    for folder in SOURCES:
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            formatted_after: dict[int, ast.Call] = {}
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "format"
                    and isinstance(node.func.value, ast.Call)
                ):
                    formatted_after[id(node.func.value)] = node
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in HANDING_ON:
                    found += _handed_on_leaving_a_placeholder_empty(node, path, root, checked)
                    continue
                if name not in TRANSLATING:
                    continue
                messages = node.args[: TRANSLATING[name]]
                if len(messages) < TRANSLATING[name] or not all(
                    isinstance(message, ast.Constant) and isinstance(message.value, str)
                    for message in messages
                ):
                    continue  # a message id defined elsewhere (N_): checked below
                # ngettext, and `_` given values, format at once: a `.format` after them
                # comes too late. A bare `_` returns the text for a `.format` to fill.
                calls = [node]
                if name == "_" and not node.keywords and id(node) in formatted_after:
                    calls.append(formatted_after[id(node)])
                keywords = [keyword for call in calls for keyword in call.keywords]
                if any(keyword.arg is None for keyword in keywords):
                    continue  # **values: not knowable here
                given = {keyword.arg for keyword in keywords}
                if name == "ngettext":
                    given.add("n")
                wanted = {
                    field
                    for message in messages
                    for _, field, _, _ in Formatter().parse(message.value)  # type: ignore[union-attr]
                    if field is not None
                }
                if checked is not None:
                    checked.update(message.value for message in messages)  # type: ignore[misc]
                missing = wanted - given
                if missing:
                    where = f"{path.relative_to(root)}:{node.lineno}"
                    found.append(f"{where}: {sorted(missing)} not given")
    found += _template_calls_leaving_a_placeholder_empty(root, checked)
    return found


def _template_calls_leaving_a_placeholder_empty(root: Path, checked: set[str] | None) -> list[str]:
    """The same for the staff console's templates, which call `_` and `ngettext` too."""
    found: list[str] = []
    environment = jinja2.Environment()
    for path in sorted((root / "padome" / "console" / "templates").glob("*.html")):
        tree = environment.parse(path.read_text(encoding="utf-8"))
        for node in tree.find_all(jinja2.nodes.Call):
            name = getattr(node.node, "name", None)
            if name not in TRANSLATING:
                continue
            messages = [
                message.value
                for message in node.args[: TRANSLATING[name]]
                if isinstance(message, jinja2.nodes.Const) and isinstance(message.value, str)
            ]
            if len(messages) < TRANSLATING[name]:
                continue
            given = {keyword.key for keyword in node.kwargs} | (
                {"n"} if name == "ngettext" else set()
            )
            wanted = {
                field
                for message in messages
                for _, field, _, _ in Formatter().parse(message)
                if field is not None
            }
            if checked is not None:
                checked.update(messages)
            if wanted - given:
                where = f"{path.relative_to(root)}:{node.lineno}"
                found.append(f"{where}: {sorted(wanted - given)} not given")
    return found


def test_every_placeholder_of_a_shown_message_is_given_where_it_is_shown() -> None:
    checked: set[str] = set()
    assert _calls_leaving_a_placeholder_empty(checked) == []
    # Every message id with a placeholder was among those checked: none is shown only
    # through a name (N_) where its values could not be seen.
    with (LOCALES_DIR / f"{DOMAIN}.pot").open("rb") as handle:
        catalog = read_po(handle)
    unchecked = [
        part
        for message in catalog
        if message.id
        for part in (message.id if isinstance(message.id, tuple) else (message.id,))
        if any(field is not None for _, field, _, _ in Formatter().parse(part))
        and part not in checked
    ]
    assert unchecked == []


def test_ngettext_fills_the_other_placeholders_too() -> None:
    lv = Translator("lv", timezone=RIGA)
    singular = "Message #{id} is cancelled; {n} resident will not get it."
    plural = "Message #{id} is cancelled; {n} residents will not get it."
    one, none = "Ziņa Nr. 7 ir atcelta; 21 iedzīvotājs", "Ziņa Nr. 7 ir atcelta; 0 iedzīvotāju"
    assert lv.ngettext(singular, plural, 21, id=7) == f"{one} to nesaņems."
    assert lv.ngettext(singular, plural, 0, id=7) == f"{none} to nesaņems."
    assert lv.ngettext(singular, plural, 1200, id=7).startswith("Ziņa Nr. 7 ir atcelta; 1\xa0200 ")


async def test_yes_erase_my_data_erases_the_walker_and_start_begins_again(
    app: App, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    """The one button the walk leaves alone, pressed from the menu as the walk would."""
    await build_world(app, chat)
    caplog.set_level(logging.WARNING)
    walker = Walker(app, chat, RESIDENT, await home_of(app, RESIDENT))
    asked = await walker.replay(("mydata",), caplog)
    assert asked is not None and "menu" in buttons_of(asked)
    question = await chat.say(RESIDENT, payload="forget")
    assert buttons_of(question) == ["forget:yes", "forget:no"]
    erased = await chat.say(RESIDENT, payload="forget:yes")
    assert erased.text.startswith("Jūsu dati ir izdzēsti."), erased.text
    async with app.sessionmaker() as session:
        assert await find_resident(session, "console", RESIDENT) is None
    again = await chat.say(RESIDENT, "/start")
    assert "lang:lv" in buttons_of(again)
    assert walker.walk.problems == []


async def test_text_typed_where_buttons_are_asked_for_keeps_the_question(chat: Chat) -> None:
    await chat.onboard("anna")
    question = await chat.say("anna", "/idea")
    areas = buttons_of(question)
    assert AreaChosen(1).pack() in areas
    # The resident starts writing straight away instead of choosing the area.
    again = await chat.say("anna", "Bedre Dzirnavu ielā")
    # The console, like WhatsApp and SMS, numbers the options: there is nothing to tap.
    assert again.text == "Please type the number of one of the options below."
    assert buttons_of(again) == areas
    prompt = await chat.say("anna", payload=AreaChosen(1).pack())
    assert prompt.text.startswith("Write it in your own words"), prompt.text


async def test_a_refusal_offers_the_menu_in_private_and_nothing_in_a_group(chat: Chat) -> None:
    await chat.onboard("anna")
    refused = await chat.say("anna", payload="revoke:1")
    assert refused.text == "Sorry, you are not allowed to do that."
    assert buttons_of(refused) == ["menu"]
    [in_group] = await chat.send("anna", "/linkgroup", chat_id="-100200", group=True)
    assert in_group.reply.text == "Sorry, you are not allowed to do that."
    assert in_group.reply.options == []
