"""Residents' ideas and concerns, the council's areas of responsibility, and who may read what.

An idea belongs to the unit (and locality) of its author. It reaches the unit's representative
and the locality's deputy; a representative may forward it to the council member responsible
for its area. The chair and coordinators see everything.

One module of about 700 lines on purpose: who may read an item, what erasure keeps and the
queries that enforce both are one set of rules, read and changed together.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    ForeignKey,
    LargeBinary,
    Select,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.conversations import relabel_options
from models.messaging import erase_media
from models.personal_data import add_section
from models.residents import Resident
from models.roles import Role, RoleGrant, Roles
from models.territory import Locality, Unit

TEXT_MAX = 2000
ANSWER_MAX = 2000
PLACE_MAX = 300
AREA_NAME_MAX = 80
SPECIALIST_MAX = 200
# The name an author without one from their messenger gives to be shown with an idea.
AUTHOR_NAME_MAX = 120
# An item waiting longer than this without an answer is named in the weekly digest.
UNANSWERED_AFTER = timedelta(days=7)
AREA_LANGUAGES = ("lv", "ru", "en")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# Roles whose holders sit on the council and may be given an area.
COUNCIL_ROLES = (Role.CHAIR, Role.VICE_CHAIR, Role.COUNCIL_MEMBER, Role.REPRESENTATIVE)


class IdeaStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    FORWARDED = "forwarded"
    ANSWERED = "answered"
    CLOSED = "closed"
    DUPLICATE = "duplicate"


# Items still waiting for an answer.
OPEN_STATUSES = (IdeaStatus.NEW, IdeaStatus.IN_PROGRESS, IdeaStatus.FORWARDED)


class IdeaArea(Base):
    """A field of the council's work (culture, roads, ...). Staff edit the list; it is data."""

    __tablename__ = "idea_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    # {"lv": ..., "ru": ..., "en": ...}; Latvian is always there.
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    sort_order: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False)
    # An outside specialist the council may consult on this area.
    specialist_name: Mapped[str | None] = mapped_column(String(SPECIALIST_MAX))
    specialist_contact: Mapped[str | None] = mapped_column(String(SPECIALIST_MAX))

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names["lv"]


