"""The outreach kit: placements (where a poster hangs), who joined through each, the council's
unified text per language, and the representatives' consent to show their name on posters."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.i18n import N_
from models import codes
from models.base import Base, utcnow
from models.residents import Resident
from models.roles import Role, RoleGrant
from models.territory import Locality, Unit, place_label

# The kinds of place the conference named; coordinators may give any other kind (a slug).
KIND_LABELS = {
    "library": N_("Library"),
    "shop": N_("Shop"),
    "hairdresser": N_("Hairdresser"),
    "service_point": N_("Client-service point"),
    "school": N_("School"),
    "house_elder": N_("House elder"),
    "event": N_("Event"),
}
KINDS = tuple(KIND_LABELS)
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,31}")
# Printed on paper and typed after START: six characters without look-alikes (models/codes.py).
CODE_LENGTH = 6
# A typed code after START: any case, with spaces or hyphens the person added, always a digit.
CODE_TYPED = rf"(?=[^0-9]*[0-9])(?:[A-Za-z0-9][ \-]?){{{CODE_LENGTH - 1}}}[A-Za-z0-9]"
# The unified text: its first line is the heading.
TEXT_MAX = 900
POSTER_NAME_MAX = 80


def kind_slug(text: str) -> str:
    """A kind as typed ("client-service point", "Service-Point") as stored: `service_point`."""
    slug = re.sub(r"[\s\-]+", "_", text.strip().casefold())
    return "service_point" if slug in ("client_service_point", "clientservice_point") else slug


class Placement(Base):
    """A place where the council's poster or flyers are: a library, a shop, an event."""

    __tablename__ = "outreach_placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    locality_id: Mapped[int | None] = mapped_column(
        ForeignKey("localities.id", ondelete="SET NULL")
    )
    # A retired placement's code still opens the bot, as a normal start with a short note.
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    locality: Mapped[Locality | None] = relationship(lazy="joined")

    def place_in(self, language: str) -> str:
        return place_label(self.unit, self.locality, language)


class OutreachJoin(Base):
    """Which placement (and code) brought a resident: theirs, so in /mydata and erased."""

    __tablename__ = "outreach_joins"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), unique=True
    )
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_placements.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    placement: Mapped[Placement] = relationship(lazy="joined")


class OutreachText(Base):
    """The council's unified text in one language, as coordinators keep it."""

    __tablename__ = "outreach_texts"

    language: Mapped[str] = mapped_column(String(5), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )


class PosterName(Base):
    """A representative's consent to have their name printed on their unit's posters."""

    __tablename__ = "poster_names"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(POSTER_NAME_MAX))
    agreed_at: Mapped[datetime] = mapped_column(default=utcnow)


# ------------------------------------------------------------------------------- placements


