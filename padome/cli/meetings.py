"""`padome meetings`: call, list, show, cancel and move meetings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts.compose import TIME_FORMAT
from handlers.meetings.schedule import announce_cancelled, announce_moved
from models.audit import audit
from models.base import utcnow
from models.meeting_answers import (
    THROUGH_HELPER,
    answer_counts,
    answer_names,
    coming,
)
from models.meetings import (
    AGENDA_ITEMS_MAX,
    DURATION_DEFAULT,
    DURATION_MAX,
    AnswerChoice,
    Meeting,
    MeetingKind,
    MeetingPlan,
    cancel_meeting,
    council_size,
    create_meeting,
    get_meeting,
    list_meetings,
    move_meeting,
    quorum_of,
)
from models.territory import Locality, Unit
from padome.cli.common import (
    Id,
    fail,
    find_territory,
    in_session,
    load_settings,
    out,
    planned_time,
    unreadable,
)

app = typer.Typer(help="Meetings: council sessions, community meetings, working groups.")
app.info.no_args_is_help = True

KINDS = ", ".join(kind.value for kind in MeetingKind)


async def _audience(session: AsyncSession, text: str) -> tuple[Unit | None, Locality | None]:
    """council, unit:<slug> or locality:<slug>/<name>."""
    if text.strip() == "council":
        return None, None
    prefix, _, rest = text.partition(":")
    if prefix == "unit" and rest and "/" not in rest:
        return await find_territory(session, rest)
    if prefix == "locality" and "/" in rest:
        return await find_territory(session, rest)
    raise fail("--audience is council, unit:<parish or town> or locality:<parish or town>/<name>.")


def _agenda(path: Path | None) -> tuple[str, ...]:
    if path is None:
        return ()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise unreadable(path, error) from None
    items = tuple(line.strip().lstrip("-•*").strip() for line in text.splitlines())
    items = tuple(item for item in items if item)
    if len(items) > AGENDA_ITEMS_MAX:
        raise fail(f"{path}: at most {AGENDA_ITEMS_MAX} agenda items, one a line.")
    return items


@app.command("add")
def meetings_add(
    kind: Annotated[str, typer.Option(help=f"One of: {KINDS}.")],
    title: Annotated[str, typer.Option(help="The meeting's title, as the invited read it.")],
    audience: Annotated[str, typer.Option(help="council, unit:<slug> or locality:<slug>/<name>.")],
    at: Annotated[str, typer.Option(help='The start, "dd.mm.yyyy hh:mm" (Riga time).')],
    duration: Annotated[
        int, typer.Option(help="Minutes.", min=1, max=DURATION_MAX)
    ] = DURATION_DEFAULT,
    place: Annotated[str | None, typer.Option(help="Where it is held in person.")] = None,
    online: Annotated[bool, typer.Option(help="Also (or only) by video.")] = False,
    video_url: Annotated[
        str | None, typer.Option(help="An https link to use; otherwise a room is made.")
    ] = None,
    agenda_file: Annotated[
        Path | None, typer.Option(help="A text file with one agenda item a line.")
    ] = None,
    urgent: Annotated[
        bool, typer.Option(help="An urgent session: invitations go at once, also at night.")
    ] = False,
    with_coordinators: Annotated[
        bool, typer.Option(help="A session: invite the coordinators too.")
    ] = False,
) -> None:
    """Call a meeting; the running bot sends the invitations."""
    settings = load_settings()
    try:
        meeting_kind = MeetingKind(kind)
    except ValueError:
        raise fail(f"--kind is one of: {KINDS}.") from None
    now = utcnow()
    starts_at = planned_time("--at", at, settings, now=now)
    items = _agenda(agenda_file)

    async def work(session: AsyncSession) -> str:
        unit, locality = await _audience(session, audience)
        plan = MeetingPlan(
            kind=meeting_kind,
            title=title,
            unit=unit,
            locality=locality,
            starts_at=starts_at,
            duration_minutes=duration,
            place=place,
            online=online or bool(video_url),
            video_url=video_url,
            agenda=items,
            urgent=urgent,
            with_coordinators=with_coordinators,
        )
        try:
            meeting = await create_meeting(
                session,
                plan=plan,
                organiser=None,
                video_base_url=settings.meeting_video_base_url,
                now=now,
            )
        except ValueError as error:
            raise fail(f"Not called: {error}.") from None
        await audit(session, action="meeting_created", actor_id=None, meeting=meeting.id)
        when = meeting.starts_at.astimezone(settings.tz).strftime(TIME_FORMAT)
        return (
            f'Meeting #{meeting.id} "{meeting.title}" on {when} for {meeting.audience}; '
            "the running bot sends the invitations."
        )

    typer.echo(in_session(work))


@app.command("list")
def meetings_list() -> None:
    """The latest meetings: when, what, for whom, their state and answers."""
    settings = load_settings()

    async def work(session: AsyncSession) -> Table:
        table = Table("id", "starts", "kind", "audience", "status", "coming", "title")
        for meeting in await list_meetings(session):
            counts = await answer_counts(session, meeting.id)
            table.add_row(
                str(meeting.id),
                meeting.starts_at.astimezone(settings.tz).strftime(TIME_FORMAT),
                meeting.kind,
                meeting.audience,
                meeting.status,
                str(coming(counts)),
                meeting.title[:50],
            )
        return table

    out.print(in_session(work))


async def _existing(session: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await get_meeting(session, meeting_id)
    if meeting is None:
        raise fail(f"No meeting #{meeting_id}. See `padome meetings list`.")
    return meeting


@app.command("show")
def meetings_show(meeting_id: Id) -> None:
    """A meeting's details and answers (names for sessions and working groups)."""
    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        meeting = await _existing(session, meeting_id)

        def local(moment: object) -> str:
            return moment.astimezone(settings.tz).strftime(TIME_FORMAT)  # type: ignore[attr-defined]

        lines = [
            f"Meeting #{meeting.id}: {meeting.title}",
            f"kind: {meeting.kind}{' (urgent)' if meeting.urgent else ''}",
            f"for: {meeting.audience}",
            f"starts: {local(meeting.starts_at)}, {meeting.duration_minutes} minutes",
            f"place: {meeting.place or '-'}",
            f"online: {meeting.video_url if meeting.online else 'no'}",
            f"status: {meeting.status}",
            "invitations: "
            + (f"sent {local(meeting.invited_at)}" if meeting.invited_at else "not yet sent"),
        ]
        if meeting.agenda:
            lines.append("agenda:")
            lines.extend(f"  {n}. {item}" for n, item in enumerate(meeting.agenda, 1))
        counts = await answer_counts(session, meeting.id)
        lines.append(
            "answers: "
            + ", ".join(f"{choice.value} {counts[choice.value]}" for choice in AnswerChoice)
            + (
                f" (through a trusted person: {counts[THROUGH_HELPER]})"
                if counts[THROUGH_HELPER]
                else ""
            )
        )
        if meeting.kind == MeetingKind.SESSION.value:
            needed = quorum_of(await council_size(session), settings.meeting_quorum)
            have = coming(counts)
            state = "reached" if have >= needed else "not reached"
            lines.append(f"quorum: {have} of {needed} needed, {state}")
        if meeting.names_visible_to_invited:
            for choice, names in (await answer_names(session, meeting.id)).items():
                if names:
                    lines.append(f"  {choice}: {', '.join(names)}")
        if meeting.summary:
            lines.append(f"attended: {meeting.attendance_count}")
            lines.append(f"summary: {meeting.summary}")
        return "\n".join(lines)

    typer.echo(in_session(work))


