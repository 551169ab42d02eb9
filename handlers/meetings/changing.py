"""Moving a meeting to a new time in chat (its organiser); everyone invited is told what
changed. Cancelling is on the meeting's screen (`answering`)."""

from __future__ import annotations

import enum

from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Router, Step
from bot.i18n import DATETIME_FORMAT
from handlers.meetings.payloads import MeetingMove, MeetingView
from handlers.meetings.schedule import announce_moved
from handlers.menu import show_menu
from models.meetings import Meeting, get_meeting, move_meeting

router = Router()


class State(enum.StrEnum):
    MOVE_TIME = "meetings.move_time"


async def _own_planned(ctx: Context, meeting_id: int) -> Meeting | None:
    meeting = await get_meeting(ctx.session, meeting_id)
    if meeting is None:
        show_menu(ctx, ctx.t._("That meeting does not exist."))
        return None
    if ctx.resident is None or meeting.organiser_id != ctx.resident.id:
        await ctx.refuse("meeting_move", meeting=meeting_id)
        return None
    if not meeting.planned or ctx.now >= meeting.starts_at:
        show_menu(ctx, ctx.t._("This meeting can no longer be moved."))
        return None
    return meeting


@router.button(MeetingMove)
async def move(ctx: Context, press: MeetingMove) -> None:
    """Ask for the new time (or, after a time the clocks pass twice, take the choice)."""
    meeting = await _own_planned(ctx, press.meeting_id)
    if meeting is None:
        return
    typed = ctx.flow.get("typed") if ctx.flow.get("meeting_id") == meeting.id else None
    if press.fold in (0, 1) and typed:
        await _moved(ctx, meeting, str(typed), fold=press.fold)
        return
    example = meeting.starts_at.astimezone(ctx.settings.tz).strftime(DATETIME_FORMAT)
    ctx.ask(
        State.MOVE_TIME,
        ctx.t._(
            'When does "{title}" begin now? Write the new date and time like {example}.',
            title=meeting.title,
            example=example,
        ),
        buttons=[Button(ctx.t._("Back"), MeetingView(meeting.id))],
        meeting_id=meeting.id,
    )


async def typed_time(ctx: Context) -> None:
    meeting = await _own_planned(ctx, int(ctx.flow.get("meeting_id") or 0))
    if meeting is None:
        return
    await _moved(ctx, meeting, ctx.incoming.text or "", fold=None)


async def _moved(ctx: Context, meeting: Meeting, text: str, *, fold: int | None) -> None:
    example = meeting.starts_at.astimezone(ctx.settings.tz).strftime(DATETIME_FORMAT)
    starts = ctx.read_time(text, example=example, choose=MeetingMove(meeting.id).pack(), fold=fold)
    if starts is None:
        ctx.remember("flow", {"meeting_id": meeting.id, "typed": text})
        return
    if starts <= ctx.now:
        ctx.ask_again(ctx.t._("That time has already passed. Please choose a later one."))
        return
    old = move_meeting(meeting, starts_at=starts, now=ctx.now)
    told = await announce_moved(
        ctx.session, meeting, old_start=old, settings=ctx.settings, now=ctx.now
    )
    await ctx.audit("meeting_moved", meeting=meeting.id)
    show_menu(
        ctx,
        ctx.t.ngettext(
            "The meeting now begins on {time}; {n} invited person is told.",
            "The meeting now begins on {time}; {n} invited people are told.",
            told,
            time=ctx.t.datetime(meeting.starts_at),
        ),
    )


router.flow({State.MOVE_TIME: Step(typed_time, free_text=True)})
