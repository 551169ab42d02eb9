"""Residents' side of meetings: the "Meetings" list, one meeting's details, answering an
invitation and the calendar file; the organiser's view of the answers and cancelling."""

from __future__ import annotations

from datetime import timedelta

from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.router import Router
from bot.i18n import N_
from broadcasts.notices import send_notice
from handlers.ideas.common import short as short_text
from handlers.meetings import texts
from handlers.meetings.payloads import (
    After,
    Choice,
    MeetingCalendar,
    MeetingCancel,
    MeetingMove,
    MeetingReply,
    MeetingView,
    ProposeQuestion,
)
from handlers.meetings.schedule import announce_cancelled, answer_buttons
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from models.audit import audit_entries
from models.ideas import get_idea
from models.meeting_answers import (
    AnswerRefused,
    answer_counts,
    answer_names,
    answer_of,
    coming,
    erase_meeting_data,
    meeting_data_of,
    record_answer,
)
from models.meetings import (
    AnswerChoice,
    Meeting,
    MeetingKind,
    MeetingStatus,
    cancel_meeting,
    council_size,
    get_meeting,
    is_invited,
    meetings_for,
    organised_by,
    proposed_idea_ids,
    quorum_of,
)
from models.personal_data import add_section
from reports.calendar import ics_name, meeting_ics

router = Router()

# Past meetings stay in the list, with their summaries, for this long.
PAST_LISTED_FOR = timedelta(days=60)
BUTTON_TITLE_MAX = 40
PROPOSED_SHOWN = 200
# Written down when a session's organiser has been told the quorum is reached: told once.
QUORUM_TOLD = "meeting_quorum_told"

add_menu_entry(MenuEntry(N_("Meetings"), "meetings", order=25))
add_help("meetings", N_("meetings you are invited to, and what they decided"), everyone)
add_section("meetings", meeting_data_of, erase_meeting_data)


def short(text: str) -> str:
    return text if len(text) <= BUTTON_TITLE_MAX else text[: BUTTON_TITLE_MAX - 1] + "…"


def back_to_meetings(ctx: Context) -> Button:
    return Button(ctx.t._("Back to the meetings"), "meetings")


def main_menu(ctx: Context) -> Button:
    return Button(ctx.t._("Main menu"), "menu")


def is_organiser(ctx: Context, meeting: Meeting) -> bool:
    return ctx.resident is not None and meeting.organiser_id == ctx.resident.id


@router.command("meetings")
@router.payload("meetings")
async def meetings(ctx: Context) -> None:
    """List the meetings this person is invited to (and those they called)."""
    assert ctx.resident is not None
    t = ctx.t
    since = ctx.now - PAST_LISTED_FOR
    mine = await meetings_for(ctx.session, ctx.resident, since=since)
    upcoming = [m for m in mine if m.ends_at > ctx.now and m.status != MeetingStatus.CLOSED.value]
    past = [m for m in mine if m not in upcoming and m.status != MeetingStatus.CANCELLED.value]
    lines: list[str] = []
    buttons: list[Button] = []
    if upcoming:
        lines.append(t._("Upcoming meetings:"))
        for meeting in upcoming:
            lines.append(await _line(ctx, meeting))
            buttons.append(Button(short(meeting.title), MeetingView(meeting.id)))
    if past:
        if lines:
            lines.append("")
        lines.append(t._("Past meetings:"))
        for meeting in reversed(past):
            lines.append(f"• {t.datetime(meeting.starts_at)} {meeting.title}")
            if meeting.summary:
                lines.append(t._("What was decided: {summary}", summary=meeting.summary))
    called = [m for m in await organised_by(ctx.session, ctx.resident.id) if m not in mine]
    if called:
        if lines:
            lines.append("")
        lines.append(t._("Meetings you called:"))
        for meeting in called:
            lines.append(f"• {t.datetime(meeting.starts_at)} {meeting.title}")
            buttons.append(Button(short(meeting.title), MeetingView(meeting.id)))
    if not lines:
        show_menu(ctx, t._("There are no meetings for you right now."))
        return
    buttons.append(main_menu(ctx))
    ctx.clear_state()
    ctx.reply("\n".join(lines), buttons)


async def _line(ctx: Context, meeting: Meeting) -> str:
    t = ctx.t
    assert ctx.resident is not None
    line = f"• {t.datetime(meeting.starts_at)} {meeting.title}"
    if meeting.status == MeetingStatus.CANCELLED.value:
        return line + " — " + t._("cancelled")
    answer = await answer_of(ctx.session, meeting.id, ctx.resident.id)
    if answer is not None:
        line += " — " + t._("your answer: {answer}", answer=t._(texts.ANSWER_LABELS[answer]))
    return line


