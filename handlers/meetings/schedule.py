"""Invitations, reminders and the announcements of a change, through the broadcast outbox.

The scheduler job reads from the database what is due and sets the meeting's marker
(`invited_at`, `reminded_day_at`, `reminded_hour_at`) in the transaction that stores the
messages, with a conditional UPDATE: a restart between the invitation and a reminder
neither repeats nor skips either. The organiser's right is checked again when the
invitations go out. Quiet hours hold invitations and reminders, except for an urgent
session, which goes at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.settings import Settings
from broadcasts.notices import send_notice
from broadcasts.service import Job, JobContext
from handlers.meetings import texts
from handlers.meetings.payloads import Choice, MeetingCalendar, MeetingReply, MeetingView
from models.audit import audit
from models.meeting_answers import (
    to_remind,
)
from models.meetings import (
    AnswerChoice,
    Meeting,
    MeetingKind,
    MeetingStatus,
    claim,
    due_for_invitation,
    due_for_reminder,
    invited_ids,
    may_call,
)
from models.residents import Resident
from models.roles import load_roles

logger = logging.getLogger(__name__)

# A change this close to the start goes at once, also during quiet hours: waiting for the
# morning would tell people after the meeting.
SOON = timedelta(hours=12)
ANSWERS_LABEL = N_("See the answers")


def answer_buttons(meeting: Meeting) -> list[tuple[str, str]]:
    """The buttons under an invitation: (label message id, payload)."""
    choices = [AnswerChoice.YES, AnswerChoice.MAYBE, AnswerChoice.NO]
    if meeting.offers_online:
        choices.insert(1, AnswerChoice.ONLINE)
    buttons = [
        (texts.ANSWER_LABELS[choice.value], MeetingReply(meeting.id, Choice.of(choice)).pack())
        for choice in choices
    ]
    buttons.append((texts.CALENDAR_LABEL, MeetingCalendar(meeting.id).pack()))
    return buttons


def _goes_at_once(meeting: Meeting, now: datetime, *, change: bool) -> bool:
    """Invitations and reminders wait for the end of the quiet hours unless the session is
    urgent; a move or a cancellation shortly before the start goes at once."""
    return meeting.urgent or (change and meeting.starts_at - now <= SOON)


async def _tell(
    session: AsyncSession,
    meeting: Meeting,
    *,
    settings: Settings,
    resident_ids: list[int],
    write: Callable[[Translator], str],
    now: datetime,
    buttons: bool = True,
    change: bool = False,
) -> int:
    await send_notice(
        session,
        settings=settings,
        resident_ids=resident_ids,
        write=write,
        now=now,
        buttons=answer_buttons(meeting) if buttons else (),
        personal=_goes_at_once(meeting, now, change=change),
    )
    return len(resident_ids)


async def organiser_may_still(session: AsyncSession, meeting: Meeting, settings: Settings) -> bool:
    """The organiser's right, checked again when the invitations go out; a meeting called
    from the command line has no organiser and was the operator's."""
    if meeting.organiser_id is None:
        return True
    organiser = await session.get(Resident, meeting.organiser_id)
    if organiser is None or organiser.erased_at is not None:
        return False
    roles = await load_roles(session, organiser, admins=settings.admins)
    return may_call(
        roles,
        kind=MeetingKind(meeting.kind),
        unit_id=meeting.unit_id,
        locality=meeting.locality,
    )


async def invite(
    session: AsyncSession, meeting: Meeting, *, settings: Settings, now: datetime
) -> bool:
    """Send the invitations of a planned meeting, once; False if they were already sent."""
    if not await claim(session, meeting, marker="invited_at", now=now):
        return False
    if not await organiser_may_still(session, meeting, settings):
        meeting.status = MeetingStatus.CANCELLED.value
        meeting.cancelled_at = now
        await audit(
            session,
            action="refused",
            actor_id=meeting.organiser_id,
            attempted="meeting_invitations",
            meeting=meeting.id,
        )
        await send_notice(
            session,
            settings=settings,
            resident_ids=[meeting.organiser_id],
            write=lambda t: t._(
                'The invitations to "{title}" were not sent: you may no longer call this meeting.',
                title=meeting.title,
            ),
            now=now,
        )
        logger.info("meeting %s: the organiser may no longer call it", meeting.id)
        return True
    if meeting.starts_at <= now:
        # It was due while the bot was down and has begun: nobody is invited to the past.
        logger.info("meeting %s began before its invitations could go", meeting.id)
        return True
    invited = await invited_ids(session, meeting)
    await _tell(
        session,
        meeting,
        settings=settings,
        resident_ids=invited,
        write=lambda t: texts.invitation(meeting, t),
        now=now,
    )
    if meeting.organiser_id is not None:
        await send_notice(
            session,
            settings=settings,
            resident_ids=[meeting.organiser_id],
            write=lambda t: t.ngettext(
                'The invitations to "{title}" are going out to {n} person. You see the '
                "answers as they come.",
                'The invitations to "{title}" are going out to {n} people. You see the '
                "answers as they come.",
                len(invited),
                title=meeting.title,
            ),
            now=now,
            buttons=[(ANSWERS_LABEL, MeetingView(meeting.id).pack())],
        )
    logger.info("meeting %s: invited %d", meeting.id, len(invited))
    return True


