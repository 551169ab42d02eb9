"""Residents without a phone: registered by their representative, deputy or a coordinator,
who records the consent given on paper; reached by post, through a neighbour or in person,
and answering surveys on paper."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.residents import OFFLINE_CONTACTS, Resident
from models.roles import Role, Roles
from models.territory import Locality, Unit

NAME_MAX = 200
DETAILS_MAX = 300


# How they are reached that needs an address or a neighbour's name to work at all.
NEEDS_DETAILS = ("post", "neighbour")


def is_name(text: str) -> bool:
    """Whether a typed name is one: it has letters (`²`, `፩` or an emoji alone is none)."""
    return any(ch.isalpha() for ch in text)


def may_register(roles: Roles, *, unit_id: int, locality_id: int | None) -> bool:
    """A coordinator anywhere; a representative in their parish or town; a deputy in their
    village or neighbourhood."""
    if roles.is_staff:
        return True
    if unit_id in roles.units_as(Role.REPRESENTATIVE):
        return True
    return locality_id is not None and locality_id in roles.localities_as(Role.DEPUTY)


def registers_anyone(roles: Roles) -> bool:
    """Whether the person may register residents without a phone anywhere at all."""
    return (
        roles.is_staff
        or bool(roles.units_as(Role.REPRESENTATIVE))
        or bool(roles.localities_as(Role.DEPUTY))
    )


def may_manage(roles: Roles, resident: Resident) -> bool:
    """Whether the person may see, change and erase this resident without a phone."""
    if resident.offline_contact is None or resident.erased_at is not None:
        return False
    if resident.unit_id is None:
        return roles.is_staff
    return may_register(roles, unit_id=resident.unit_id, locality_id=resident.locality_id)


async def register_offline(
    session: AsyncSession,
    *,
    name: str,
    unit: Unit,
    locality: Locality | None,
    contact: str,
    details: str,
    consent_by: Resident | None,
    now: datetime,
) -> Resident:
    """A resident without a phone, with the consent they gave on paper as recorded now."""
    if contact not in OFFLINE_CONTACTS:
        raise ValueError(f"how they are reached: one of {', '.join(OFFLINE_CONTACTS)}")
    if locality is not None and locality.unit_id != unit.id:
        raise ValueError("the village or neighbourhood is not in that parish or town")
    if not is_name(name):
        raise ValueError("a name has letters")
    if contact in NEEDS_DETAILS and not details.strip():
        raise ValueError("by post or through a neighbour: the address or the neighbour is needed")
    resident = Resident(
        language="lv",
        display_name=name.strip()[:NAME_MAX],
        unit_id=unit.id,
        locality_id=locality.id if locality is not None else None,
        offline_contact=contact,
        offline_details=details.strip()[:DETAILS_MAX] or None,
        paper_consent_by_id=consent_by.id if consent_by is not None else None,
        consented_at=now,
    )
    session.add(resident)
    await session.flush()
    return resident


async def list_offline(
    session: AsyncSession, *, roles: Roles | None, unit_id: int | None = None
) -> list[Resident]:
    """Residents without a phone (those `roles` may manage; all when None), by name."""
    query = select(Resident).where(
        Resident.offline_contact.is_not(None), Resident.erased_at.is_(None)
    )
    if unit_id is not None:
        query = query.where(Resident.unit_id == unit_id)
    found = list(await session.scalars(query.order_by(Resident.display_name, Resident.id)))
    if roles is None:
        return found
    return [item for item in found if may_manage(roles, item)]


async def get_offline(session: AsyncSession, resident_id: int) -> Resident | None:
    found = await session.get(Resident, resident_id)
    if found is None or found.offline_contact is None or found.erased_at is not None:
        return None
    return found


def offline_data(resident: Resident) -> dict[str, Any] | None:
    """For /mydata (a printout handed to the person): how they are reached."""
    if resident.offline_contact is None:
        return None
    return {
        "reached": resident.offline_contact,
        "details": resident.offline_details,
        "paper_consent_recorded_by": resident.paper_consent_by_id,
    }


async def export_offline_data(session: AsyncSession, resident: Resident) -> dict[str, Any] | None:
    return offline_data(resident)


async def erase_offline_data(session: AsyncSession, resident: Resident) -> None:
    """For /forget: a staff member's name no longer stands by the consents they recorded."""
    await session.execute(
        update(Resident)
        .where(Resident.paper_consent_by_id == resident.id)
        .values(paper_consent_by_id=None)
        .execution_options(synchronize_session=False)
    )