async def _meeting(ctx: Context, meeting_id: int, action: str) -> Meeting | None:
    """The meeting a button is about, if the person is invited to it or called it; a
    meeting of another parish is refused and written down."""
    assert ctx.resident is not None
    meeting = await get_meeting(ctx.session, meeting_id)
    if meeting is None:
        show_menu(ctx, ctx.t._("That meeting does not exist."))
        return None
    if is_organiser(ctx, meeting):
        return meeting
    if meeting.invited_at is None or not await is_invited(ctx.session, meeting, ctx.resident):
        await ctx.refuse(action, meeting=meeting.id)
        return None
    return meeting


@router.button(MeetingView)
async def view(ctx: Context, press: MeetingView) -> None:
    """One meeting: its details, one's answer, and for its organiser the answers."""
    meeting = await _meeting(ctx, press.meeting_id, "meeting_view")
    if meeting is None:
        return
    assert ctx.resident is not None
    t = ctx.t
    organiser = is_organiser(ctx, meeting)
    invited = meeting.invited_at is not None and await is_invited(
        ctx.session, meeting, ctx.resident
    )
    parts = [texts.details(meeting, t, with_link=organiser or texts.link_in_invitation(meeting))]
    buttons: list[Button] = []
    if meeting.status == MeetingStatus.CANCELLED.value:
        parts.append(t._("This meeting has been cancelled."))
    elif meeting.summary:
        parts.append(t._("What was decided: {summary}", summary=meeting.summary))
    if invited:
        answer = await answer_of(ctx.session, meeting.id, ctx.resident.id)
        if answer is not None:
            parts.append(t._("Your answer: {answer}", answer=t._(texts.ANSWER_LABELS[answer])))
        if meeting.planned and ctx.now < meeting.starts_at:
            buttons.extend(
                Button(t._(label), payload) for label, payload in answer_buttons(meeting)
            )
    if organiser:
        proposed = await _proposed(ctx, meeting)
        if proposed:
            parts.append(proposed)
    if organiser or (invited and meeting.names_visible_to_invited):
        parts.append(await _answers(ctx, meeting, names=True))
    if invited and meeting.kind == MeetingKind.COMMUNITY.value and meeting.planned:
        if ctx.now < meeting.starts_at:
            buttons.append(
                Button(t._("Propose a question for the meeting"), ProposeQuestion(meeting.id))
            )
    if organiser and meeting.planned:
        if ctx.now < meeting.starts_at:
            buttons.append(Button(t._("Move the meeting"), MeetingMove(meeting.id)))
            buttons.append(Button(t._("Cancel the meeting"), MeetingCancel(meeting.id)))
        else:
            buttons.append(Button(t._("Record attendance and the summary"), After(meeting.id)))
    buttons.extend([back_to_meetings(ctx), main_menu(ctx)])
    ctx.clear_state()
    ctx.reply("\n\n".join(parts), buttons)


async def _proposed(ctx: Context, meeting: Meeting) -> str:
    """Questions residents proposed, for the organiser: each is an item of the inbox, and
    goes on the agenda from there."""
    lines = []
    for idea_id in proposed_idea_ids(meeting):
        idea = await get_idea(ctx.session, idea_id)
        if idea is not None and idea.text:
            lines.append(f"#{idea.id} {short_text(idea.text, PROPOSED_SHOWN)}")
    if not lines:
        return ""
    return "\n".join([ctx.t._("Questions proposed by residents:"), *lines])


async def _answers(ctx: Context, meeting: Meeting, *, names: bool) -> str:
    t = ctx.t
    counts = await answer_counts(ctx.session, meeting.id)
    lines = [t._("Answers so far:"), texts.answer_line(t, counts)]
    if meeting.kind == MeetingKind.SESSION.value:
        needed = quorum_of(await council_size(ctx.session), ctx.settings.meeting_quorum)
        lines.append(texts.quorum_line(t, coming=coming(counts), needed=needed))
    if names:
        names = await answer_names(ctx.session, meeting.id, through=texts.through_helper(t))
        for answer, people in names.items():
            if people:
                lines.append(f"{t._(texts.ANSWER_LABELS[answer])}: {', '.join(people)}")
    return "\n".join(lines)