async def remind(
    session: AsyncSession,
    meeting: Meeting,
    *,
    settings: Settings,
    now: datetime,
    marker: str,
    last: bool,
) -> bool:
    """Remind the invited who did not say "I cannot", once per marker."""
    if not await claim(session, meeting, marker=marker, now=now):
        return False
    people = await to_remind(session, meeting)
    await _tell(
        session,
        meeting,
        settings=settings,
        resident_ids=people,
        write=lambda t: texts.reminder(meeting, t, last=last),
        now=now,
    )
    logger.info("meeting %s: reminded %d (%s)", meeting.id, len(people), marker)
    return True


async def announce_moved(
    session: AsyncSession,
    meeting: Meeting,
    *,
    old_start: datetime,
    settings: Settings,
    now: datetime,
) -> int:
    """Tell everyone invited the new time (nobody, while the invitations have not gone)."""
    if meeting.invited_at is None:
        return 0
    invited = await invited_ids(session, meeting)
    return await _tell(
        session,
        meeting,
        settings=settings,
        resident_ids=invited,
        write=lambda t: texts.moved(meeting, t, old_start_text=t.datetime(old_start)),
        now=now,
        change=True,
    )


async def announce_cancelled(
    session: AsyncSession, meeting: Meeting, *, settings: Settings, now: datetime
) -> int:
    """Tell everyone invited that the meeting will not take place."""
    if meeting.invited_at is None:
        return 0
    invited = await invited_ids(session, meeting)
    return await _tell(
        session,
        meeting,
        settings=settings,
        resident_ids=invited,
        write=lambda t: texts.cancelled(meeting, t),
        now=now,
        buttons=False,
        change=True,
    )


async def run_meeting_schedule(context: JobContext) -> None:
    """Invite and remind what is due, each meeting in its own transaction."""
    now = context.now
    settings = context.settings
    first = timedelta(hours=settings.meeting_first_reminder_hours)
    second = timedelta(hours=settings.meeting_second_reminder_hours)
    async with context.sessionmaker() as session, session.begin():
        inviting = await due_for_invitation(session)
    for meeting_id in inviting:
        async with context.sessionmaker() as session, session.begin():
            meeting = await session.get(Meeting, meeting_id)
            if meeting is not None and meeting.planned:
                await invite(session, meeting, settings=settings, now=now)
    for marker, before, last in (
        ("reminded_day_at", first, False),
        ("reminded_hour_at", second, True),
    ):
        async with context.sessionmaker() as session, session.begin():
            due = await due_for_reminder(session, now=now, marker=marker, before=before)
        for meeting_id in due:
            async with context.sessionmaker() as session, session.begin():
                meeting = await session.get(Meeting, meeting_id)
                if meeting is None or not meeting.planned:
                    continue
                if _needless(meeting, now=now, before=before, second=second, last=last):
                    await claim(session, meeting, marker=marker, now=now)
                    continue
                await remind(session, meeting, settings=settings, now=now, marker=marker, last=last)


def _needless(
    meeting: Meeting, *, now: datetime, before: timedelta, second: timedelta, last: bool
) -> bool:
    """Whether a due reminder would only repeat what was just said: the first one when the
    last is due too (one reminder, not two in a row), or when the invitation itself went
    within its window; the last one when the invitation went within its window and already
    held the video link."""
    invited_at = meeting.invited_at
    assert invited_at is not None
    if not last and meeting.starts_at - now <= second:
        return True
    if invited_at >= meeting.starts_at - before:
        return not last or texts.link_in_invitation(meeting)
    return False


MEETING_JOB = Job("meetings", run_meeting_schedule)
