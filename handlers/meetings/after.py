"""After a meeting: its organiser records who came (names for sessions and working groups, a
head count for community meetings) and a short summary, which goes to the invited and under
News for that territory. Before it: residents propose a question for a community meeting,
which reaches the organiser."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import select

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from broadcasts.compose import Audience, create_broadcast, in_every_language
from broadcasts.notices import send_notice
from handlers.meetings import texts
from handlers.meetings.ideas import answer_agenda_ideas
from handlers.meetings.payloads import After, MeetingView, Present, PresentDone, ProposeQuestion
from handlers.menu import choose_one, show_menu
from models.broadcasts import Status
from models.meeting_answers import (
    close_meeting,
)
from models.meetings import (
    SUMMARY_MAX,
    Meeting,
    MeetingKind,
    MeetingStatus,
    get_meeting,
    invited_ids,
    is_invited,
)
from models.residents import Resident

router = Router()

QUESTION_MAX = 500
# Sessions and working groups are small: everyone invited is listed to tick.
PRESENT_LISTED_MAX = 40


class State(enum.StrEnum):
    PRESENT = "meetings.present"  # ticking who came
    COUNT = "meetings.count"
    SUMMARY = "meetings.summary"
    QUESTION = "meetings.question"


def _back_to(ctx: Context, meeting_id: int) -> Button:
    return Button(ctx.t._("Back"), MeetingView(meeting_id))


async def _organised(ctx: Context, meeting_id: int, action: str) -> Meeting | None:
    """The meeting, if this person called it and it has begun; otherwise refused or told."""
    meeting = await get_meeting(ctx.session, meeting_id)
    if meeting is None:
        show_menu(ctx, ctx.t._("That meeting does not exist."))
        return None
    if ctx.resident is None or meeting.organiser_id != ctx.resident.id:
        await ctx.refuse(action, meeting=meeting_id)
        return None
    if meeting.status == MeetingStatus.CANCELLED.value:
        show_menu(ctx, ctx.t._("This meeting has been cancelled."))
        return None
    if ctx.now < meeting.starts_at:
        show_menu(ctx, ctx.t._("The summary can be written once the meeting has begun."))
        return None
    return meeting


@router.button(After)
async def after(ctx: Context, press: After) -> None:
    """Begin recording attendance: names to tick, or a head count to type."""
    meeting = await _organised(ctx, press.meeting_id, "meeting_after")
    if meeting is None:
        return
    if meeting.kind == MeetingKind.COMMUNITY.value:
        ctx.ask(
            State.COUNT,
            ctx.t._("How many people came? Write the number."),
            buttons=[_back_to(ctx, meeting.id)],
            meeting_id=meeting.id,
        )
        return
    await _ask_present(ctx, meeting, present=[])


async def _ask_present(ctx: Context, meeting: Meeting, *, present: list[int]) -> None:
    t = ctx.t
    ids = (await invited_ids(ctx.session, meeting))[:PRESENT_LISTED_MAX]
    people = await ctx.session.scalars(select(Resident).where(Resident.id.in_(ids)))
    buttons = [
        Button(
            ("✓ " if person.id in present else "") + (person.display_name or f"#{person.id}"),
            Present(meeting.id, person.id),
        )
        for person in sorted(people, key=lambda p: (p.display_name or "", p.id))
    ]
    buttons.append(Button(t._("Done"), PresentDone(meeting.id)))
    ctx.ask(
        State.PRESENT,
        t._("Who came? Tick everyone present, then choose Done."),
        buttons=[*buttons, _back_to(ctx, meeting.id)],
        meeting_id=meeting.id,
        present=present,
    )


def _flow_for(ctx: Context, meeting_id: int) -> dict[str, Any] | None:
    flow = ctx.flow
    return flow if flow.get("meeting_id") == meeting_id else None


@router.button(Present)
async def tick(ctx: Context, press: Present) -> None:
    meeting = await _organised(ctx, press.meeting_id, "meeting_after")
    if meeting is None:
        return
    flow = _flow_for(ctx, meeting.id) or {"present": []}
    present = list(flow.get("present") or [])
    if press.resident_id in present:
        present.remove(press.resident_id)
    else:
        present.append(press.resident_id)
    await _ask_present(ctx, meeting, present=present)


@router.button(PresentDone)
async def present_done(ctx: Context, press: PresentDone) -> None:
    meeting = await _organised(ctx, press.meeting_id, "meeting_after")
    if meeting is None:
        return
    flow = _flow_for(ctx, meeting.id) or {}
    invited = set(await invited_ids(ctx.session, meeting))
    present = [person for person in flow.get("present") or [] if person in invited]
    _ask_summary(ctx, meeting, present=present, count=len(present))


async def typed_count(ctx: Context) -> None:
    flow = ctx.flow
    text = (ctx.incoming.text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        ctx.ask_again(ctx.t._("Please write the number of people, like 25."))
        return
    meeting = await get_meeting(ctx.session, int(flow.get("meeting_id") or 0))
    if meeting is None:
        show_menu(ctx)
        return
    _ask_summary(ctx, meeting, present=None, count=int(text))


def _ask_summary(ctx: Context, meeting: Meeting, *, present: list[int] | None, count: int) -> None:
    ctx.ask(
        State.SUMMARY,
        ctx.t._("Write a short summary: what was discussed and decided."),
        limit=SUMMARY_MAX,
        buttons=[_back_to(ctx, meeting.id)],
        meeting_id=meeting.id,
        present=present,
        count=count,
    )


async def typed_summary(ctx: Context) -> None:
    """Store attendance and the summary; tell the invited and put it under News."""
    flow = ctx.flow
    summary = (ctx.incoming.text or "").strip()
    if not summary:
        ctx.ask_again(ctx.t._("Please write a short summary."))
        return
    meeting = await _organised(ctx, int(flow.get("meeting_id") or 0), "meeting_after")
    if meeting is None:
        return
    present = flow.get("present")
    await close_meeting(
        ctx.session,
        meeting=meeting,
        summary=summary,
        attendance_count=None if present is not None else int(flow.get("count") or 0),
        attendee_ids=present,
        now=ctx.now,
    )
    await ctx.audit("meeting_closed", meeting=meeting.id)
    assert ctx.resident is not None
    await answer_agenda_ideas(
        ctx.session, meeting, by=ctx.resident, settings=ctx.settings, now=ctx.now
    )

    def write(t: Any) -> str:
        return "\n".join(
            [
                t._(
                    'What the meeting "{title}" on {time} decided:',
                    title=meeting.title,
                    time=t.datetime(meeting.starts_at),
                ),
                summary,
                t.ngettext(
                    "{n} person took part.", "{n} people took part.", meeting.attendance_count or 0
                ),
            ]
        )

    await send_notice(
        ctx.session,
        settings=ctx.settings,
        resident_ids=await invited_ids(ctx.session, meeting),
        write=write,
        now=ctx.now,
        personal=False,
    )
    if meeting.locality_id is not None:
        audience = Audience(locality_id=meeting.locality_id)
    elif meeting.unit_id is not None:
        audience = Audience(unit_ids=(meeting.unit_id,))
    else:
        audience = Audience()
    news = await create_broadcast(
        ctx.session,
        roles=None,
        created_by_id=None,
        audience=audience,
        texts=in_every_language(write, timezone=ctx.settings.tz),
        due_at=ctx.now,
        now=ctx.now,
    )
    # Under News only: the invited have the summary already; nobody else gets a message.
    news.status = Status.DONE.value
    news.started_at = ctx.now
    news.finished_at = ctx.now
    show_menu(ctx, ctx.t._("The summary is sent to the invited and shown under News."))


@router.button(ProposeQuestion)
async def propose(ctx: Context, press: ProposeQuestion) -> None:
    """Ask an invited resident for the question they propose."""
    assert ctx.resident is not None
    meeting = await get_meeting(ctx.session, press.meeting_id)
    if meeting is None:
        show_menu(ctx, ctx.t._("That meeting does not exist."))
        return
    if (
        meeting.kind != MeetingKind.COMMUNITY.value
        or meeting.invited_at is None
        or not await is_invited(ctx.session, meeting, ctx.resident)
    ):
        await ctx.refuse("meeting_question", meeting=meeting.id)
        return
    if not meeting.planned or ctx.now >= meeting.starts_at:
        show_menu(ctx, ctx.t._("This meeting has already begun; answers are no longer taken."))
        return
    ctx.ask(
        State.QUESTION,
        ctx.t._("Write the question you would like the meeting to discuss."),
        limit=QUESTION_MAX,
        buttons=[_back_to(ctx, meeting.id)],
        meeting_id=meeting.id,
    )


async def typed_question(ctx: Context) -> None:
    """Carry the question to the organiser, without the resident's name."""
    assert ctx.resident is not None
    question = (ctx.incoming.text or "").strip()
    if not question:
        ctx.ask_again(ctx.t._("Please write the question."))
        return
    meeting = await get_meeting(ctx.session, int(ctx.flow.get("meeting_id") or 0))
    if meeting is None or not await is_invited(ctx.session, meeting, ctx.resident):
        show_menu(ctx)
        return
    if meeting.organiser_id is not None:
        await send_notice(
            ctx.session,
            settings=ctx.settings,
            resident_ids=[meeting.organiser_id],
            write=lambda t: t._(
                'A resident proposes a question for "{title}": {question}',
                title=meeting.title,
                question=question,
            ),
            now=ctx.now,
            buttons=[(texts.SEE_MEETING_LABEL, MeetingView(meeting.id).pack())],
            personal=False,
        )
    await ctx.audit("meeting_question_proposed", meeting=meeting.id)
    show_menu(ctx, ctx.t._("Thank you. Your question is sent to the one who called the meeting."))


async def typed_on_buttons(ctx: Context) -> None:
    """Text typed where names are to be ticked: the same screen again."""
    ctx.ask_again(choose_one(ctx))


router.flow(
    {
        State.PRESENT: typed_on_buttons,
        State.COUNT: Step(typed_count, numbers=True),
        State.SUMMARY: Step(typed_summary, free_text=True),
        State.QUESTION: Step(typed_question, free_text=True),
    }
)