class AreaMember(Base):
    """A council member responsible for an area; the chair assigns them."""

    __tablename__ = "idea_area_members"
    __table_args__ = (UniqueConstraint("area_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("idea_areas.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resident: Mapped[Resident] = relationship(foreign_keys=[resident_id], lazy="joined")


class Idea(Base):
    __tablename__ = "ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None once the author erased their data (or never known for imported items).
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    locality_id: Mapped[int | None] = mapped_column(
        ForeignKey("localities.id", ondelete="SET NULL"), index=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("idea_areas.id"), index=True)
    # None when the author erased their data and did not let the text stay.
    text: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(PLACE_MAX))
    # The platform's id of a photo the author sent (a Telegram file_id) and its channel.
    photo_ref: Mapped[str | None] = mapped_column(String(200))
    photo_channel: Mapped[str | None] = mapped_column(String(16))
    # The photo itself, so it shows on any messenger; read only by `idea_photo`.
    photo_data: Mapped[bytes | None] = mapped_column(
        LargeBinary, deferred=True, deferred_raiseload=True
    )
    photo_mime: Mapped[str | None] = mapped_column(String(100))
    # Whether the representative may see who wrote it.
    show_author: Mapped[bool] = mapped_column(default=False)
    # Whether the text stays (without the author) if the author erases their data.
    keep_text: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=IdeaStatus.NEW.value, index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    forwarded_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    # One key per submission flow: a Send tapped twice stores one idea.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship(lazy="joined")
    locality: Mapped[Locality | None] = relationship(lazy="joined")
    area: Mapped[IdeaArea] = relationship(lazy="joined")


class IdeaAnswer(Base):
    """An answer sent to the author through the assistant."""

    __tablename__ = "idea_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaDigest(Base):
    """A weekly digest sent, one row per ISO week: a restart never sends it twice."""

    __tablename__ = "idea_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(10), unique=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(default=0)


# ---------------------------------------------------------------------- areas


def check_slug(slug: str) -> str:
    clean = slug.strip().casefold()
    if not _SLUG_RE.match(clean):
        raise ValueError("a slug has 1 to 40 letters a-z, digits and hyphens")
    return clean


def clean_area_names(names: dict[str, str | None]) -> dict[str, str]:
    cleaned = {
        language: " ".join(value.split())
        for language, value in names.items()
        if language in AREA_LANGUAGES and value and value.strip()
    }
    for value in cleaned.values():
        if len(value) > AREA_NAME_MAX:
            raise ValueError(f"an area name has at most {AREA_NAME_MAX} characters")
    return cleaned


async def list_areas(session: AsyncSession, *, include_hidden: bool = False) -> list[IdeaArea]:
    query = select(IdeaArea).order_by(IdeaArea.sort_order, IdeaArea.id)
    if not include_hidden:
        query = query.where(IdeaArea.hidden.is_(False))
    return list(await session.scalars(query))


async def area_by_slug(session: AsyncSession, slug: str) -> IdeaArea | None:
    return await session.scalar(select(IdeaArea).where(IdeaArea.slug == slug.strip().casefold()))


async def add_area(session: AsyncSession, *, slug: str, names: dict[str, str | None]) -> IdeaArea:
    clean_slug = check_slug(slug)
    cleaned = clean_area_names(names)
    if "lv" not in cleaned:
        raise ValueError("an area needs its Latvian name")
    if await area_by_slug(session, clean_slug) is not None:
        raise ValueError(f"there is already an area {clean_slug!r}")
    last = max(
        (area.sort_order for area in await list_areas(session, include_hidden=True)), default=0
    )
    area = IdeaArea(slug=clean_slug, names=cleaned, sort_order=last + 10)
    session.add(area)
    await session.flush()
    return area


def rename_area(area: IdeaArea, names: dict[str, str | None]) -> None:
    cleaned = clean_area_names(names)
    if not cleaned:
        raise ValueError("give at least one new name")
    area.names = {**area.names, **cleaned}


def set_specialist(area: IdeaArea, *, name: str | None, contact: str | None) -> None:
    """Name an outside specialist for the area; no name clears it."""
    name = " ".join((name or "").split()) or None
    contact = " ".join((contact or "").split()) or None
    for value in (name, contact):
        if value is not None and len(value) > SPECIALIST_MAX:
            raise ValueError(f"at most {SPECIALIST_MAX} characters")
    area.specialist_name = name
    area.specialist_contact = contact if name else None


async def area_members(session: AsyncSession, area_id: int) -> list[AreaMember]:
    result = await session.scalars(
        select(AreaMember).where(AreaMember.area_id == area_id).order_by(AreaMember.id)
    )
    return list(result)


async def council_people(session: AsyncSession) -> list[Resident]:
    """Everyone who holds a council role, for the chair to give areas to."""
    roles = [role.value for role in COUNCIL_ROLES]
    result = await session.scalars(
        select(Resident)
        .where(
            Resident.id.in_(select(RoleGrant.resident_id).where(RoleGrant.role.in_(roles))),
            Resident.erased_at.is_(None),
        )
        .order_by(Resident.display_name, Resident.id)
    )
    return list(result.unique())


async def is_council_person(session: AsyncSession, resident_id: int) -> bool:
    roles = [role.value for role in COUNCIL_ROLES]
    found = await session.scalar(
        select(RoleGrant.id).where(RoleGrant.resident_id == resident_id, RoleGrant.role.in_(roles))
    )
    return found is not None


async def assign_area(
    session: AsyncSession, *, area: IdeaArea, resident: Resident, by: Resident | None
) -> bool:
    """Make a council member responsible for an area; False when they already are."""
    if not await is_council_person(session, resident.id):
        raise ValueError("only a council member can be responsible for an area")
    existing = await session.scalar(
        select(AreaMember).where(
            AreaMember.area_id == area.id, AreaMember.resident_id == resident.id
        )
    )
    if existing is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                AreaMember(
                    area_id=area.id,
                    resident_id=resident.id,
                    assigned_by_id=by.id if by else None,
                )
            )
    except IntegrityError:
        return False
    return True


