"""Neighbouring units, and the rides offered there that go the viewer's way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.neighbour_help.tables import (
    SHOWN_AFTER_START,
    HelpBlock,
    HelpDestination,
    HelpPost,
    Kind,
    PostStatus,
    UnitNeighbour,
)
from models.residents import Resident
from models.territory import Locality, Unit

# At most this many rides of neighbouring units follow the viewer's own unit's posts.
PASSING_MAX = 5


async def neighbours_of(session: AsyncSession, unit_id: int) -> list[Unit]:
    return list(
        await session.scalars(
            select(Unit)
            .join(UnitNeighbour, UnitNeighbour.neighbour_id == Unit.id)
            .where(UnitNeighbour.unit_id == unit_id)
            .order_by(Unit.name)
        )
    )


async def add_neighbours(session: AsyncSession, one: Unit, other: Unit) -> bool:
    """Record that two units border each other; False when they already do."""
    if one.id == other.id:
        raise ValueError("A parish or town cannot be its own neighbour.")
    known = await session.scalar(
        select(UnitNeighbour.id).where(
            UnitNeighbour.unit_id == one.id, UnitNeighbour.neighbour_id == other.id
        )
    )
    if known is not None:
        return False
    session.add_all(
        [
            UnitNeighbour(unit_id=one.id, neighbour_id=other.id),
            UnitNeighbour(unit_id=other.id, neighbour_id=one.id),
        ]
    )
    await session.flush()
    return True


async def remove_neighbours(session: AsyncSession, one: Unit, other: Unit) -> bool:
    result = await session.execute(
        delete(UnitNeighbour).where(
            or_(
                (UnitNeighbour.unit_id == one.id) & (UnitNeighbour.neighbour_id == other.id),
                (UnitNeighbour.unit_id == other.id) & (UnitNeighbour.neighbour_id == one.id),
            )
        )
    )
    return bool(result.rowcount)


def _key(place: str | None) -> str:
    return " ".join((place or "").split()).casefold()


async def places_of(session: AsyncSession, unit_id: int) -> set[str]:
    """The names a route may give for the unit's own places: the unit, its villages and
    neighbourhoods, and the destinations its residents go to."""
    names: set[str] = set()
    unit = await session.get(Unit, unit_id)
    if unit is not None:
        names.add(_key(unit.name))
    names.update(
        _key(name)
        for name in await session.scalars(select(Locality.name).where(Locality.unit_id == unit_id))
    )
    names.update(
        _key(name)
        for name in await session.scalars(
            select(HelpDestination.name).where(HelpDestination.unit_id == unit_id)
        )
    )
    names.discard("")
    return names


def goes_through(post: HelpPost, places: set[str]) -> bool:
    """A ride offered elsewhere that starts or ends at one of `places`."""
    if post.kind != Kind.RIDE_OFFER.value:
        return False
    return _key(post.from_place) in places or _key(post.to_place) in places


async def passing_rides(
    session: AsyncSession, *, viewer: Resident, now: datetime, limit: int = PASSING_MAX
) -> list[HelpPost]:
    """Open ride offers of the viewer's neighbouring units that go where the viewer's unit
    goes (or come from there), soonest first; none of anyone blocked either way."""
    if viewer.unit_id is None:
        return []
    neighbours = select(UnitNeighbour.neighbour_id).where(UnitNeighbour.unit_id == viewer.unit_id)
    blocked = select(HelpBlock.blocked_id).where(HelpBlock.blocker_id == viewer.id)
    blockers = select(HelpBlock.blocker_id).where(HelpBlock.blocked_id == viewer.id)
    rows = await session.scalars(
        select(HelpPost)
        .where(
            HelpPost.unit_id.in_(neighbours),
            HelpPost.kind == Kind.RIDE_OFFER.value,
            HelpPost.status == PostStatus.OPEN.value,
            HelpPost.starts_at > now - SHOWN_AFTER_START,
            HelpPost.author_id.is_not(None),
            HelpPost.author_id != viewer.id,
            HelpPost.author_id.not_in(blocked),
            HelpPost.author_id.not_in(blockers),
        )
        .order_by(HelpPost.starts_at, HelpPost.id)
        .limit(200)
    )
    places = await places_of(session, viewer.unit_id)
    return [post for post in rows if goes_through(post, places)][:limit]


async def may_see(session: AsyncSession, post: HelpPost, viewer: Resident) -> bool:
    """A post of the viewer's own unit, or a neighbouring unit's ride that goes their way."""
    if viewer.unit_id is None:
        return False
    if post.unit_id == viewer.unit_id:
        return True
    if post.kind != Kind.RIDE_OFFER.value:
        return False
    neighbour = await session.scalar(
        select(UnitNeighbour.id).where(
            UnitNeighbour.unit_id == viewer.unit_id, UnitNeighbour.neighbour_id == post.unit_id
        )
    )
    return neighbour is not None and goes_through(post, await places_of(session, viewer.unit_id))
