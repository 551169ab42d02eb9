"""Nomination rounds: scheduled, opened and closed on time, never two at once in a unit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.nominations.tables import (
    MINIMUM_AGE,
    SUPPORTERS_NEEDED,
    NominationRound,
    Refused,
    RoundStatus,
)


async def create_round(
    session: AsyncSession,
    *,
    unit_ids: list[int] | None,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    supporters_needed: int = SUPPORTERS_NEEDED,
    minimum_age: int = MINIMUM_AGE,
    multiple_support: bool = False,
    created_by_id: int | None = None,
) -> NominationRound:
    """Schedule a round; the scheduler opens it at its start. Overlapping rounds are refused."""
    if ends_at <= starts_at:
        raise Refused("round_order")
    if ends_at <= now:
        raise Refused("round_past")
    if not 1 <= supporters_needed <= 1000:
        raise Refused("round_supporters")
    if not 14 <= minimum_age <= 120:
        raise Refused("round_age")
    if unit_ids is not None and not unit_ids:
        raise Refused("round_units")
    existing = await session.scalars(
        select(NominationRound).where(
            NominationRound.status != RoundStatus.CLOSED.value,
            NominationRound.starts_at < ends_at,
            NominationRound.ends_at > starts_at,
        )
    )
    for other in existing:
        if unit_ids is None or other.unit_ids is None or set(unit_ids) & set(other.unit_ids):
            raise Refused("round_overlap", round=other)
    item = NominationRound(
        unit_ids=sorted(set(unit_ids)) if unit_ids is not None else None,
        starts_at=max(starts_at, now),
        ends_at=ends_at,
        supporters_needed=supporters_needed,
        minimum_age=minimum_age,
        multiple_support=multiple_support,
        created_by_id=created_by_id,
    )
    session.add(item)
    await session.flush()
    return item


async def round_for_unit(
    session: AsyncSession, unit_id: int, now: datetime
) -> NominationRound | None:
    """The round that matters to a unit now: the open one, else the next, else the last."""
    rounds = [
        item
        for item in await session.scalars(
            select(NominationRound).order_by(NominationRound.starts_at)
        )
        if item.covers(unit_id)
    ]
    current = [item for item in rounds if item.is_open(now)]
    if current:
        return current[0]
    upcoming = [
        item
        for item in rounds
        if item.starts_at > now and item.status == RoundStatus.SCHEDULED.value
    ]
    if upcoming:
        return upcoming[0]
    return rounds[-1] if rounds else None


async def open_round_for_unit(
    session: AsyncSession, unit_id: int, now: datetime
) -> NominationRound:
    """The open round of a unit, or Refused("round_closed") naming the round that matters."""
    item = await round_for_unit(session, unit_id, now)
    if item is None or not item.is_open(now):
        raise Refused("round_closed", round=item)
    return item


async def list_rounds(session: AsyncSession) -> list[NominationRound]:
    return list(
        await session.scalars(select(NominationRound).order_by(NominationRound.starts_at.desc()))
    )


async def due_to_open(session: AsyncSession, now: datetime) -> list[NominationRound]:
    """Scheduled rounds whose start has come and whose end has not; marked open here."""
    rounds = list(
        await session.scalars(
            select(NominationRound)
            .where(
                NominationRound.status == RoundStatus.SCHEDULED.value,
                NominationRound.starts_at <= now,
                NominationRound.ends_at > now,
            )
            .with_for_update()
        )
    )
    for item in rounds:
        item.status = RoundStatus.OPEN.value
        item.opened_at = now
    await session.flush()
    return rounds


async def due_to_close(session: AsyncSession, now: datetime) -> list[NominationRound]:
    """Rounds whose end has come; marked closed here (also one never opened while down)."""
    rounds = list(
        await session.scalars(
            select(NominationRound)
            .where(
                NominationRound.status != RoundStatus.CLOSED.value,
                NominationRound.ends_at <= now,
            )
            .with_for_update()
        )
    )
    for item in rounds:
        item.status = RoundStatus.CLOSED.value
        item.closed_at = now
    await session.flush()
    return rounds


async def get_round(session: AsyncSession, round_id: int) -> NominationRound | None:
    return await session.get(NominationRound, round_id)


async def end_round_now(session: AsyncSession, item: NominationRound, now: datetime) -> bool:
    """End a round early. One that has not started is cancelled (deleted: nobody has been
    told of it); an open one ends now, and the scheduler closes it as at any end, telling the
    candidates. True when it was cancelled; Refused("round_closed") for a closed round."""
    if item.status == RoundStatus.CLOSED.value or item.ends_at <= now:
        raise Refused("round_closed")
    if item.status == RoundStatus.SCHEDULED.value and item.starts_at > now:
        await session.delete(item)
        await session.flush()
        return True
    item.ends_at = now
    await session.flush()
    return False