async def unassign_area(session: AsyncSession, *, area: IdeaArea, resident_id: int) -> bool:
    existing = await session.scalar(
        select(AreaMember).where(
            AreaMember.area_id == area.id, AreaMember.resident_id == resident_id
        )
    )
    if existing is None:
        return False
    await session.delete(existing)
    await session.flush()
    return True


# ---------------------------------------------------------------------- ideas


async def submit_idea(
    session: AsyncSession,
    *,
    author: Resident,
    area: IdeaArea,
    text: str,
    place: str | None,
    photo_ref: str | None,
    photo_channel: str | None,
    show_author: bool,
    keep_text: bool,
    submission_key: str,
    now: datetime,
    photo: tuple[bytes, str] | None = None,
) -> tuple[Idea, bool]:
    """Store a resident's idea; the same submission key twice stores it once.

    Returns the idea and whether it is new.
    """
    if author.unit_id is None:
        raise ValueError("the author has no unit")
    clean = text.strip()
    if not clean or len(clean) > TEXT_MAX:
        raise ValueError(f"the text has 1 to {TEXT_MAX} characters")
    existing = await idea_by_key(session, submission_key)
    if existing is not None:
        return existing, False
    idea = Idea(
        author_id=author.id,
        unit_id=author.unit_id,
        locality_id=author.locality_id,
        area_id=area.id,
        text=clean,
        place=(place or "").strip()[:PLACE_MAX] or None,
        photo_ref=photo_ref,
        photo_channel=photo_channel if photo_ref else None,
        photo_data=photo[0] if photo else None,
        photo_mime=photo[1] if photo else None,
        show_author=show_author,
        keep_text=keep_text,
        status=IdeaStatus.NEW.value,
        submission_key=submission_key,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(idea)
    except IntegrityError:
        # The same Send handled at the same moment elsewhere: its row is the one.
        existing = await idea_by_key(session, submission_key)
        if existing is None:
            raise
        return existing, False
    await session.refresh(idea)
    return idea, True


async def idea_by_key(session: AsyncSession, key: str) -> Idea | None:
    return await session.scalar(select(Idea).where(Idea.submission_key == key))


async def get_idea(session: AsyncSession, idea_id: int) -> Idea | None:
    return await session.get(Idea, idea_id)


async def ideas_of(session: AsyncSession, author_id: int, *, limit: int = 20) -> list[Idea]:
    result = await session.scalars(
        select(Idea)
        .where(Idea.author_id == author_id)
        .order_by(Idea.created_at.desc(), Idea.id.desc())
        .limit(limit)
    )
    return list(result)


async def answers_to(session: AsyncSession, idea_id: int) -> list[IdeaAnswer]:
    result = await session.scalars(
        select(IdeaAnswer).where(IdeaAnswer.idea_id == idea_id).order_by(IdeaAnswer.id)
    )
    return list(result)


def may_see_all(roles: Roles) -> bool:
    """The chair and coordinators (and administrators) read every item."""
    return roles.is_staff or roles.has(Role.CHAIR)


def may_use_inbox(roles: Roles) -> bool:
    return may_see_all(roles) or any(roles.has(role) for role in (*COUNCIL_ROLES, Role.DEPUTY))


def may_read(roles: Roles, resident_id: int | None, idea: Idea) -> bool:
    """The unit's representative, its locality's deputy, the council member it was forwarded
    to, the chair and coordinators; nobody else."""
    if may_see_all(roles):
        return True
    if idea.unit_id in roles.units_as(Role.REPRESENTATIVE):
        return True
    if idea.locality_id is not None and idea.locality_id in roles.localities_as(Role.DEPUTY):
        return True
    return resident_id is not None and idea.forwarded_to_id == resident_id


def readable(roles: Roles, resident_id: int | None) -> Any:
    """`may_read` as a WHERE clause on Idea."""
    if may_see_all(roles):
        return Idea.id.is_not(None)
    conditions = []
    units = roles.units_as(Role.REPRESENTATIVE)
    if units:
        conditions.append(Idea.unit_id.in_(sorted(units)))
    localities = roles.localities_as(Role.DEPUTY)
    if localities:
        conditions.append(Idea.locality_id.in_(sorted(localities)))
    if resident_id is not None:
        conditions.append(Idea.forwarded_to_id == resident_id)
    return or_(*conditions) if conditions else false()


def _filtered(
    query: Select[Any], *, status: str | None, area_id: int | None, unit_id: int | None = None
) -> Select[Any]:
    if status:
        query = query.where(Idea.status == status)
    if area_id:
        query = query.where(Idea.area_id == area_id)
    if unit_id:
        query = query.where(Idea.unit_id == unit_id)
    return query


async def inbox(
    session: AsyncSession,
    *,
    roles: Roles,
    resident_id: int | None,
    status: str | None = None,
    area_id: int | None = None,
    unit_id: int | None = None,
    before: datetime | None = None,
    offset: int = 0,
    limit: int = 8,
) -> list[Idea]:
    """What this person may read, newest first; `before`: only items received before then."""
    query = _filtered(
        select(Idea).where(readable(roles, resident_id)),
        status=status,
        area_id=area_id,
        unit_id=unit_id,
    )
    if before is not None:
        query = query.where(Idea.created_at < before)
    result = await session.scalars(
        query.order_by(Idea.created_at.desc(), Idea.id.desc()).offset(offset).limit(limit)
    )
    return list(result)


async def ideas_between(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    roles: Roles | None = None,
    resident_id: int | None = None,
) -> list[Idea]:
    """Every item created in [start, end), by unit and area; `roles` None means all."""
    query = select(Idea).where(Idea.created_at >= start, Idea.created_at < end)
    if roles is not None:
        query = query.where(readable(roles, resident_id))
    query = (
        query.join(Unit, Unit.id == Idea.unit_id)
        .join(IdeaArea, IdeaArea.id == Idea.area_id)
        .order_by(Unit.sort_order, Unit.name, IdeaArea.sort_order, Idea.created_at, Idea.id)
    )
    return list(await session.scalars(query))


@dataclass(frozen=True)
class Recipients:
    """Who hears of a new item in a unit (and locality)."""

    representatives: tuple[int, ...]
    deputies: tuple[int, ...]

    @property
    def everyone(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.representatives) | set(self.deputies)))


