"""Residents' ideas on a meeting's agenda: put there from the inbox by the meeting's
organiser (the author is told), and answered with the meeting's summary afterwards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router
from bot.settings import Settings
from broadcasts.notices import send_notice
from handlers.ideas.common import OpenIdea
from handlers.meetings.payloads import IdeaToAgenda, MeetingView
from models.ideas import ANSWER_MAX, answer_idea, get_idea, may_read
from models.meetings import Meeting, get_meeting, put_on_agenda, upcoming_organised
from models.residents import Resident

router = Router()

AGENDA_TEXT_SHOWN = 200


@router.button(IdeaToAgenda)
async def to_agenda(ctx: Context, press: IdeaToAgenda) -> None:
    """Choose one of one's upcoming meetings, then put the idea on its agenda."""
    assert ctx.resident is not None
    t = ctx.t
    idea = await get_idea(ctx.session, press.idea_id)
    if idea is None or not may_read(ctx.roles, ctx.resident.id, idea):
        await ctx.refuse("idea_to_agenda", idea=press.idea_id)
        return
    back = Button(t._("Back"), OpenIdea(idea.id))
    if press.meeting_id is None:
        meetings = await upcoming_organised(ctx.session, ctx.resident.id, now=ctx.now)
        if not meetings:
            ctx.reply(t._("You have no upcoming meetings to put it on."), [back])
            return
        buttons = [
            Button(f"{t.datetime(m.starts_at)} {m.title}"[:60], IdeaToAgenda(idea.id, m.id))
            for m in meetings
        ]
        ctx.reply(t._("On the agenda of which meeting?"), [*buttons, back])
        return
    meeting = await get_meeting(ctx.session, press.meeting_id)
    if meeting is None or meeting.organiser_id != ctx.resident.id:
        await ctx.refuse("idea_to_agenda", idea=idea.id, meeting=press.meeting_id)
        return
    text = " ".join((idea.text or "").split())
    if len(text) > AGENDA_TEXT_SHOWN:
        text = text[: AGENDA_TEXT_SHOWN - 1] + "…"
    try:
        added = put_on_agenda(meeting, idea_id=idea.id, item=f"#{idea.id} {text}".strip())
    except ValueError:
        ctx.reply(t._("This meeting's agenda cannot take more items."), [back])
        return
    if added:
        await ctx.audit("idea_on_agenda", idea=idea.id, meeting=meeting.id)
        if idea.author_id is not None:
            await send_notice(
                ctx.session,
                settings=ctx.settings,
                resident_ids=[idea.author_id],
                write=lambda tr: tr._(
                    'Your idea or concern #{id} is on the agenda of the meeting "{title}" on '
                    "{time}.",
                    id=idea.id,
                    title=meeting.title,
                    time=tr.datetime(meeting.starts_at),
                ),
                now=ctx.now,
            )
    ctx.reply(
        t._('#{id} is on the agenda of "{title}".', id=idea.id, title=meeting.title),
        [Button(t._("See the meeting"), MeetingView(meeting.id)), back],
    )


async def answer_agenda_ideas(
    session: AsyncSession,
    meeting: Meeting,
    *,
    by: Resident,
    settings: Settings,
    now: datetime,
) -> int:
    """Give each idea on the agenda the meeting's summary as its answer; tell its author."""
    answered = 0
    for idea_id in meeting.agenda_idea_ids or []:
        idea = await get_idea(session, idea_id)
        if idea is None or not meeting.summary:
            continue
        await answer_idea(session, idea=idea, by=by, text=meeting.summary[:ANSWER_MAX], now=now)
        answered += 1
        if idea.author_id is not None:
            await send_notice(
                session,
                settings=settings,
                resident_ids=[idea.author_id],
                write=lambda tr, idea=idea: tr._(
                    'The meeting "{title}" discussed your idea or concern #{id}. What was '
                    "decided: {summary}",
                    title=meeting.title,
                    id=idea.id,
                    summary=meeting.summary,
                ),
                now=now,
            )
    return answered
