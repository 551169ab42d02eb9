"""Who sees the coverage of which place: the one rule behind the chat's "Coverage" and the
staff console's coverage page, checked on every request by both."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from models.houses import Coverage, coverage
from models.roles import Role, Roles
from models.territory import Locality, Unit, list_units, locality_by_id


class Scope(enum.StrEnum):
    UNIT = "unit"
    LOCALITY = "loc"
    ELDER = "elder"  # the houses the person is house elder of


@dataclass(frozen=True)
class Place:
    """A place whose coverage someone may see: a unit, a locality, or their houses."""

    scope: Scope
    place_id: int | None = None
    unit: Unit | None = None
    locality: Locality | None = None


def sees_every_unit(roles: Roles) -> bool:
    """Coordinators, administrators and the chair see the coverage of every unit."""
    return roles.is_staff or roles.has(Role.CHAIR)


def sees_coverage(roles: Roles) -> bool:
    return (
        sees_every_unit(roles)
        or bool(roles.units_as(Role.REPRESENTATIVE))
        or bool(roles.localities_as(Role.DEPUTY))
        or bool(roles.elder_houses)
    )


def _sees_unit(roles: Roles, unit_id: int) -> bool:
    return sees_every_unit(roles) or unit_id in roles.units_as(Role.REPRESENTATIVE)


async def coverage_places(session: AsyncSession, roles: Roles) -> list[Place]:
    """The places this person may see the coverage of, units first."""
    places = [
        Place(Scope.UNIT, unit.id, unit=unit)
        for unit in await list_units(session)
        if _sees_unit(roles, unit.id)
    ]
    for locality_id in sorted(roles.localities_as(Role.DEPUTY)):
        locality = await locality_by_id(session, locality_id)
        if locality is not None and not _sees_unit(roles, locality.unit_id):
            places.append(Place(Scope.LOCALITY, locality.id, unit=locality.unit, locality=locality))
    if roles.elder_houses:
        places.append(Place(Scope.ELDER))
    return places


async def coverage_of(
    session: AsyncSession, roles: Roles, *, scope: Scope, place_id: int | None
) -> list[Coverage] | None:
    """The coverage rows of a place (its total first), or None when this person may not
    see it; an empty list when an elder's houses are gone."""
    if scope is Scope.ELDER:
        if not roles.elder_houses or place_id is not None:
            return None
        units = await list_units(session)
        rows = await coverage(session, units=units, house_ids=sorted(roles.elder_houses))
        found = [row for row in rows if row.houses]
        return [merge_coverage(found)] if found else []
    if place_id is None:
        return None
    if scope is Scope.UNIT:
        unit = await session.get(Unit, place_id)
        if unit is None or not _sees_unit(roles, unit.id):
            return None
        return await coverage(session, units=[unit])
    locality = await locality_by_id(session, place_id)
    if locality is None or not (
        _sees_unit(roles, locality.unit_id) or locality.id in roles.localities_as(Role.DEPUTY)
    ):
        return None
    rows = await coverage(session, units=[locality.unit], locality_id=locality.id)
    for row in rows:
        row.total = True
        row.locality = locality
    return rows


def merge_coverage(rows: list[Coverage]) -> Coverage:
    """An elder's houses may lie in several parishes: one total over them."""
    merged = Coverage(unit=rows[0].unit, locality=None, total=True, elder=True)
    for row in rows:
        merged.houses += row.houses
        merged.reached += row.reached
        merged.flats += row.flats
        merged.flats_reached += row.flats_reached
        merged.not_reached.extend(row.not_reached)
    return merged