async def recipients_for(
    session: AsyncSession, *, unit_id: int, locality_id: int | None
) -> Recipients:
    reps = await session.scalars(
        select(RoleGrant.resident_id).where(
            RoleGrant.role == Role.REPRESENTATIVE.value, RoleGrant.unit_id == unit_id
        )
    )
    deputies: Sequence[int] = []
    if locality_id is not None:
        deputies = list(
            await session.scalars(
                select(RoleGrant.resident_id).where(
                    RoleGrant.role == Role.DEPUTY.value,
                    RoleGrant.locality_id == locality_id,
                )
            )
        )
    return Recipients(tuple(sorted(set(reps))), tuple(sorted(set(deputies))))


async def holders_of(session: AsyncSession, role: Role) -> list[int]:
    result = await session.scalars(
        select(RoleGrant.resident_id).where(RoleGrant.role == role.value).distinct()
    )
    return sorted(result)


def set_status(idea: Idea, status: IdeaStatus, *, now: datetime) -> bool:
    """Change the status; False when it already is that."""
    if idea.status == status.value:
        return False
    idea.status = status.value
    idea.updated_at = now
    if status is not IdeaStatus.DUPLICATE:
        idea.duplicate_of_id = None
    return True


async def answer_idea(
    session: AsyncSession, *, idea: Idea, by: Resident, text: str, now: datetime
) -> IdeaAnswer:
    clean = text.strip()
    if not clean or len(clean) > ANSWER_MAX:
        raise ValueError(f"an answer has 1 to {ANSWER_MAX} characters")
    answer = IdeaAnswer(idea_id=idea.id, by_id=by.id, text=clean, created_at=now)
    session.add(answer)
    idea.status = IdeaStatus.ANSWERED.value
    idea.duplicate_of_id = None
    idea.answered_at = now
    idea.updated_at = now
    await session.flush()
    return answer


