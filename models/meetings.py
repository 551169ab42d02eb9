"""Meetings: council sessions, community meetings and unit working groups; who may call them,
who is invited, the answers, the reminders' markers, attendance and the summary.

Who is invited is a rule, not a stored list: a session invites the council (and, if chosen,
the coordinators), a community meeting the residents of its parish or town or village, a
working group the unit's working-group members and its representative. The same rule
decides who receives the invitation, who may answer (a forged button for another unit's
meeting is refused), who is reminded and who hears of a change.

Times are stored in UTC; every screen shows them on Riga's clock.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.ideas import Idea, area_by_slug, list_areas, submit_idea
from models.residents import Resident
from models.roles import Role, RoleGrant, Roles
from models.territory import Locality, Unit

TITLE_MAX = 200
PLACE_MAX = 200
AGENDA_ITEM_MAX = 300
AGENDA_ITEMS_MAX = 20
SUMMARY_MAX = 3000
VIDEO_URL_MAX = 300
DURATION_DEFAULT = 90
DURATION_MAX = 12 * 60
# The area of ideas a question proposed for a meeting is filed under.
QUESTION_AREA = "other"
# Room names the organiser never typed: long enough that nobody guesses one.
ROOM_NAME_BYTES = 12


class MeetingKind(enum.StrEnum):
    SESSION = "session"
    COMMUNITY = "community"
    WORKING_GROUP = "working-group"


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"
    # The organiser has recorded attendance and the summary.
    CLOSED = "closed"


class AnswerChoice(enum.StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    ONLINE = "online"


# Roles whose holders sit on the council and are invited to its sessions.
COUNCIL_ROLES = (Role.CHAIR, Role.VICE_CHAIR, Role.REPRESENTATIVE, Role.COUNCIL_MEMBER)
SESSION_CALLERS = (Role.CHAIR, Role.VICE_CHAIR, Role.COORDINATOR, Role.ADMIN)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    # The council (both None), a unit, or one locality of it (unit_id is its unit).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("localities.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(default=DURATION_DEFAULT)
    place: Mapped[str | None] = mapped_column(String(PLACE_MAX))
    online: Mapped[bool] = mapped_column(default=False)
    video_url: Mapped[str | None] = mapped_column(String(VIDEO_URL_MAX))
    agenda: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Residents' ideas put on the agenda from the inbox: they get the summary as an answer.
    agenda_idea_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(default=False)
    # Sessions only: the coordinators are invited too.
    with_coordinators: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=MeetingStatus.PLANNED.value, index=True)
    # None when called from the command line (the municipality's operator).
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Markers of what has gone out, set in the transaction that sends it: a restart neither
    # repeats nor skips a step.
    invited_at: Mapped[datetime | None]
    reminded_day_at: Mapped[datetime | None]
    reminded_hour_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # After the meeting: a head count (community meetings) and the summary.
    attendance_count: Mapped[int | None]
    summary: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    locality: Mapped[Locality | None] = relationship(lazy="joined")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def in_person(self) -> bool:
        return bool(self.place)

    @property
    def both_forms(self) -> bool:
        return self.in_person and self.online

    @property
    def audience(self) -> str:
        """As the command line writes it: council, unit:<slug>, locality:<slug>/<name>."""
        if self.locality is not None and self.unit is not None:
            return f"locality:{self.unit.slug}/{self.locality.name}"
        if self.unit is not None:
            return f"unit:{self.unit.slug}"
        return "council"

    @property
    def names_visible_to_invited(self) -> bool:
        """Sessions and working groups see who comes; a community meeting's residents'
        names are for the organiser only."""
        return self.kind != MeetingKind.COMMUNITY.value

    @property
    def offers_online(self) -> bool:
        """Whether "I will join online" is offered: sessions, and meetings in both forms."""
        return self.online and (self.kind == MeetingKind.SESSION.value or self.in_person)

    @property
    def planned(self) -> bool:
        return self.status == MeetingStatus.PLANNED.value


class MeetingAnswer(Base):
    """One person's answer to one invitation; the person's link goes on erasure, the answer
    stays counted."""

    __tablename__ = "meeting_answers"
    __table_args__ = (UniqueConstraint("meeting_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    answer: Mapped[str] = mapped_column(String(8))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The trusted person who gave this answer for the resident (models.helpers); the id
    # goes on erasure of either of them, the mark that it came through a trusted person stays.
    helper_id: Mapped[int | None]
    through_helper: Mapped[bool] = mapped_column(default=False, server_default=false())


class MeetingAttendance(Base):
    """Who came to a session or a working group, as the organiser recorded it."""

    __tablename__ = "meeting_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )


# --------------------------------------------------------------------------- rights


def may_call(
    roles: Roles, *, kind: MeetingKind, unit_id: int | None, locality: Locality | None
) -> bool:
    """Whether a person with these roles may call a meeting of this kind for this audience.

    Sessions: the chair, vice-chair and coordinators. Community meetings: a unit's
    representative for their unit or one of its localities, a locality's deputy for their
    locality, coordinators for any. Working groups: the unit's representative.
    """
    if kind is MeetingKind.SESSION:
        return unit_id is None and locality is None and any(roles.has(r) for r in SESSION_CALLERS)
    if unit_id is None:
        return False
    if kind is MeetingKind.WORKING_GROUP:
        return locality is None and unit_id in roles.units_as(Role.REPRESENTATIVE)
    if roles.is_staff or unit_id in roles.units_as(Role.REPRESENTATIVE):
        return True
    return locality is not None and locality.id in roles.localities_as(Role.DEPUTY)


def may_call_any(roles: Roles) -> bool:
    """Whether the person may call some meeting (the menu shows "Call a meeting")."""
    return (
        roles.is_staff
        or any(roles.has(r) for r in SESSION_CALLERS)
        or bool(roles.units_as(Role.REPRESENTATIVE))
        or bool(roles.localities_as(Role.DEPUTY))
    )


def new_video_url(base_url: str) -> str:
    """A room of its own on the video server, under a name nobody guesses."""
    return f"{base_url.rstrip('/')}/padome-{secrets.token_urlsafe(ROOM_NAME_BYTES)}"


def check_video_url(url: str) -> str:
    """A pasted video link: any https address, without spaces."""
    url = url.strip()
    if (
        not url.startswith("https://")
        or len(url) <= len("https://")
        or any(c.isspace() for c in url)
    ):
        raise ValueError("the video link must be an https:// address")
    if len(url) > VIDEO_URL_MAX:
        raise ValueError(f"the video link is longer than {VIDEO_URL_MAX} characters")
    return url


# --------------------------------------------------------------------------- creation


@dataclass(frozen=True)
class MeetingPlan:
    kind: MeetingKind
    title: str
    unit: Unit | None
    locality: Locality | None
    starts_at: datetime
    duration_minutes: int = DURATION_DEFAULT
    place: str | None = None
    online: bool = False
    video_url: str | None = None
    agenda: tuple[str, ...] = ()
    urgent: bool = False
    with_coordinators: bool = False


def check_plan(plan: MeetingPlan, *, now: datetime) -> None:
    """Refuse a plan that cannot be a meeting, with the reason."""
    if not plan.title.strip():
        raise ValueError("a meeting needs a title")
    if len(plan.title) > TITLE_MAX:
        raise ValueError(f"the title is longer than {TITLE_MAX} characters")
    if plan.kind is MeetingKind.SESSION and (plan.unit or plan.locality):
        raise ValueError("a session is for the council: its audience is council")
    if plan.kind is not MeetingKind.SESSION and plan.unit is None and plan.locality is None:
        raise ValueError("a community or working-group meeting is for a parish or town")
    if plan.kind is MeetingKind.WORKING_GROUP and plan.locality is not None:
        raise ValueError("a working group meets for its whole parish or town")
    if plan.urgent and plan.kind is not MeetingKind.SESSION:
        raise ValueError("only a council session is called as urgent")
    if plan.starts_at <= now:
        raise ValueError("the meeting must start in the future")
    if not 1 <= plan.duration_minutes <= DURATION_MAX:
        raise ValueError(f"the duration is from 1 to {DURATION_MAX} minutes")
    if not plan.place and not plan.online:
        raise ValueError("a meeting needs a place or to be online")
    if plan.place and len(plan.place) > PLACE_MAX:
        raise ValueError(f"the place is longer than {PLACE_MAX} characters")
    if len(plan.agenda) > AGENDA_ITEMS_MAX:
        raise ValueError(f"at most {AGENDA_ITEMS_MAX} agenda items")
    if any(len(item) > AGENDA_ITEM_MAX for item in plan.agenda):
        raise ValueError(f"an agenda item is longer than {AGENDA_ITEM_MAX} characters")


async def create_meeting(
    session: AsyncSession,
    *,
    plan: MeetingPlan,
    organiser: Resident | None,
    video_base_url: str,
    now: datetime,
) -> Meeting:
    """Store a meeting; the scheduler invites its audience on its next tick."""
    check_plan(plan, now=now)
    video_url = None
    if plan.online:
        video_url = (
            check_video_url(plan.video_url) if plan.video_url else new_video_url(video_base_url)
        )
    unit = plan.locality.unit if plan.locality is not None else plan.unit
    meeting = Meeting(
        kind=plan.kind.value,
        title=plan.title.strip(),
        unit_id=unit.id if unit is not None else None,
        locality_id=plan.locality.id if plan.locality is not None else None,
        starts_at=plan.starts_at,
        duration_minutes=plan.duration_minutes,
        place=(plan.place or "").strip() or None,
        online=plan.online,
        video_url=video_url,
        agenda=[item.strip() for item in plan.agenda if item.strip()],
        agenda_idea_ids=[],
        urgent=plan.urgent,
        with_coordinators=plan.with_coordinators and plan.kind is MeetingKind.SESSION,
        organiser_id=organiser.id if organiser is not None else None,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    await session.refresh(meeting)
    return meeting


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def list_meetings(session: AsyncSession, *, limit: int = 50) -> list[Meeting]:
    result = await session.scalars(select(Meeting).order_by(Meeting.starts_at.desc()).limit(limit))
    return list(result)


def cancel_meeting(meeting: Meeting, *, now: datetime) -> None:
    if not meeting.planned:
        raise ValueError(f"meeting #{meeting.id} is {meeting.status}, not planned")
    meeting.status = MeetingStatus.CANCELLED.value
    meeting.cancelled_at = now


def move_meeting(meeting: Meeting, *, starts_at: datetime, now: datetime) -> datetime:
    """Give a planned meeting a new start; its reminders go again before the new time.
    Returns the old start."""
    if not meeting.planned:
        raise ValueError(f"meeting #{meeting.id} is {meeting.status}, not planned")
    if starts_at <= now:
        raise ValueError("the meeting must start in the future")
    old = meeting.starts_at
    meeting.starts_at = starts_at
    meeting.reminded_day_at = None
    meeting.reminded_hour_at = None
    return old


# --------------------------------------------------------------------------- who is invited


def reachable() -> Any:
    return and_(Resident.consented_at.is_not(None), Resident.erased_at.is_(None))


def _with_role(roles: tuple[Role, ...], unit_id: int | None = None) -> Any:
    query = select(RoleGrant.resident_id).where(RoleGrant.role.in_([r.value for r in roles]))
    if unit_id is not None:
        query = query.where(RoleGrant.unit_id == unit_id)
    return Resident.id.in_(query)


def invited_filter(meeting: Meeting) -> Any:
    """The residents a meeting invites, as a WHERE clause on Resident."""
    if meeting.kind == MeetingKind.SESSION.value:
        roles = COUNCIL_ROLES + ((Role.COORDINATOR,) if meeting.with_coordinators else ())
        return _with_role(roles)
    if meeting.kind == MeetingKind.WORKING_GROUP.value:
        return _with_role((Role.WORKING_GROUP, Role.REPRESENTATIVE), meeting.unit_id)
    if meeting.locality_id is not None:
        return Resident.locality_id == meeting.locality_id
    return Resident.unit_id == meeting.unit_id


async def invited_ids(session: AsyncSession, meeting: Meeting) -> list[int]:
    result = await session.scalars(
        select(Resident.id).where(reachable(), invited_filter(meeting)).order_by(Resident.id)
    )
    return list(result)


async def is_invited(session: AsyncSession, meeting: Meeting, resident: Resident) -> bool:
    found = await session.scalar(
        select(Resident.id).where(Resident.id == resident.id, reachable(), invited_filter(meeting))
    )
    return found is not None


async def council_size(session: AsyncSession) -> int:
    """How many people sit on the council: the quorum is counted from them."""
    return int(
        await session.scalar(
            select(func.count(func.distinct(RoleGrant.resident_id))).where(
                RoleGrant.role.in_([r.value for r in COUNCIL_ROLES])
            )
        )
        or 0
    )


def quorum_of(members: int, setting: int | None) -> int:
    """How many must come: the setting, or more than half of the council."""
    return setting if setting is not None else members // 2 + 1


async def meetings_for(
    session: AsyncSession, resident: Resident, *, since: datetime
) -> list[Meeting]:
    """The meetings a resident is invited to that end after `since`, soonest first;
    cancelled ones only until they would have started."""
    candidates = await session.scalars(
        select(Meeting)
        .where(
            Meeting.starts_at >= since - timedelta(days=60),
            Meeting.invited_at.is_not(None),
            or_(
                Meeting.unit_id.is_(None),
                Meeting.unit_id == resident.unit_id,
                Meeting.kind != MeetingKind.COMMUNITY.value,
            ),
        )
        .order_by(Meeting.starts_at)
    )
    found = []
    for meeting in candidates:
        if await is_invited(session, meeting, resident):
            found.append(meeting)
    return found


async def organised_by(
    session: AsyncSession, resident_id: int, *, limit: int = 10
) -> list[Meeting]:
    result = await session.scalars(
        select(Meeting)
        .where(Meeting.organiser_id == resident_id)
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    )
    return list(result)


# --------------------------------------------------------------------------- the schedule


async def claim(session: AsyncSession, meeting: Meeting, *, marker: str, now: datetime) -> bool:
    """Set a marker only if nobody set it: True for the one that did (a conditional UPDATE,
    in the transaction that sends what the marker stands for)."""
    column = getattr(Meeting, marker)
    result = await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, column.is_(None))
        .values({marker: now})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    await session.refresh(meeting)
    return True


async def due_for_invitation(session: AsyncSession) -> list[int]:
    result = await session.scalars(
        select(Meeting.id).where(
            Meeting.status == MeetingStatus.PLANNED.value, Meeting.invited_at.is_(None)
        )
    )
    return list(result)


async def due_for_reminder(
    session: AsyncSession, *, now: datetime, marker: str, before: timedelta
) -> list[int]:
    column = getattr(Meeting, marker)
    result = await session.scalars(
        select(Meeting.id).where(
            Meeting.status == MeetingStatus.PLANNED.value,
            Meeting.invited_at.is_not(None),
            column.is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + before,
        )
    )
    return list(result)


def _on_agenda(meeting: Meeting, idea_id: int) -> bool:
    """Whether an idea has its line on the agenda ("#12 …")."""
    tag = f"#{idea_id}"
    return any((item or "").split(" ", 1)[0] == tag for item in meeting.agenda or [])


def proposed_idea_ids(meeting: Meeting) -> list[int]:
    """Questions residents proposed for the meeting that are not yet agenda lines."""
    linked = meeting.agenda_idea_ids or []
    return [idea_id for idea_id in linked if not _on_agenda(meeting, idea_id)]


def put_on_agenda(meeting: Meeting, *, idea_id: int, item: str) -> bool:
    """Add a resident's idea (or a question proposed for it) to a planned meeting's agenda;
    False if it is there already. `item` starts with "#<idea id>"."""
    if not meeting.planned:
        raise ValueError(f"meeting #{meeting.id} is {meeting.status}, not planned")
    ideas = list(meeting.agenda_idea_ids or [])
    if idea_id in ideas and _on_agenda(meeting, idea_id):
        return False
    if len(meeting.agenda or []) >= AGENDA_ITEMS_MAX:
        raise ValueError(f"at most {AGENDA_ITEMS_MAX} agenda items")
    meeting.agenda = [*(meeting.agenda or []), item[:AGENDA_ITEM_MAX]]
    if idea_id not in ideas:
        meeting.agenda_idea_ids = [*ideas, idea_id]
    return True


async def propose_question(
    session: AsyncSession,
    *,
    meeting: Meeting,
    author: Resident,
    text: str,
    show_author: bool,
    submission_key: str,
    now: datetime,
) -> tuple[Idea, bool]:
    """A resident's question for a community meeting: stored as their idea or concern (in
    the inbox of those who read their parish's items, and in their own list), and linked to
    the meeting as a proposed agenda item that gets the summary as its answer.

    Returns the idea and whether it is new (the same submission key stores it once)."""
    if meeting.kind != MeetingKind.COMMUNITY.value:
        raise ValueError("questions are proposed for community meetings")
    if not meeting.planned or now >= meeting.starts_at:
        raise ValueError(f"meeting #{meeting.id} takes no questions now")
    area = await area_by_slug(session, QUESTION_AREA)
    if area is None:
        areas = await list_areas(session)
        if not areas:
            raise ValueError("there is no area for ideas")
        area = areas[-1]
    idea, created = await submit_idea(
        session,
        author=author,
        area=area,
        text=text,
        place=None,
        photo_ref=None,
        photo_channel=None,
        show_author=show_author,
        keep_text=False,
        submission_key=submission_key,
        now=now,
    )
    ideas = list(meeting.agenda_idea_ids or [])
    if idea.id not in ideas:
        meeting.agenda_idea_ids = [*ideas, idea.id]
        await session.flush()
    return idea, created


async def upcoming_organised(
    session: AsyncSession, resident_id: int, *, now: datetime
) -> list[Meeting]:
    """The planned meetings a person called that have not begun, soonest first."""
    result = await session.scalars(
        select(Meeting)
        .where(
            Meeting.organiser_id == resident_id,
            Meeting.status == MeetingStatus.PLANNED.value,
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at)
        .limit(5)
    )
    return list(result)
