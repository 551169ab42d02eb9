"""Notices of new offers for a place a resident chose."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.router import fold
from models.neighbour_help.tables import (
    HelpBlock,
    HelpPost,
    HelpSubscription,
)
from models.residents import Resident
from models.territory import Locality


async def subscriptions_of(session: AsyncSession, resident_id: int) -> list[HelpSubscription]:
    return list(
        await session.scalars(
            select(HelpSubscription)
            .where(HelpSubscription.resident_id == resident_id)
            .order_by(HelpSubscription.id)
        )
    )


async def subscribe(
    session: AsyncSession, *, resident: Resident, label: str, now: datetime
) -> bool:
    if resident.unit_id is None:
        return False
    key = fold(label)
    for item in await subscriptions_of(session, resident.id):
        if item.unit_id == resident.unit_id and item.place == key:
            return False
    session.add(
        HelpSubscription(
            resident_id=resident.id,
            unit_id=resident.unit_id,
            place=key,
            label=label,
            created_at=now,
        )
    )
    await session.flush()
    return True


async def unsubscribe(session: AsyncSession, *, resident_id: int, subscription_id: int) -> bool:
    item = await session.get(HelpSubscription, subscription_id)
    if item is None or item.resident_id != resident_id:
        return False
    await session.delete(item)
    await session.flush()
    return True


async def subscribers_for(session: AsyncSession, post: HelpPost) -> list[int]:
    """Residents to tell of a new offer: subscribed to a place it goes from or to."""
    places = {fold(place) for place in (post.from_place, post.to_place) if place}
    if post.locality_id is not None:
        locality = await session.get(Locality, post.locality_id)
        if locality is not None:
            places.add(fold(locality.name))
    if not places:
        return []
    blocked = select(HelpBlock.blocker_id).where(HelpBlock.blocked_id == post.author_id)
    rows = await session.scalars(
        select(HelpSubscription.resident_id).where(
            HelpSubscription.unit_id == post.unit_id,
            HelpSubscription.place.in_(places),
            HelpSubscription.resident_id != post.author_id,
            HelpSubscription.resident_id.not_in(blocked),
        )
    )
    return sorted(set(rows))