def _representative_grants(unit_id: int | None = None) -> Any:
    """Grants of the representative role to people not erased, of one unit or of all."""
    query = (
        select(RoleGrant)
        .join(Resident, Resident.id == RoleGrant.resident_id)
        .where(RoleGrant.role == Role.REPRESENTATIVE.value, Resident.erased_at.is_(None))
    )
    return query if unit_id is None else query.where(RoleGrant.unit_id == unit_id)


async def units_with_representatives(session: AsyncSession) -> set[int]:
    """The units that have a representative, to forward an item to another unit."""
    grants = await session.scalars(_representative_grants())
    return {grant.unit_id for grant in grants if grant.unit_id is not None}


async def unit_representatives(session: AsyncSession, unit_id: int) -> list[Resident]:
    """The representatives of a unit, in the order they were given the role."""
    grants = await session.scalars(_representative_grants(unit_id).order_by(RoleGrant.id))
    return [grant.resident for grant in grants]


async def forward_idea(
    session: AsyncSession,
    *,
    idea: Idea,
    to_resident_id: int,
    now: datetime,
    unit_id: int | None = None,
) -> None:
    """Forward to a council member responsible for the item's area or, with `unit_id`, to a
    representative of that other unit (a concern that belongs to the neighbouring parish)."""
    if unit_id is None:
        members = {member.resident_id for member in await area_members(session, idea.area_id)}
        if to_resident_id not in members:
            raise ValueError("that council member is not responsible for this area")
    else:
        if unit_id == idea.unit_id:
            raise ValueError("the item's own unit is not another unit")
        representatives = {person.id for person in await unit_representatives(session, unit_id)}
        if to_resident_id not in representatives:
            raise ValueError("that person is not a representative of that unit")
    idea.forwarded_to_id = to_resident_id
    idea.status = IdeaStatus.FORWARDED.value
    idea.duplicate_of_id = None
    idea.updated_at = now
    await session.flush()


async def mark_duplicate(session: AsyncSession, *, idea: Idea, of: Idea, now: datetime) -> None:
    if of.id == idea.id:
        raise ValueError("an item cannot be a duplicate of itself")
    idea.status = IdeaStatus.DUPLICATE.value
    idea.duplicate_of_id = of.id
    idea.updated_at = now
    await session.flush()


async def unanswered(
    session: AsyncSession, *, before: datetime, unit_ids: Sequence[int] | None = None
) -> list[Idea]:
    query = select(Idea).where(
        Idea.status.in_([status.value for status in OPEN_STATUSES]),
        Idea.created_at < before,
    )
    if unit_ids is not None:
        query = query.where(Idea.unit_id.in_(list(unit_ids)))
    return list(await session.scalars(query.order_by(Idea.created_at, Idea.id)))


