"""Meetings end to end over the fake Bot API: called from the command line or in chat,
invitations to those invited and nobody else, answers counted with the quorum, reminders
at their time and once across a restart, moves and cancellations announced, quiet hours,
a crafted button for another parish's meeting refused, and the calendar file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from broadcasts.service import JobContext
from handlers.ideas.common import OpenIdea
from handlers.meetings.payloads import (
    Choice,
    IdeaToAgenda,
    MeetingCalendar,
    MeetingCancel,
    MeetingReply,
    MeetingView,
    NewAudience,
    Present,
    ProposeQuestion,
    QuestionName,
)
from handlers.meetings.schedule import run_meeting_schedule
from models.audit import audit_entries
from models.base import utcnow
from models.broadcasts import Broadcast
from models.ideas import Idea
from models.meetings import (
    Meeting,
    MeetingAnswer,
    MeetingKind,
    MeetingPlan,
    create_meeting,
    may_call,
)
from models.residents import Identity, Resident, find_identity, register_resident
from models.roles import Role, Roles, grant_role, revoke_role
from models.territory import Locality, unit_by_slug
from padome.app import App
from reports.calendar import meeting_ics
from tests.chat import Chat
from tests.fakes.telegram_api import FakeTelegramAPI, payloads
from tests.telegram import BOT_TOKEN, RunningBot, fake_telegram_api, telegram_settings
from tests.test_broadcasts import CHAIR, _quiet_now, broadcasting, running, seed, texts_to
from tests.test_console import run_padome
from tests.test_ideas import store_idea
from tests.test_twilio import ANNA, ILZE, onboard, say
from tests.test_twilio import running as twilio_running

RIGA = ZoneInfo("Europe/Riga")
MEMBERS = [3001, 3002, 3003]  # representative of Alsviķi, council member, representative of Annas
ALSVIKI = [3101, 3102]
ANNAS = [3201]


def riga(moment: datetime) -> str:
    return moment.astimezone(RIGA).strftime("%d.%m.%Y %H:%M")


async def resident_in(session: AsyncSession, chat: int) -> Resident:
    identity = (
        await session.scalars(select(Identity).where(Identity.external_id == str(chat)))
    ).one()
    resident = await session.get(Resident, identity.resident_id)
    assert resident is not None
    return resident


async def resident_of(bot: RunningBot, chat: int) -> Resident:
    async with bot.app.sessionmaker() as session:
        return await resident_in(session, chat)


async def grant(bot: RunningBot, chat: int, role: Role, unit: str | None = None) -> None:
    async with bot.app.sessionmaker() as session, session.begin():
        resident = await resident_in(session, chat)
        place = await unit_by_slug(session, unit) if unit else None
        await grant_role(session, resident=resident, role=role, unit=place)


async def council(bot: RunningBot) -> None:
    """Three council members, residents of two parishes, and two residents who are not."""
    await seed(bot, [MEMBERS[0], MEMBERS[1], *ALSVIKI], unit="alsviku", language="en")
    await seed(bot, [MEMBERS[2], *ANNAS], unit="annas", language="en")
    await grant(bot, MEMBERS[0], Role.REPRESENTATIVE, "alsviku")
    await grant(bot, MEMBERS[1], Role.COUNCIL_MEMBER)
    await grant(bot, MEMBERS[2], Role.REPRESENTATIVE, "annas")


def padome(database_url: str, tmp_path: Path, *args: str) -> str:
    """The command line, run next to the bot with its settings (so it knows its messengers)."""
    done = run_padome(
        list(args),
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def cli(database_url: str, tmp_path: Path, *args: str) -> str:
    return await asyncio.to_thread(padome, database_url, tmp_path, *args)


def with_payload(packed: str):
    return lambda messages: any(packed in payloads(m) for m in messages)


async def invitation(api: FakeTelegramAPI, chat: int, meeting_id: int) -> dict[str, Any]:
    wanted = MeetingCalendar(meeting_id).pack()
    messages = await api.wait_for(chat_id=chat, predicate=with_payload(wanted), timeout=20)
    return next(m for m in messages if wanted in payloads(m))


async def texts_arrive(api: FakeTelegramAPI, chat: int, fragment: str) -> list[str]:
    await api.wait_for(
        chat_id=chat,
        predicate=lambda ms: any(fragment in (m.get("text") or "") for m in ms),
        timeout=20,
    )
    return [text for text in texts_to(api, chat) if fragment in text]


async def make_meeting(bot: RunningBot, *, organiser_chat: int | None = None, **plan: Any) -> int:
    values: dict[str, Any] = {
        "kind": MeetingKind.SESSION,
        "title": "Budžets",
        "unit": None,
        "locality": None,
        "starts_at": utcnow() + timedelta(days=3),
        "place": "Pils iela 1",
    }
    values.update(plan)
    async with bot.app.sessionmaker() as session, session.begin():
        unit = values.pop("unit_slug", None)
        if unit:
            values["unit"] = await unit_by_slug(session, unit)
        organiser = None
        if organiser_chat is not None:
            organiser = await resident_in(session, organiser_chat)
        meeting = await create_meeting(
            session,
            plan=MeetingPlan(**values),
            organiser=organiser,
            video_base_url=bot.settings.meeting_video_base_url,
            now=utcnow(),
        )
        return meeting.id


async def run_job(bot: RunningBot, now: datetime) -> None:
    await run_meeting_schedule(JobContext(bot.app.sessionmaker, bot.settings, now))


# --------------------------------------------------------------------------- rights


def roles(*grants: tuple[Role, int | None, int | None]) -> Roles:
    return Roles(grants=tuple(grants))


@pytest.mark.parametrize(
    ("who", "kind", "unit_id", "locality", "allowed"),
    [
        (roles((Role.CHAIR, None, None)), MeetingKind.SESSION, None, None, True),
        (roles((Role.VICE_CHAIR, None, None)), MeetingKind.SESSION, None, None, True),
        (roles((Role.COORDINATOR, None, None)), MeetingKind.SESSION, None, None, True),
        (roles((Role.COUNCIL_MEMBER, None, None)), MeetingKind.SESSION, None, None, False),
        (roles((Role.REPRESENTATIVE, 1, None)), MeetingKind.SESSION, None, None, False),
        (roles((Role.REPRESENTATIVE, 1, None)), MeetingKind.COMMUNITY, 1, None, True),
        (roles((Role.REPRESENTATIVE, 1, None)), MeetingKind.COMMUNITY, 2, None, False),
        (roles((Role.REPRESENTATIVE, 1, None)), MeetingKind.COMMUNITY, 1, "l1", True),
        (roles((Role.DEPUTY, 1, 7)), MeetingKind.COMMUNITY, 1, "l7", True),
        (roles((Role.DEPUTY, 1, 7)), MeetingKind.COMMUNITY, 1, "l8", False),
        (roles((Role.DEPUTY, 1, 7)), MeetingKind.COMMUNITY, 1, None, False),
        (roles((Role.COORDINATOR, None, None)), MeetingKind.COMMUNITY, 5, None, True),
        (roles((Role.REPRESENTATIVE, 1, None)), MeetingKind.WORKING_GROUP, 1, None, True),
        (roles((Role.REPRESENTATIVE, 1, None)), MeetingKind.WORKING_GROUP, 2, None, False),
        (roles((Role.WORKING_GROUP, 1, None)), MeetingKind.WORKING_GROUP, 1, None, False),
        (roles(), MeetingKind.COMMUNITY, 1, None, False),
    ],
)
def test_who_may_call_which_meeting(
    who: Roles, kind: MeetingKind, unit_id: int | None, locality: str | None, allowed: bool
) -> None:
    place = None
    if locality is not None:
        place = Locality(id=int(locality[1:]), unit_id=unit_id or 0, name=locality)
    assert may_call(who, kind=kind, unit_id=unit_id, locality=place) is allowed


# --------------------------------------------------------------------------- sessions


async def test_session_from_the_cli_invites_the_council_counts_answers_and_quorum(
    database_url: str, tmp_path: Path
) -> None:
    start = utcnow() + timedelta(days=3)
    agenda = tmp_path / "agenda.txt"
    agenda.write_text("Budžets 2027\n- Ceļu remonts\n", encoding="utf-8")
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await council(bot)
        added = await cli(
            database_url,
            tmp_path,
            "meetings", "add", "--kind", "session", "--title", "Padomes sēde",
            "--audience", "council", "--at", riga(start), "--place", "Dārza iela 11",
            "--online", "--agenda-file", str(agenda),
        )  # fmt: skip
        assert 'Meeting #1 "Padomes sēde" on' in added and "for council" in added
        for member in MEMBERS:
            message = await invitation(api, member, 1)
            text = message["text"]
            assert 'Session of the residents\' council: "Padomes sēde"' in text
            assert f"When: {riga(start)} (90 minutes)" in text
            assert "Where: Dārza iela 11, and online" in text
            assert "Video link: https://meet.jit.si/padome-" in text
            assert "1. Budžets 2027\n2. Ceļu remonts" in text
            assert [b["text"] for row in message["buttons"] for b in row] == [
                "I will come",
                "I will join online",
                "Maybe",
                "I cannot",
                "Add to my calendar",
            ]
        await bot.settle()
        for resident in ALSVIKI + ANNAS:
            assert not any("Padomes sēde" in text for text in texts_to(api, resident))

        [thanks] = await bot.press(MEMBERS[0], MeetingReply(1, Choice.YES).pack())
        assert 'Your answer to "Padomes sēde": I will come.' in thanks["text"]
        await bot.press(MEMBERS[1], MeetingReply(1, Choice.NO).pack())
        # Changed until the start: the last answer counts.
        await bot.press(MEMBERS[1], MeetingReply(1, Choice.ONLINE).pack())
        shown = await cli(database_url, tmp_path, "meetings", "show", "1")
        assert "answers: yes 1, maybe 0, no 0, online 1" in shown
        assert "quorum: 2 of 2 needed, reached" in shown
        assert "agenda:\n  1. Budžets 2027\n  2. Ceļu remonts" in shown
        listed = await cli(database_url, tmp_path, "meetings", "list")
        assert "Padomes" in listed and "planned" in listed

        # Members see one another's answers on a session.
        [view] = await bot.press(MEMBERS[2], MeetingView(1).pack())
        assert "I will come: 1 · online: 1 · maybe: 0 · cannot: 0" in view["text"]
        assert "Quorum: reached (2 of the 2 needed)." in view["text"]

        # Moved: every invited person hears the old and the new time.
        later = start + timedelta(days=1)
        moved = await cli(database_url, tmp_path, "meetings", "move", "1", "--at", riga(later))
        assert "moved to" in moved and "3 invited are told" in moved
        for member in MEMBERS:
            [notice] = await texts_arrive(api, member, "has been moved")
            assert f"it was to begin on {riga(start)}, it now begins on {riga(later)}" in notice

        cancelled = await cli(database_url, tmp_path, "meetings", "cancel", "1")
        assert "cancelled; 3 invited are told" in cancelled
        await texts_arrive(api, MEMBERS[2], "has been cancelled")
        [late] = await bot.press(MEMBERS[2], MeetingReply(1, Choice.YES).pack())
        assert "This meeting has been cancelled." in late["text"]


async def test_urgent_session_goes_at_once_in_quiet_hours_an_ordinary_one_waits(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api:
        probe = telegram_settings(database_url, api.base_url or "")
        async with running(database_url, api, quiet_hours=_quiet_now(probe)) as bot:
            await council(bot)
            ordinary = await make_meeting(bot, title="Parasta sēde")
            urgent = await make_meeting(
                bot,
                title="Steidzama sēde",
                starts_at=utcnow() + timedelta(hours=3),
                place=None,
                online=True,
                urgent=True,
            )
            message = await invitation(api, MEMBERS[1], urgent)
            assert message["text"].startswith("‼️ Urgent · Session of the residents' council")
            assert "Please confirm at once whether you can take part." in message["text"]
            await bot.settle()
            assert not any(MeetingCalendar(ordinary).pack() in payloads(m)
                           for m in api.messages_to(MEMBERS[1]))  # fmt: skip


# --------------------------------------------------------------------------- community


async def test_community_meeting_only_for_its_parish_and_a_crafted_button_refused(
    database_url: str,
) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await council(bot)
        meeting_id = await make_meeting(
            bot,
            kind=MeetingKind.COMMUNITY,
            title="Ciema sapulce",
            unit_slug="alsviku",
            online=True,
            organiser_chat=MEMBERS[0],
        )
        message = await invitation(api, ALSVIKI[0], meeting_id)
        assert 'Community meeting: "Ciema sapulce" (Alsviķi parish)' in message["text"]
        # The link only in the reminder shortly before.
        assert "https://meet.jit.si" not in message["text"]
        assert "The video link comes in the reminder shortly before the start." in message["text"]
        [organiser] = await texts_arrive(api, MEMBERS[0], "are going out to")
        # Everyone living there: two residents, the representative and a council member.
        assert "going out to 4 people" in organiser

        [listed] = await bot.send(ALSVIKI[1], "/meetings")
        assert "Ciema sapulce" in listed["text"]
        [elsewhere] = await bot.send(ANNAS[0], "/meetings")
        assert "Ciema sapulce" not in elsewhere["text"]
        assert "There are no meetings for you right now." in elsewhere["text"]

        [refused] = await bot.press(ANNAS[0], MeetingReply(meeting_id, Choice.YES).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        [refused] = await bot.press(ANNAS[0], MeetingView(meeting_id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        [refused] = await bot.press(ALSVIKI[0], MeetingCancel(meeting_id, sure=True).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        async with bot.app.sessionmaker() as session:
            entries = await audit_entries(session, action="refused")
            answers = await session.scalar(select(func.count()).select_from(MeetingAnswer))
        attempts = [entry.details.get("attempted") for entry in entries]
        assert attempts == ["meeting_answer", "meeting_view", "meeting_cancel"]
        assert answers == 0

        await bot.press(ALSVIKI[0], MeetingReply(meeting_id, Choice.MAYBE).pack())
        await bot.press(ALSVIKI[1], MeetingReply(meeting_id, Choice.NO).pack())
        # The organiser sees the counts and the residents' names; residents see neither.
        [view] = await bot.press(MEMBERS[0], MeetingView(meeting_id).pack())
        assert "I will come: 0 · online: 0 · maybe: 1 · cannot: 1" in view["text"]
        [resident_view] = await bot.press(ALSVIKI[0], MeetingView(meeting_id).pack())
        assert "Your answer: Maybe" in resident_view["text"]
        assert "cannot: 1" not in resident_view["text"]

        # The last reminder carries the link, and not to the one who cannot come.
        async with bot.app.sessionmaker() as session:
            meeting = await session.get(Meeting, meeting_id)
            assert meeting is not None
            starts_at = meeting.starts_at
        await run_job(bot, starts_at - timedelta(minutes=50))
        [reminder] = await texts_arrive(api, ALSVIKI[0], "A reminder")
        assert "Video link: https://meet.jit.si/padome-" in reminder
        await bot.settle()
        assert not any("A reminder" in text for text in texts_to(api, ALSVIKI[1]))

        # Cancelled in chat by its organiser, after a confirmation.
        [ask] = await bot.press(MEMBERS[0], MeetingCancel(meeting_id).pack())
        assert "Everyone invited will be told." in ask["text"]
        [done] = await bot.press(MEMBERS[0], MeetingCancel(meeting_id, sure=True).pack())
        assert "4 invited people are told" in done["text"]
        await texts_arrive(api, ALSVIKI[1], "has been cancelled")


# --------------------------------------------------------------------------- reminders


async def test_reminders_at_their_time_once_across_a_restart(database_url: str) -> None:
    start = utcnow() + timedelta(days=5)
    async with fake_telegram_api() as api:
        async with running(database_url, api) as bot:
            await council(bot)
            meeting_id = await make_meeting(bot, starts_at=start)
            await invitation(api, MEMBERS[0], meeting_id)
            await invitation(api, MEMBERS[2], meeting_id)
            await bot.press(MEMBERS[2], MeetingReply(meeting_id, Choice.NO).pack())
            # A day and a half before: nothing yet.
            await run_job(bot, start - timedelta(hours=36))
            await bot.settle()
            assert not any("A reminder" in text for text in texts_to(api, MEMBERS[0]))
        # The bot stops between the invitation and the reminder, and starts again.
        async with running(database_url, api) as bot:
            await run_job(bot, start - timedelta(hours=23))
            [first] = await texts_arrive(api, MEMBERS[0], "A reminder")
            assert f"begins on {riga(start)}" in first
            await run_job(bot, start - timedelta(hours=22))
            await run_job(bot, start - timedelta(minutes=59))
            await api.wait_for(
                chat_id=MEMBERS[0],
                predicate=lambda ms: sum("A reminder" in (m.get("text") or "") for m in ms) == 2,
                timeout=20,
            )
            await run_job(bot, start - timedelta(minutes=30))
            await bot.settle()
            reminders = [t for t in texts_to(api, MEMBERS[0]) if "A reminder" in t]
            assert len(reminders) == 2
            # Not to the one who cannot come; invitations not sent again.
            assert not any("A reminder" in t for t in texts_to(api, MEMBERS[2]))
            invitations = [m for m in api.messages_to(MEMBERS[0])
                           if MeetingReply(meeting_id, Choice.YES).pack() in payloads(m)
                           and "Will you come?" in (m.get("text") or "")]  # fmt: skip
            assert len(invitations) == 1


# --------------------------------------------------------------------------- calendar


def test_calendar_file_keeps_riga_time_across_the_clock_change() -> None:
    # The clocks go forward on 28.03.2027: 10:00 is 08:00 UTC the day before, 07:00 after.
    for day, hour_utc in ((27, 8), (28, 7)):
        meeting = Meeting(
            id=4,
            kind="session",
            title="Sēde",
            starts_at=datetime(2027, 3, day, hour_utc, 0, tzinfo=UTC),
            duration_minutes=90,
            place="Pils iela 1",
            online=False,
            agenda=["Budžets"],
            status="planned",
        )
        content = meeting_ics(
            meeting,
            timezone=RIGA,
            description="Budžets",
            location="Pils iela 1",
            now=datetime(2026, 12, 3, tzinfo=UTC),
            with_link=False,
        )
        assert b"TZID=Europe/Riga" in content and b"BEGIN:VTIMEZONE" in content
        [event] = Calendar.from_ical(content).walk("VEVENT")
        start = event.decoded("dtstart")
        assert (start.hour, start.minute) == (10, 0)
        assert start.astimezone(UTC) == datetime(2027, 3, day, hour_utc, 0, tzinfo=UTC)
        assert event.decoded("dtend") - start == timedelta(minutes=90)
        assert str(event["summary"]) == "Sēde" and str(event["location"]) == "Pils iela 1"


async def test_add_to_my_calendar_sends_the_file(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await council(bot)
        meeting_id = await make_meeting(bot)
        await invitation(api, MEMBERS[0], meeting_id)
        replies = await bot.press(MEMBERS[0], MeetingCalendar(meeting_id).pack(), replies=2)
        document = next(m["document"] for m in replies if m.get("document"))
        assert document["filename"] == f"meeting-{meeting_id}.ics"
        [event] = Calendar.from_ical(document["content"]).walk("VEVENT")
        assert str(event["summary"]) == "Budžets"


# --------------------------------------------------------------------------- privacy


async def test_forget_removes_the_name_and_keeps_the_count(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await council(bot)
        meeting_id = await make_meeting(bot)
        await invitation(api, MEMBERS[1], meeting_id)
        await bot.press(MEMBERS[1], MeetingReply(meeting_id, Choice.YES).pack())
        shown = await bot.send(MEMBERS[1], "/mydata", replies=2)
        text = "\n".join(m.get("text") or "" for m in shown)
        assert "Your answers to meeting invitations:" in text
        assert '"Budžets": I will come' in text
        member = await resident_of(bot, MEMBERS[1])
        async with bot.app.sessionmaker() as session, session.begin():
            from models.personal_data import forget, personal_data

            resident = await session.get(Resident, member.id)
            assert resident is not None
            data = await personal_data(session, resident)
            assert data["meetings"]["answers"][0]["answer"] == "yes"
            await forget(session, resident)
        async with bot.app.sessionmaker() as session:
            [answer] = list(await session.scalars(select(MeetingAnswer)))
        assert answer.resident_id is None and answer.answer == "yes"


# --------------------------------------------------------------------------- in chat


def button(message: dict[str, Any], label: str) -> str:
    for row in message["buttons"]:
        for item in row:
            if item["text"] == label:
                return item["callback_data"]
    raise AssertionError(f"no button {label!r} in {message['buttons']}")


async def test_representative_calls_a_community_meeting_in_chat_and_closes_it(
    database_url: str,
) -> None:
    start = utcnow() + timedelta(days=2)
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await council(bot)
        representative = MEMBERS[0]
        [kinds] = await bot.send(representative, "/meeting")
        assert "Which meeting do you want to call?" in kinds["text"]
        assert [b["text"] for row in kinds["buttons"] for b in row] == [
            "Community meeting",
            "Working group meeting",
            "Cancel",
        ]
        # Another parish's audience, crafted: refused.
        async with bot.app.sessionmaker() as session:
            annas = await unit_by_slug(session, "annas")
            assert annas is not None
        [title] = await bot.press(representative, button(kinds, "Community meeting"))
        assert "Write a short title." in title["text"]  # one parish: no audience to choose
        [refused] = await bot.press(representative, NewAudience(annas.id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."

        [kinds] = await bot.send(representative, "/meeting")
        await bot.press(representative, button(kinds, "Community meeting"))
        [when] = await bot.send(representative, "Ceļu remonts")
        assert "When does it begin?" in when["text"]
        # Back keeps the way: the title is asked again.
        [again] = await bot.press(representative, button(when, "Back"))
        assert "Write a short title." in again["text"]
        [when] = await bot.send(representative, "Ceļu remonts")
        [long] = await bot.send(representative, riga(start))
        assert "How long will it last?" in long["text"]
        assert [b["text"] for row in long["buttons"] for b in row][:3] == [
            "60 minutes",
            "90 minutes",
            "120 minutes",
        ]
        [again] = await bot.send(representative, "1000")
        assert "Please write the minutes as a number from 15 to 480" in again["text"]
        [where] = await bot.send(representative, "45")
        assert "Where will it be held?" in where["text"]
        [online] = await bot.send(representative, "Tautas nams")
        await bot.press(representative, button(online, "No, in person only"))
        [preview] = await bot.send(representative, "Bedres\nApgaismojums")
        assert 'Community meeting: "Ceļu remonts" (Alsviķi parish)' in preview["text"]
        assert "Where: Tautas nams" in preview["text"]
        assert "1. Bedres\n2. Apgaismojums" in preview["text"]
        assert "(45 minutes)" in preview["text"] and "Video link" not in preview["text"]
        assert "The invitation goes to 4 people." in preview["text"]
        [called] = await bot.press(representative, button(preview, "Call the meeting"))
        assert 'The meeting "Ceļu remonts" is called.' in called["text"]
        async with bot.app.sessionmaker() as session:
            meeting_id = await session.scalar(select(Meeting.id))
        assert meeting_id is not None
        message = await invitation(api, ALSVIKI[0], meeting_id)
        assert "I will join online" not in [b["text"] for row in message["buttons"] for b in row]

        # A resident proposes a question: stored as their idea, linked to the meeting, and it
        # reaches the organiser like an idea, without the name the author chose not to show.
        [view] = await bot.press(ALSVIKI[0], MeetingView(meeting_id).pack())
        await bot.press(ALSVIKI[0], button(view, "Propose a question for the meeting"))
        [who] = await bot.send(ALSVIKI[0], "Kad salabos tiltu?")
        assert "May the one who called the meeting see who wrote it?" in who["text"]
        [thanks] = await bot.press(ALSVIKI[0], button(who, "No, do not show my name"))
        assert "Your question is sent to the one who called the meeting as No." in thanks["text"]
        async with bot.app.sessionmaker() as session:
            question = (await session.scalars(select(Idea))).one()
            meeting = await session.get(Meeting, meeting_id)
            assert meeting is not None
        assert question.text == "Kad salabos tiltu?" and not question.show_author
        assert question.author_id == (await resident_of(bot, ALSVIKI[0])).id
        assert meeting.agenda_idea_ids == [question.id]
        [proposed] = await texts_arrive(api, representative, "proposes a question")
        assert (
            f'A resident proposes a question for "Ceļu remonts" (#{question.id}): '
            "Kad salabos tiltu?"
        ) in proposed
        [mine] = await bot.send(ALSVIKI[0], "/myideas")
        assert f"No. {question.id}" in mine["text"] and "Kad salabos tiltu?" in mine["text"]
        # The organiser sees it as proposed, in the inbox with the usual buttons.
        [view] = await bot.press(representative, MeetingView(meeting_id).pack())
        assert (
            f"Questions proposed by residents:\n#{question.id} Kad salabos tiltu?" in (view["text"])
        )
        [item] = await bot.press(representative, OpenIdea(question.id).pack(), replies=1)
        labels = [b["text"] for row in item["buttons"] for b in row]
        assert "Answer the resident" in labels and "Put on a meeting's agenda" in labels
        # Another parish's resident, and a forged name choice, are refused.
        await bot.send(ANNAS[0], "/menu")
        [refused] = await bot.press(ANNAS[0], ProposeQuestion(meeting_id).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        [refused] = await bot.press(ANNAS[0], QuestionName(meeting_id, True).pack())
        assert refused["text"] == "Sorry, you are not allowed to do that."
        async with bot.app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Idea)) == 1

        # A resident's idea goes on the agenda from the inbox; its author is told.
        idea_id = await store_idea(bot, ALSVIKI[1], "Tilts pie skolas ir bojāts.")
        [item] = await bot.press(representative, OpenIdea(idea_id).pack(), replies=1)
        [which] = await bot.press(representative, button(item, "Put on a meeting's agenda"))
        assert "On the agenda of which meeting?" in which["text"]
        [put] = await bot.press(representative, IdeaToAgenda(idea_id, meeting_id).pack())
        assert f'#{idea_id} is on the agenda of "Ceļu remonts".' in put["text"]
        await texts_arrive(api, ALSVIKI[1], "is on the agenda of the meeting")
        [view] = await bot.press(ALSVIKI[0], MeetingView(meeting_id).pack())
        assert f"3. #{idea_id} Tilts pie skolas ir bojāts." in view["text"]

        # After the meeting: a head count and the summary, to the invited and under News.
        async with bot.app.sessionmaker() as session, session.begin():
            meeting = await session.get(Meeting, meeting_id)
            assert meeting is not None
            meeting.starts_at = utcnow() - timedelta(hours=1)
        [view] = await bot.press(representative, MeetingView(meeting_id).pack())
        [count] = await bot.press(representative, button(view, "Record attendance and the summary"))
        assert "How many people came?" in count["text"]
        await bot.send(representative, "14")
        [done] = await bot.send(representative, "Bedres salabos maijā.")
        assert "sent to the invited and shown under News" in done["text"]
        [told] = await texts_arrive(api, ALSVIKI[1], "What the meeting")
        assert 'What the meeting "Ceļu remonts" on' in told and "14 people took part." in told
        news = await bot.send(ALSVIKI[1], "/news", replies=2)
        assert any("Bedres salabos maijā." in (m.get("text") or "") for m in news)
        [listed] = await bot.send(ALSVIKI[1], "/meetings")
        assert "What was decided: Bedres salabos maijā." in listed["text"]
        # The idea on the agenda, and the proposed question, have the summary as their answer.
        [answered] = await texts_arrive(api, ALSVIKI[1], "discussed your idea")
        assert "What was decided: Bedres salabos maijā." in answered
        [answered] = await texts_arrive(api, ALSVIKI[0], "discussed your idea")
        assert f"#{question.id}" in answered
        [mine] = await bot.send(ALSVIKI[0], "/myideas")
        assert "Bedres salabos maijā." in mine["text"]


async def test_chair_calls_a_session_and_records_who_came(database_url: str) -> None:
    async with fake_telegram_api() as api, running(database_url, api) as bot:
        await council(bot)
        await seed(bot, [CHAIR], unit="alsviku", language="en")
        [kinds] = await bot.send(CHAIR, "/meeting")
        await bot.press(CHAIR, button(kinds, "Session of the residents' council"))
        await bot.send(CHAIR, "Budžets")
        start = utcnow() + timedelta(hours=5)
        [long] = await bot.send(CHAIR, riga(start))
        [where] = await bot.press(CHAIR, button(long, "120 minutes"))
        [video] = await bot.press(CHAIR, button(where, "Online only"))
        assert "The video link:" in video["text"]
        [coordinators] = await bot.press(CHAIR, button(video, "Make a video link"))
        assert "Invite the coordinators too?" in coordinators["text"]
        # Back to the link: this time one of the chair's own, pasted.
        [video] = await bot.press(CHAIR, button(coordinators, "Back"))
        [paste] = await bot.press(CHAIR, button(video, "Paste a link"))
        assert "Paste the video link" in paste["text"]
        [again] = await bot.send(CHAIR, "http://zoom.example.lv/j/1")
        assert "That is not a link that begins with https://." in again["text"]
        [coordinators] = await bot.send(CHAIR, "https://zoom.example.lv/j/123")
        [agenda] = await bot.press(CHAIR, button(coordinators, "Yes, invite the coordinators"))
        [preview] = await bot.press(CHAIR, button(agenda, "Without an agenda"))
        assert "(120 minutes)" in preview["text"]
        assert "Video link: https://zoom.example.lv/j/123" in preview["text"]
        assert "The coordinators are invited too." in preview["text"]
        assert "The invitation goes to 3 people." in preview["text"]
        await bot.press(CHAIR, button(preview, "Call it as an urgent session"))
        async with bot.app.sessionmaker() as session:
            meeting = (await session.scalars(select(Meeting))).one()
        assert meeting.urgent and meeting.online and meeting.place is None
        assert meeting.duration_minutes == 120 and meeting.with_coordinators
        assert meeting.video_url == "https://zoom.example.lv/j/123"
        await invitation(api, MEMBERS[2], meeting.id)
        await bot.press(MEMBERS[2], MeetingReply(meeting.id, Choice.ONLINE).pack())
        [view] = await bot.press(CHAIR, MeetingView(meeting.id).pack())
        assert "Quorum: not yet (1 of the 2 needed)." in view["text"]
        # The chair is told once, when the quorum is first reached, not of every answer.
        await bot.press(MEMBERS[0], MeetingReply(meeting.id, Choice.YES).pack())
        [reached] = await texts_arrive(api, CHAIR, "Quorum reached")
        assert f'Quorum reached for "Budžets" on {riga(start)}: 2 of 3 members will come.' in (
            reached
        )
        await bot.press(MEMBERS[1], MeetingReply(meeting.id, Choice.YES).pack())
        await bot.press(MEMBERS[1], MeetingReply(meeting.id, Choice.NO).pack())
        await bot.press(MEMBERS[1], MeetingReply(meeting.id, Choice.YES).pack())
        await bot.settle()
        assert len([text for text in texts_to(api, CHAIR) if "Quorum reached" in text]) == 1
        [view] = await bot.press(CHAIR, MeetingView(meeting.id).pack())
        # Moved in chat: the members hear the old and the new time.
        [ask] = await bot.press(CHAIR, button(view, "Move the meeting"))
        assert 'When does "Budžets" begin now?' in ask["text"]
        later = start + timedelta(hours=1)
        [moved] = await bot.send(CHAIR, riga(later))
        assert f"now begins on {riga(later)}; 3 invited people are told" in moved["text"]
        [notice] = await texts_arrive(api, MEMBERS[0], "has been moved")
        assert f"it was to begin on {riga(start)}, it now begins on {riga(later)}" in notice

        async with bot.app.sessionmaker() as session, session.begin():
            stored = await session.get(Meeting, meeting.id)
            assert stored is not None
            stored.starts_at = utcnow() - timedelta(minutes=5)
        [view] = await bot.press(CHAIR, MeetingView(meeting.id).pack())
        [names] = await bot.press(CHAIR, button(view, "Record attendance and the summary"))
        assert "Who came?" in names["text"]
        member = await resident_of(bot, MEMBERS[2])
        [ticked] = await bot.press(CHAIR, Present(meeting.id, member.id).pack())
        await bot.press(CHAIR, button(ticked, "Done"))
        await bot.send(CHAIR, "Budžetu apstiprina.")
        shown = await cli(database_url, Path("."), "meetings", "show", str(meeting.id))
        assert "attended: 1" in shown and "summary: Budžetu apstiprina." in shown


# --------------------------------------------------------------------------- WhatsApp, SMS


async def test_whatsapp_and_sms_residents_answer_by_number(database_url: str) -> None:
    async with twilio_running(database_url) as (fake, bot):
        await onboard(fake, bot, "whatsapp", ANNA)
        await onboard(fake, bot, "sms", ILZE)
        await make_meeting(
            bot,  # type: ignore[arg-type]
            kind=MeetingKind.COMMUNITY,
            title="Talka",
            unit_slug="alsviku",
            place="Skola",
        )
        async with broadcasting(bot):  # type: ignore[arg-type]
            for phone in (ANNA, ILZE):
                await fake.wait_until(
                    lambda phone=phone: (
                        any("Talka" in m.body for m in fake.messages_to(phone)) or None
                    )
                )
        [invitation] = [m for m in fake.messages_to(ANNA) if "Talka" in m.body]
        assert "Kopienas sanāksme: „Talka”" in invitation.body
        assert invitation.body.endswith(
            "1) Ieradīšos\n2) Varbūt\n3) Nevarēšu\n4) Pievienot manam kalendāram"
        )
        [thanks] = await say(fake, bot, "whatsapp", ANNA, "1")
        assert "Jūsu atbilde uz uzaicinājumu „Talka”: Ieradīšos." in thanks.body
        replies = await say(fake, bot, "sms", ILZE, "3")
        assert any("Nevarēšu" in m.body for m in replies)
        async with bot.app.sessionmaker() as session:
            answers = sorted(a.answer for a in await session.scalars(select(MeetingAnswer)))
        assert answers == ["no", "yes"]


async def test_the_right_to_call_is_checked_again_when_the_invitations_go(
    app: App, settings: Settings
) -> None:
    now = utcnow()
    async with app.sessionmaker() as session, session.begin():
        alsviku = await unit_by_slug(session, "alsviku")
        organiser = await register_resident(
            session, channel="console", external_id="rep", language="lv", display_name="Rep"
        )
        organiser.unit_id = alsviku.id if alsviku else None
        await grant_role(session, resident=organiser, role=Role.REPRESENTATIVE, unit=alsviku)
        meeting = await create_meeting(
            session,
            plan=MeetingPlan(
                kind=MeetingKind.COMMUNITY,
                title="Sapulce",
                unit=alsviku,
                locality=None,
                starts_at=now + timedelta(days=2),
                place="Skola",
            ),
            organiser=organiser,
            video_base_url=settings.meeting_video_base_url,
            now=now,
        )
        # The role is taken away before the scheduler sends the invitations.
        await revoke_role(session, resident=organiser, role=Role.REPRESENTATIVE)
        meeting_id = meeting.id
    await run_meeting_schedule(JobContext(app.sessionmaker, settings, now))
    await run_meeting_schedule(JobContext(app.sessionmaker, settings, now))
    async with app.sessionmaker() as session:
        stored = await session.get(Meeting, meeting_id)
        assert stored is not None and stored.status == "cancelled"
        [refused] = await audit_entries(session, action="refused")
        notices = list(await session.scalars(select(Broadcast)))
    assert refused.details == {"attempted": "meeting_invitations", "meeting": meeting_id}
    # Only the organiser hears why; nobody is invited.
    assert [notice.resident_ids for notice in notices] == [[organiser.id]]
    assert "may no longer call" in notices[0].texts["en"]


async def test_a_typed_length_is_minutes_and_never_cancels(chat: Chat) -> None:
    """On WhatsApp, SMS and the console a number typed for the length is the minutes: the
    lengths offered, Back and Cancel are listed unnumbered and chosen by their words, so "5"
    is refused naming the range rather than taken for Cancel."""
    await chat.onboard("rep")
    async with chat.app.sessionmaker() as session, session.begin():
        rep = await find_identity(session, "console", "rep")
        unit = await unit_by_slug(session, "alsviku")
        assert rep is not None and unit is not None
        await grant_role(session, resident=rep.resident, role=Role.REPRESENTATIVE, unit=unit)
    kinds = await chat.say("rep", "/meeting")
    await chat.say("rep", str(labels_of(kinds).index("Community meeting") + 1))
    await chat.say("rep", "Talka")
    length = await chat.say("rep", riga(utcnow() + timedelta(days=2)))
    assert length.text.startswith("How long will it last?") and not length.numbered
    assert labels_of(length) == ["60 minutes", "90 minutes", "120 minutes", "Back", "Cancel"]
    for typed in ("5", "2", "600"):
        again = await chat.say("rep", typed)
        assert again.text.startswith(
            "Please write the minutes as a number from 15 to 480, like 45.\n\n"
            "How long will it last?"
        ), again.text
        assert labels_of(again) == labels_of(length)
    where = await chat.say("rep", "90 minutes")
    assert where.text.startswith("Where will it be held?"), where.text
    online = await chat.say("rep", "Skola")
    await chat.say("rep", str(labels_of(online).index("No, in person only") + 1))
    preview = await chat.say("rep", "Bedres")
    assert "(90 minutes)" in preview.text, preview.text


def labels_of(reply: Any) -> list[str]:
    return [button.label for button in reply.options]