@router.button(MeetingReply)
async def reply(ctx: Context, press: MeetingReply) -> None:
    """Store one's answer to an invitation (changeable until the start)."""
    assert ctx.resident is not None
    meeting = await get_meeting(ctx.session, press.meeting_id)
    if meeting is None:
        show_menu(ctx, ctx.t._("That meeting does not exist."))
        return
    if meeting.invited_at is None or not await is_invited(ctx.session, meeting, ctx.resident):
        await ctx.refuse("meeting_answer", meeting=meeting.id)
        return
    t = ctx.t
    choice: AnswerChoice = press.choice.answer
    try:
        await record_answer(
            ctx.session, meeting=meeting, resident=ctx.resident, answer=choice, now=ctx.now
        )
    except AnswerRefused:
        if meeting.status == MeetingStatus.CANCELLED.value:
            text = t._("This meeting has been cancelled.")
        elif choice is AnswerChoice.ONLINE:
            text = t._("This meeting is not held online.")
        else:
            text = t._("This meeting has already begun; answers are no longer taken.")
        show_menu(ctx, text)
        return
    await _tell_quorum(ctx, meeting)
    label = t._(texts.ANSWER_LABELS[choice.value])
    text = t._(
        'Thank you. Your answer to "{title}": {answer}. You can change it until the start.',
        title=meeting.title,
        answer=label,
    )
    others = [
        Button(t._(label), payload)
        for label, payload in answer_buttons(meeting)
        if payload != MeetingReply(meeting.id, Choice.of(choice)).pack()
    ]
    ctx.clear_state()
    ctx.reply(text, [*others, back_to_meetings(ctx), main_menu(ctx)])


async def _tell_quorum(ctx: Context, meeting: Meeting) -> None:
    """Tell a session's organiser once, when the quorum is first reached; the answers
    themselves are only counted on the meeting's screen."""
    if meeting.kind != MeetingKind.SESSION.value or meeting.organiser_id is None:
        return
    counts = await answer_counts(ctx.session, meeting.id)
    members = await council_size(ctx.session)
    will_come = coming(counts)
    if will_come < quorum_of(members, ctx.settings.meeting_quorum):
        return
    told = await audit_entries(ctx.session, action=QUORUM_TOLD)
    if any(entry.details.get("meeting") == meeting.id for entry in told):
        return
    await ctx.audit(QUORUM_TOLD, meeting=meeting.id)
    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=[meeting.organiser_id],
        write=lambda tr: tr.ngettext(
            'Quorum reached for "{title}" on {time}: {coming} of {n} member will come.',
            'Quorum reached for "{title}" on {time}: {coming} of {n} members will come.',
            members,
            title=meeting.title,
            time=tr.datetime(meeting.starts_at),
            coming=will_come,
        ),
        now=ctx.now,
        buttons=[(texts.SEE_MEETING_LABEL, MeetingView(meeting.id).pack())],
        personal=False,
    )


@router.button(MeetingCalendar)
async def calendar(ctx: Context, press: MeetingCalendar) -> None:
    """Send the meeting as a calendar file, on Riga's clock."""
    meeting = await _meeting(ctx, press.meeting_id, "meeting_calendar")
    if meeting is None:
        return
    t = ctx.t
    with_link = is_organiser(ctx, meeting) or texts.link_in_invitation(meeting)
    location = meeting.place or ""
    if meeting.online and not location:
        location = meeting.video_url if with_link and meeting.video_url else t._("online")
    content = meeting_ics(
        meeting,
        timezone=ctx.settings.tz,
        description=texts.agenda(meeting, t),
        location=location,
        now=ctx.now,
        with_link=with_link,
    )
    ctx.reply(
        t._("Open the file to add the meeting to your calendar."),
        [back_to_meetings(ctx), main_menu(ctx)],
        attachment=Attachment(ics_name(meeting), content, mime_type="text/calendar"),
    )


@router.button(MeetingCancel)
async def cancel(ctx: Context, press: MeetingCancel) -> None:
    """Cancel a meeting one called, after a confirmation; the invited are told."""
    meeting = await get_meeting(ctx.session, press.meeting_id)
    if meeting is None:
        show_menu(ctx, ctx.t._("That meeting does not exist."))
        return
    if not is_organiser(ctx, meeting):
        await ctx.refuse("meeting_cancel", meeting=meeting.id)
        return
    t = ctx.t
    if not meeting.planned:
        show_menu(ctx, t._("This meeting has been cancelled."))
        return
    if not press.sure:
        ctx.reply(
            t._(
                'Cancel "{title}" on {time}? Everyone invited will be told.',
                title=meeting.title,
                time=t.datetime(meeting.starts_at),
            ),
            [
                Button(t._("Yes, cancel it"), MeetingCancel(meeting.id, sure=True)),
                Button(t._("No, keep it"), MeetingView(meeting.id)),
            ],
        )
        return
    cancel_meeting(meeting, now=ctx.now)
    told = await announce_cancelled(ctx.session, meeting, settings=ctx.settings, now=ctx.now)
    await ctx.audit("meeting_cancelled", meeting=meeting.id)
    show_menu(
        ctx,
        t.ngettext(
            "The meeting is cancelled; {n} invited person is told.",
            "The meeting is cancelled; {n} invited people are told.",
            told,
        ),
    )