@app.command("cancel")
def meetings_cancel(meeting_id: Id) -> None:
    """Cancel a planned meeting; everyone invited is told."""
    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        meeting = await _existing(session, meeting_id)
        now = utcnow()
        try:
            cancel_meeting(meeting, now=now)
        except ValueError as error:
            raise fail(f"Not cancelled: {error}.") from None
        told = await announce_cancelled(session, meeting, settings=settings, now=now)
        await audit(session, action="meeting_cancelled", actor_id=None, meeting=meeting.id)
        return f"Meeting #{meeting.id} cancelled; {told} invited are told."

    typer.echo(in_session(work))


@app.command("move")
def meetings_move(
    meeting_id: Id,
    at: Annotated[str, typer.Option(help='The new start, "dd.mm.yyyy hh:mm" (Riga time).')],
) -> None:
    """Move a planned meeting to a new time; everyone invited is told what changed."""
    settings = load_settings()
    now = utcnow()
    starts_at = planned_time("--at", at, settings, now=now)

    async def work(session: AsyncSession) -> str:
        meeting = await _existing(session, meeting_id)
        try:
            old = move_meeting(meeting, starts_at=starts_at, now=now)
        except ValueError as error:
            raise fail(f"Not moved: {error}.") from None
        told = await announce_moved(session, meeting, old_start=old, settings=settings, now=now)
        await audit(session, action="meeting_moved", actor_id=None, meeting=meeting.id)
        when = meeting.starts_at.astimezone(settings.tz).strftime(TIME_FORMAT)
        return f"Meeting #{meeting.id} moved to {when}; {told} invited are told."

    typer.echo(in_session(work))
