"""Meetings in the staff console: the upcoming and past ones with their answers and, for a
council session, its quorum; one meeting's details; cancelling, for the person who called it,
after a confirmation (as in chat: only the organiser cancels).

Everyone the console is for sees the list; names of who answered are shown for sessions and
working groups (as their members see them), counts only for community meetings.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.parsing import parse_id
from handlers.meetings import texts
from handlers.meetings.schedule import announce_cancelled
from models.audit import audit
from models.meeting_answers import answer_counts, answer_names, coming
from models.meetings import (
    Meeting,
    MeetingKind,
    MeetingStatus,
    cancel_meeting,
    council_size,
    get_meeting,
    quorum_of,
)
from models.territory import place_label
from padome.console.forms import confirm, redirect, refused, sure

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

SHOWN = 50


def routes(console: Console) -> list[BaseRoute]:
    return [
        Route("/console/meetings", console.page(partial(meetings, console)), methods=["GET"]),
        Route(
            "/console/meetings/{meeting_id}",
            console.page(partial(meeting, console)),
            methods=["GET"],
        ),
        Route(
            "/console/meetings/{meeting_id}/cancel",
            console.page(partial(cancel, console)),
            methods=["POST"],
        ),
    ]


async def _answers(console: Console, visit: Visit, item: Meeting) -> dict[str, object]:
    t = visit.t
    counts = await answer_counts(visit.session, item.id)
    quorum = None
    if item.kind == MeetingKind.SESSION.value:
        needed = quorum_of(await council_size(visit.session), console.settings.meeting_quorum)
        quorum = texts.quorum_line(t, coming=coming(counts), needed=needed)
    return {"answers": texts.answer_line(t, counts), "quorum": quorum}


def _status(visit: Visit, item: Meeting) -> str:
    t = visit.t
    if item.status == MeetingStatus.CANCELLED.value:
        return t._("cancelled")
    if item.status == MeetingStatus.CLOSED.value:
        return t._("held, summary recorded")
    if item.starts_at <= visit.now:
        return t._("held, no summary yet")
    return t._("planned")


async def meetings(console: Console, visit: Visit) -> Response:
    t = visit.t
    upcoming = list(
        await visit.session.scalars(
            select(Meeting)
            .where(Meeting.starts_at >= visit.now)
            .order_by(Meeting.starts_at, Meeting.id)
            .limit(SHOWN)
        )
    )
    past = list(
        await visit.session.scalars(
            select(Meeting)
            .where(Meeting.starts_at < visit.now)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(SHOWN)
        )
    )
    rows = {}
    for item in [*upcoming, *past]:
        rows[item.id] = await _answers(console, visit, item)
    return console.show(
        visit,
        "meetings.html",
        active="meetings",
        upcoming=upcoming,
        past=past,
        rows=rows,
        kind=lambda item: t._(texts.KIND_LABELS[item.kind]),
        place=lambda item: (
            place_label(item.unit, item.locality, t.language) or t._("the whole council")
        ),
        status=partial(_status, visit),
    )


async def _meeting(console: Console, visit: Visit) -> Meeting | Response:
    meeting_id = parse_id(visit.request.path_params["meeting_id"])
    item = await get_meeting(visit.session, meeting_id) if meeting_id else None
    if item is None:
        t = visit.t
        return console.message(
            t,
            t._("Not found"),
            t._("That meeting does not exist."),
            status_code=404,
            visit=visit,
        )
    return item


def _may_cancel(visit: Visit, item: Meeting) -> bool:
    return item.organiser_id == visit.resident.id and item.planned


async def meeting(console: Console, visit: Visit) -> Response:
    item = await _meeting(console, visit)
    if not isinstance(item, Meeting):
        return item
    t = visit.t
    organiser = item.organiser_id == visit.resident.id
    names = {}
    if item.names_visible_to_invited:
        names = {
            t._(texts.ANSWER_LABELS[answer]): people
            for answer, people in (
                await answer_names(visit.session, item.id, through=texts.through_helper(t))
            ).items()
            if people
        }
    return console.show(
        visit,
        "meeting.html",
        active="meetings",
        meeting=item,
        heading=texts.heading(item, t),
        when=texts.when(item, t),
        where=texts.where(item, t, with_link=organiser or texts.link_in_invitation(item)),
        status=_status(visit, item),
        names=names,
        may_cancel=_may_cancel(visit, item) and visit.now < item.starts_at,
        cancelled=visit.request.query_params.get("done") == "cancelled",
        **await _answers(console, visit, item),
    )


async def cancel(console: Console, visit: Visit) -> Response:
    """Cancel a meeting one called, after a confirmation; everyone invited is told."""
    item = await _meeting(console, visit)
    if not isinstance(item, Meeting):
        return item
    if item.organiser_id != visit.resident.id:
        return await refused(console, visit, "meeting_cancel", meeting=item.id)
    t = visit.t
    if not item.planned or item.starts_at <= visit.now:
        return redirect(f"/console/meetings/{item.id}")
    if not sure(visit):
        return confirm(
            console,
            visit,
            heading=t._("Cancel the meeting"),
            question=t._(
                'Cancel "{title}" on {time}? Everyone invited will be told.',
                title=item.title,
                time=t.datetime(item.starts_at),
            ),
            action=f"/console/meetings/{item.id}/cancel",
            fields={},
            yes=t._("Yes, cancel it"),
            back=f"/console/meetings/{item.id}",
            active="meetings",
        )
    cancel_meeting(item, now=visit.now)
    await announce_cancelled(visit.session, item, settings=console.settings, now=visit.now)
    await audit(
        visit.session, action="meeting_cancelled", actor_id=visit.resident.id, meeting=item.id
    )
    return redirect(f"/console/meetings/{item.id}?done=cancelled")
