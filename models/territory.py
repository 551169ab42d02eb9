"""Units (parishes and the town) and their localities (villages, neighbourhoods)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

LOCALITY_NAME_MAX = 80


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    sort_order: Mapped[int] = mapped_column(default=0)
    invite_link: Mapped[str | None] = mapped_column(String(300))
    telegram_group_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)

    # Loaded on purpose with `list_localities`: most screens need the units' names only.
    localities: Mapped[list[Locality]] = relationship(
        back_populates="unit", order_by="Locality.name", lazy="raise"
    )


class Locality(Base):
    __tablename__ = "localities"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(LOCALITY_NAME_MAX))

    unit: Mapped[Unit] = relationship(back_populates="localities", lazy="joined")


# Built once: onboarding runs these for every resident.
_UNITS = select(Unit).order_by(Unit.sort_order, Unit.name)
_UNIT_BY_SLUG = select(Unit).where(Unit.slug == bindparam("slug"))
_LOCALITIES_OF = (
    select(Locality).where(Locality.unit_id == bindparam("unit_id")).order_by(Locality.name)
)


async def list_units(session: AsyncSession) -> list[Unit]:
    return list(await session.scalars(_UNITS))


_unit_choices: list[tuple[str, str]] = []


async def unit_choices(session: AsyncSession) -> list[tuple[str, str]]:
    """(official name, slug) of every unit, in order. Units come with the migrations and
    never change while the bot runs, so they are read once per process: onboarding shows
    them to every newcomer."""
    if not _unit_choices:
        _unit_choices.extend((unit.name, unit.slug) for unit in await list_units(session))
    return list(_unit_choices)


async def unit_by_slug(session: AsyncSession, slug: str) -> Unit | None:
    return await session.scalar(_UNIT_BY_SLUG, {"slug": slug})


async def unit_by_group_chat(session: AsyncSession, chat_id: int) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.telegram_group_chat_id == chat_id))


async def list_localities(session: AsyncSession, unit_id: int) -> list[Locality]:
    return list(await session.scalars(_LOCALITIES_OF, {"unit_id": unit_id}))


async def locality_by_id(session: AsyncSession, locality_id: int) -> Locality | None:
    return await session.get(Locality, locality_id)


async def add_locality(session: AsyncSession, *, unit: Unit, name: str) -> Locality:
    """Add a locality to a unit; the same name twice (any letter case) is refused."""
    clean = " ".join(name.split())
    if not clean or len(clean) > LOCALITY_NAME_MAX:
        raise ValueError(f"a locality name has 1 to {LOCALITY_NAME_MAX} characters")
    # casefold in Python: SQLite's lower() leaves Latvian letters as they are
    existing = await list_localities(session, unit.id)
    if any(item.name.casefold() == clean.casefold() for item in existing):
        raise ValueError("this unit already has a locality of that name")
    locality = Locality(unit_id=unit.id, name=clean)
    session.add(locality)
    await session.flush()
    return locality
