"""Meetings in the staff console: the upcoming and past ones with their answers and, for a
council session, its quorum; one meeting's details. The person who called a meeting (and may
still call it) moves it to a new time or cancels it before the start, and afterwards records
who came and the summary: the chat's own actions, so the invited are told the same way.

Everyone the console is for sees the list; names of who answered are shown for sessions and
working groups (as their members see them), counts only for community meetings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.parsing import parse_id
from handlers.meetings import texts
from handlers.meetings.after import record_summary
from handlers.meetings.schedule import announce_cancelled, announce_moved
from models.audit import audit
from models.meeting_answers import answer_counts, answer_names, coming
from models.meetings import (
    SUMMARY_MAX,
    Meeting,
    MeetingKind,
    MeetingStatus,
    cancel_meeting,
    council_size,
    get_meeting,
    invited_ids,
    may_call,
    move_meeting,
    quorum_of,
)
from models.residents import Resident
from models.territory import place_label
from padome.console.forms import confirm, number, redirect, refused, sure
from padome.console.times import fold_of, read_typed_time

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

SHOWN = 50


def routes(console: Console) -> list[BaseRoute]:
    def view(function: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
        return console.page(partial(function, console))

    base = "/console/meetings"
    actions = {"cancel": cancel, "move": move, "summary": summary}
    return [
        Route(base, view(meetings), methods=["GET"]),
        Route(f"{base}/{{meeting_id}}", view(meeting), methods=["GET"]),
        *(
            Route(f"{base}/{{meeting_id}}/{action}", view(function), methods=["POST"])
            for action, function in actions.items()
        ),
        # Opened again (after switching the language on a page a form showed): back.
        *(
            Route(f"{base}/{{meeting_id}}/{action}", console.page(_to_meeting), methods=["GET"])
            for action in actions
        ),
    ]


async def _to_meeting(visit: Visit) -> Response:
    return redirect(f"/console/meetings/{parse_id(visit.request.path_params['meeting_id']) or 0}")


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


def _organises(visit: Visit, item: Meeting) -> bool:
    """Whether this person called the meeting and may still call it: their roles are read
    again at every request, so a revoked role moves, cancels and records nothing."""
    return item.organiser_id == visit.resident.id and may_call(
        visit.roles, kind=MeetingKind(item.kind), unit_id=item.unit_id, locality=item.locality
    )


def _before_start(visit: Visit, item: Meeting) -> bool:
    return item.planned and visit.now < item.starts_at


def _after_start(visit: Visit, item: Meeting) -> bool:
    """Attendance and the summary are recorded once, after the start of a meeting that was
    held (not cancelled)."""
    return item.planned and item.starts_at <= visit.now


async def _invited_people(visit: Visit, item: Meeting) -> list[Resident]:
    """Those to tick as present: everyone invited to a session or a working group."""
    if item.kind == MeetingKind.COMMUNITY.value:
        return []
    ids = await invited_ids(visit.session, item)
    people = await visit.session.scalars(select(Resident).where(Resident.id.in_(ids)))
    return sorted(people, key=lambda person: (person.display_name or "", person.id))


def _done_text(visit: Visit, item: Meeting) -> str | None:
    """What the last change did, named by the address it led to."""
    t = visit.t
    query = visit.request.query_params
    done = query.get("done")
    if done == "cancelled":
        return t._("The meeting is cancelled; everyone invited is told.")
    if done == "moved":
        return t.ngettext(
            "The meeting now begins on {time}; {n} invited person is told.",
            "The meeting now begins on {time}; {n} invited people are told.",
            number(query.get("told")) or 0,
            time=t.datetime(item.starts_at),
        )
    if done == "summary" and item.status == MeetingStatus.CLOSED.value:
        return t._("The summary is sent to the invited and shown under News.")
    return None


async def meeting(
    console: Console,
    visit: Visit,
    *,
    problems: dict[str, str] | None = None,
    typed: dict[str, object] | None = None,
    twice: list[tuple[int, str]] | None = None,
    status_code: int = 200,
) -> Response:
    item = await _meeting(console, visit)
    if not isinstance(item, Meeting):
        return item
    t = visit.t
    organiser = item.organiser_id == visit.resident.id
    organises = _organises(visit, item)
    names = {}
    if item.names_visible_to_invited:
        names = {
            t._(texts.ANSWER_LABELS[answer]): people
            for answer, people in (
                await answer_names(visit.session, item.id, through=texts.through_helper(t))
            ).items()
            if people
        }
    may_record = organises and _after_start(visit, item)
    response = console.show(
        visit,
        "meeting.html",
        active="meetings",
        meeting=item,
        heading=texts.heading(item, t),
        when=texts.when(item, t),
        where=texts.where(item, t, with_link=organiser or texts.link_in_invitation(item)),
        status=_status(visit, item),
        names=names,
        may_change=organises and _before_start(visit, item),
        may_record=may_record,
        community=item.kind == MeetingKind.COMMUNITY.value,
        people=await _invited_people(visit, item) if may_record else [],
        example=t.datetime(item.starts_at),
        summary_max=SUMMARY_MAX,
        problems=problems or {},
        typed=typed or {},
        twice=twice or [],
        done=_done_text(visit, item),
        **await _answers(console, visit, item),
    )
    response.status_code = status_code
    return response


async def _organised(console: Console, visit: Visit, attempted: str) -> Meeting | Response:
    """The meeting this person organises, else the refusal (written to the audit log)."""
    item = await _meeting(console, visit)
    if not isinstance(item, Meeting):
        return item
    if not _organises(visit, item):
        return await refused(console, visit, attempted, meeting=item.id)
    return item


async def cancel(console: Console, visit: Visit) -> Response:
    """Cancel a meeting one called, after a confirmation; everyone invited is told."""
    item = await _organised(console, visit, "meeting_cancel")
    if not isinstance(item, Meeting):
        return item
    t = visit.t
    if not _before_start(visit, item):
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
        visit.session,
        action="meeting_cancelled",
        actor_id=visit.resident.id,
        meeting=item.id,
        via="console",
    )
    return redirect(f"/console/meetings/{item.id}?done=cancelled")


async def move(console: Console, visit: Visit) -> Response:
    """Give a planned meeting a new time, read as the chat reads it; the invited are told
    the old and the new time, and the reminders go again before the new one."""
    item = await _organised(console, visit, "meeting_move")
    if not isinstance(item, Meeting):
        return item
    t = visit.t
    if not _before_start(visit, item):
        return await meeting(
            console,
            visit,
            problems={"move": t._("This meeting can no longer be moved.")},
            status_code=409,
        )
    assert visit.form is not None
    typed = " ".join(str(visit.form.get("at", "")).split())
    read = read_typed_time(
        t,
        typed,
        fold=fold_of(visit.form.get("fold")),
        timezone=console.settings.tz,
        now=visit.now,
        example=t.datetime(item.starts_at),
    )
    problem = read.problem
    if read.moment is not None and read.moment <= visit.now:
        problem = t._("That time has already passed. Please choose a later one.")
    if read.moment is None or problem:
        return await meeting(
            console,
            visit,
            problems={"move": problem or ""},
            typed={"at": typed},
            twice=read.twice,
            status_code=400,
        )
    old = move_meeting(item, starts_at=read.moment, now=visit.now)
    told = await announce_moved(
        visit.session, item, old_start=old, settings=console.settings, now=visit.now
    )
    await audit(
        visit.session,
        action="meeting_moved",
        actor_id=visit.resident.id,
        meeting=item.id,
        via="console",
    )
    return redirect(f"/console/meetings/{item.id}?done=moved&told={told}")


async def summary(console: Console, visit: Visit) -> Response:
    """Record who came (ticked for a session or a working group, a head count for a community
    meeting) and what was decided: sent to the invited, under News, and the answer to the
    ideas on its agenda."""
    item = await _organised(console, visit, "meeting_after")
    if not isinstance(item, Meeting):
        return item
    t = visit.t
    if not _after_start(visit, item):
        text = (
            t._("This meeting has been cancelled.")
            if item.status == MeetingStatus.CANCELLED.value
            else t._("The summary can be written once the meeting has begun.")
            if visit.now < item.starts_at
            else t._("The summary of this meeting is recorded already.")
        )
        return await meeting(console, visit, problems={"summary": text}, status_code=409)
    posted = await visit.request.form()
    written = str(posted.get("summary") or "").strip()
    count_text = str(posted.get("count") or "").strip()
    ticked = {person for value in posted.getlist("present") if (person := number(str(value)))}
    problems: dict[str, str] = {}
    count: int | None = None
    present: list[int] | None = None
    if item.kind == MeetingKind.COMMUNITY.value:
        count = number(count_text) if len(count_text) <= 6 else None
        if count is None:
            problems["count"] = t._("Please write the number of people, like 25.")
    else:
        # Only the invited are counted: a forged id is left out, as in chat.
        present = sorted(ticked & set(await invited_ids(visit.session, item)))
    if not written:
        problems["summary"] = t._("Please write a short summary.")
    elif len(written) > SUMMARY_MAX:
        problems["summary"] = t._(
            "That is too long: at most {limit} characters, please. Yours has {length}.",
            limit=t.number(SUMMARY_MAX),
            length=t.number(len(written)),
        )
    if problems:
        return await meeting(
            console,
            visit,
            problems=problems,
            typed={"summary": written, "count": count_text, "present": ticked},
            status_code=400,
        )
    await record_summary(
        visit.session,
        item,
        by=visit.resident,
        summary=written,
        attendance_count=count,
        attendee_ids=present,
        settings=console.settings,
        now=visit.now,
    )
    return redirect(f"/console/meetings/{item.id}?done=summary")