async def created_between(
    session: AsyncSession, *, start: datetime, end: datetime, unit_ids: Sequence[int] | None = None
) -> list[Idea]:
    query = select(Idea).where(and_(Idea.created_at >= start, Idea.created_at < end))
    if unit_ids is not None:
        query = query.where(Idea.unit_id.in_(list(unit_ids)))
    return list(await session.scalars(query.order_by(Idea.unit_id, Idea.area_id, Idea.id)))


async def claim_digest(session: AsyncSession, *, week: str, now: datetime) -> IdeaDigest | None:
    """Claim this week's digest; None when it was already sent (or is being sent elsewhere)."""
    if await session.scalar(select(IdeaDigest.id).where(IdeaDigest.week == week)) is not None:
        return None
    digest = IdeaDigest(week=week, recipients=0, sent_at=now)
    try:
        async with session.begin_nested():
            session.add(digest)
    except IntegrityError:
        return None
    return digest


# ---------------------------------------------------------------------- personal data


async def idea_photo(session: AsyncSession, idea: Idea) -> tuple[bytes, str] | None:
    """The photo kept with an idea and its type; None when only a reference was kept."""
    if idea.photo_mime is None:
        return None
    data = await session.scalar(select(Idea.photo_data).where(Idea.id == idea.id))
    return (data, idea.photo_mime) if data else None


async def export_ideas_of(session: AsyncSession, resident: Resident) -> list[dict[str, Any]]:
    """The resident's own items for /mydata."""
    items = []
    for idea in await ideas_of(session, resident.id, limit=1000):
        items.append(
            {
                "id": idea.id,
                "created_at": idea.created_at.isoformat(),
                "area": idea.area.name_in(resident.language),
                "status": idea.status,
                "text": idea.text,
                "place": idea.place,
                "photo": bool(idea.photo_ref or idea.photo_mime),
                "representative_may_see_who_wrote_it": idea.show_author,
                "text_stays_after_erasure": idea.keep_text,
                "answers": [
                    {"at": answer.created_at.isoformat(), "text": answer.text}
                    for answer in await answers_to(session, idea.id)
                ],
            }
        )
    return items


async def erase_ideas_of(session: AsyncSession, resident: Resident) -> None:
    """The author link always goes; the text stays only if the author said so.

    Areas given to the person and items forwarded to them lose the link too.
    """
    photos = await session.scalars(
        select(Idea.photo_data).where(
            Idea.author_id == resident.id,
            Idea.keep_text.is_(False),
            Idea.photo_data.is_not(None),
        )
    )
    # Copies wait in the media store: the one sent with the idea, those shown to staff.
    await erase_media(session, contents=[photo for photo in photos if photo])
    erased: dict[str, str] = {}
    for idea in await ideas_of(session, resident.id, limit=100_000):
        idea.author_id = None
        idea.submission_key = None
        if not idea.keep_text:
            erased[f"ideaitem:{idea.id}"] = f"#{idea.id}"
            idea.text = None
            idea.place = None
            idea.photo_ref = None
            idea.photo_channel = None
            idea.photo_data = None
            idea.photo_mime = None
            for answer in await answers_to(session, idea.id):
                await session.delete(answer)
    for member in await session.scalars(
        select(AreaMember).where(AreaMember.resident_id == resident.id)
    ):
        await session.delete(member)
    for idea in await session.scalars(select(Idea).where(Idea.forwarded_to_id == resident.id)):
        idea.forwarded_to_id = None
    for answer in await session.scalars(select(IdeaAnswer).where(IdeaAnswer.by_id == resident.id)):
        answer.by_id = None
    # Staff lists show an item's number and the start of its text.
    await relabel_options(session, erased)
    await session.flush()


def local_period(first: date, last: date, timezone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of day `first` to the end of day `last`, in the municipality's time."""
    if last < first:
        raise ValueError("the period ends before it starts")
    start = datetime.combine(first, time(0), tzinfo=timezone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=timezone)
    return start, end


add_section("ideas", export_ideas_of, erase_ideas_of)