async def add_placement(
    session: AsyncSession,
    *,
    unit: Unit,
    locality: Locality | None,
    kind: str,
    name: str,
    created_by: Resident | None = None,
) -> Placement:
    """A new placement with a fresh code; raises ValueError for a bad kind or name."""
    kind = kind_slug(kind)
    if not KIND_PATTERN.fullmatch(kind):
        raise ValueError("a kind is a word of letters, digits and _ (e.g. library, market)")
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise ValueError("a placement needs a name of at most 200 characters")
    if locality is not None and locality.unit_id != unit.id:
        raise ValueError("that village or neighbourhood is in another parish or town")
    code = codes.new_code(CODE_LENGTH)
    while await session.scalar(select(Placement.id).where(Placement.code == code)):
        code = codes.new_code(CODE_LENGTH)
    placement = Placement(
        code=code,
        kind=kind,
        name=name,
        unit_id=unit.id,
        locality_id=locality.id if locality else None,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(placement)
    await session.flush()
    await session.refresh(placement)
    return placement


async def placement_by_code(session: AsyncSession, code: str) -> Placement | None:
    """The placement of a code as typed (any case, spaces or hyphens added)."""
    return await session.scalar(select(Placement).where(Placement.code == codes.normal(code)))


async def list_placements(
    session: AsyncSession, *, unit_id: int | None = None, active_only: bool = True
) -> list[Placement]:
    query = select(Placement).order_by(Placement.unit_id, Placement.id)
    if unit_id is not None:
        query = query.where(Placement.unit_id == unit_id)
    if active_only:
        query = query.where(Placement.active.is_(True))
    return list(await session.scalars(query))


async def placement_of_kind(
    session: AsyncSession,
    *,
    unit: Unit,
    locality: Locality | None,
    kind: str,
    default_name: str,
    created_by: Resident | None = None,
) -> tuple[Placement, bool]:
    """The active placement of a kind in a place, made (named `default_name`) when there is
    none; raises LookupError when several are there (two shops: choose by code)."""
    query = select(Placement).where(
        Placement.unit_id == unit.id,
        Placement.kind == kind_slug(kind),
        Placement.active.is_(True),
        Placement.locality_id.is_(None)
        if locality is None
        else Placement.locality_id == locality.id,
    )
    found = list(await session.scalars(query))
    if len(found) > 1:
        raise LookupError(", ".join(f"{item.code} ({item.name})" for item in found))
    if found:
        return found[0], False
    made = await add_placement(
        session, unit=unit, locality=locality, kind=kind, name=default_name, created_by=created_by
    )
    return made, True


# ------------------------------------------------------------------------------------ joins


async def record_join(
    session: AsyncSession, *, resident: Resident, placement: Placement, channel: str
) -> None:
    """Write down the placement that brought a new resident (once: the first one counts)."""
    if await session.scalar(select(OutreachJoin.id).where(OutreachJoin.resident_id == resident.id)):
        return
    session.add(
        OutreachJoin(
            resident_id=resident.id,
            placement_id=placement.id,
            code=placement.code,
            channel=channel,
        )
    )
    await session.flush()


@dataclass(frozen=True)
class Reach:
    """Residents a placement brought, in all and per week (the Monday the week begins)."""

    placement: Placement
    total: int
    weeks: dict[date, int]


def week_of(moment: datetime, timezone: ZoneInfo) -> date:
    day = moment.astimezone(timezone).date()
    return day - timedelta(days=day.weekday())


async def reach(
    session: AsyncSession, *, timezone: ZoneInfo, unit_id: int | None = None
) -> list[Reach]:
    """Every placement (retired ones too) with the residents who joined through it."""
    query = select(OutreachJoin.placement_id, OutreachJoin.joined_at).join(
        Resident, Resident.id == OutreachJoin.resident_id
    )
    query = query.where(Resident.erased_at.is_(None))
    weeks: dict[int, Counter[date]] = {}
    for placement_id, joined_at in await session.execute(query):
        weeks.setdefault(placement_id, Counter())[week_of(joined_at, timezone)] += 1
    return [
        Reach(
            placement=item,
            total=sum(weeks.get(item.id, Counter()).values()),
            weeks=dict(sorted(weeks.get(item.id, Counter()).items(), reverse=True)),
        )
        for item in await list_placements(session, unit_id=unit_id, active_only=False)
    ]


# ----------------------------------------------------------------------------- the texts


async def stored_text(session: AsyncSession, language: str) -> str | None:
    found = await session.get(OutreachText, language)
    return found.text if found is not None else None


def clean_text(text: str) -> str:
    """The unified text as stored: lines stripped, at most one empty line between paragraphs;
    raises ValueError when empty or too long for a poster."""
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not cleaned:
        raise ValueError("empty")
    if len(cleaned) > TEXT_MAX:
        raise ValueError("too long")
    return cleaned


async def set_text(
    session: AsyncSession, *, language: str, text: str, by: Resident | None = None
) -> str:
    cleaned = clean_text(text)
    found = await session.get(OutreachText, language)
    if found is None:
        found = OutreachText(language=language, text=cleaned)
        session.add(found)
    found.text = cleaned
    found.updated_at = utcnow()
    found.updated_by_id = by.id if by else None
    await session.flush()
    return cleaned


# ------------------------------------------------------------------- names on the posters


async def poster_name_of(session: AsyncSession, resident_id: int) -> str | None:
    found = await session.get(PosterName, resident_id)
    return found.name if found is not None else None


async def set_poster_name(session: AsyncSession, *, resident: Resident, name: str | None) -> None:
    """Agree to show `name` on the unit's posters, or (None) withdraw that."""
    await session.execute(delete(PosterName).where(PosterName.resident_id == resident.id))
    if name:
        session.add(PosterName(resident_id=resident.id, name=name))
    await session.flush()


async def representative_name(session: AsyncSession, unit_id: int) -> str | None:
    """The name a representative of the unit agreed to show; None when none agreed."""
    return await session.scalar(
        select(PosterName.name)
        .join(RoleGrant, RoleGrant.resident_id == PosterName.resident_id)
        .join(Resident, Resident.id == PosterName.resident_id)
        .where(
            RoleGrant.role == Role.REPRESENTATIVE.value,
            RoleGrant.unit_id == unit_id,
            Resident.erased_at.is_(None),
        )
        .order_by(RoleGrant.id)
        .limit(1)
    )


# --------------------------------------------------------------------- the person's own data


async def export_personal_data(session: AsyncSession, resident: Resident) -> dict[str, object]:
    joined = await session.scalar(
        select(OutreachJoin).where(OutreachJoin.resident_id == resident.id)
    )
    return {
        "joined_through": (
            {
                "placement": joined.placement.name,
                "code": joined.code,
                "channel": joined.channel,
                "at": joined.joined_at.isoformat(),
            }
            if joined is not None
            else None
        ),
        "name_on_posters": await poster_name_of(session, resident.id),
    }


async def erase_personal_data(session: AsyncSession, resident: Resident) -> None:
    await session.execute(delete(OutreachJoin).where(OutreachJoin.resident_id == resident.id))
    await session.execute(delete(PosterName).where(PosterName.resident_id == resident.id))
