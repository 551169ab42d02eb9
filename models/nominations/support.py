"""Residents' support for candidates, in chat or from a paper form, and its withdrawal.

The two "one support" rules are UNIQUE constraints, so they hold also when attempts race."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.nominations.candidacies import count_supporters
from models.nominations.tables import (
    Nomination,
    NominationStatus,
    Refused,
    Support,
    SupportOrigin,
    clean_name,
)
from models.residents import Resident


@dataclass(frozen=True)
class Supported:
    support: Support
    count: int
    # True for the one support that brought the candidate to the number needed.
    reached_threshold: bool


def check_may_support(nomination: Nomination, resident: Resident, now: datetime) -> None:
    """The rules a resident meets before being asked to declare anything."""
    item = nomination.round
    if not item.is_open(now):
        raise Refused("round_closed", round=item)
    if not nomination.collecting:
        if nomination.status == NominationStatus.AWAITING_CONSENT.value:
            raise Refused("no_consent", nomination=nomination)
        raise Refused("not_collecting", nomination=nomination)
    if resident.unit_id != nomination.unit_id:
        raise Refused("other_unit", nomination=nomination, unit=resident.unit)
    if nomination.candidate_id == resident.id:
        raise Refused("own_nomination", nomination=nomination)


async def existing_support(
    session: AsyncSession, *, nomination: Nomination, resident: Resident
) -> Support | None:
    """The support that stands in the way: for this candidate, or (one-candidate rounds)
    for another candidate of the same round."""
    query = select(Support).where(Support.supporter_id == resident.id)
    if nomination.round.multiple_support:
        query = query.where(Support.nomination_id == nomination.id)
    else:
        query = query.join(Nomination, Nomination.id == Support.nomination_id).where(
            or_(
                Support.nomination_id == nomination.id,
                Nomination.round_id == nomination.round_id,
            )
        )
    return await session.scalar(query.order_by(Support.id).limit(1))


async def add_support(
    session: AsyncSession,
    *,
    nomination: Nomination,
    resident: Resident,
    name: str,
    now: datetime,
) -> Supported:
    """Record a resident's support; their declaration (age, residence) is stored with the time.

    The insert runs in a savepoint and the UNIQUE constraints decide: of attempts that race,
    one is recorded and the others are refused as "already".
    """
    check_may_support(nomination, resident, now)
    item = nomination.round
    support = Support(
        nomination_id=nomination.id,
        supporter_id=resident.id,
        exclusive_round_id=None if item.multiple_support else item.id,
        name=clean_name(name),
        origin=SupportOrigin.CHAT.value,
        declared_age=item.minimum_age,
        declared_at=now,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(support)
            await session.flush()
    except IntegrityError:
        other = await existing_support(session, nomination=nomination, resident=resident)
        if other is not None and other.nomination_id != nomination.id:
            raise Refused("supports_other", support=other) from None
        raise Refused("already_supports", support=other) from None
    return await _counted(session, nomination, support, now)


async def add_paper_support(
    session: AsyncSession,
    *,
    nomination: Nomination,
    name: str,
    recorded_by_id: int | None,
    now: datetime,
) -> Supported:
    """A supporter who signed on paper (no phone, no account), typed in by a coordinator."""
    if not nomination.collecting:
        raise Refused("not_collecting", nomination=nomination)
    support = Support(
        nomination_id=nomination.id,
        supporter_id=None,
        name=clean_name(name),
        origin=SupportOrigin.PAPER.value,
        declared_age=nomination.round.minimum_age,
        declared_at=now,
        recorded_by_id=recorded_by_id,
        created_at=now,
    )
    session.add(support)
    await session.flush()
    return await _counted(session, nomination, support, now)


async def _counted(
    session: AsyncSession, nomination: Nomination, support: Support, now: datetime
) -> Supported:
    count = await count_supporters(session, nomination.id)
    reached = False
    if count >= nomination.round.supporters_needed:
        # Only one transaction wins this update, however many reach the number at once.
        result = await session.execute(
            update(Nomination)
            .where(Nomination.id == nomination.id, Nomination.threshold_told_at.is_(None))
            .values(threshold_told_at=now)
            .execution_options(synchronize_session=False)
        )
        reached = result.rowcount == 1
    return Supported(support, count, reached)


async def supports_of(session: AsyncSession, resident_id: int) -> list[Support]:
    return list(
        await session.scalars(
            select(Support).where(Support.supporter_id == resident_id).order_by(Support.id)
        )
    )


async def withdraw_support(session: AsyncSession, support: Support, now: datetime) -> None:
    """Take a support back while the round is open."""
    if not support.nomination.round.is_open(now):
        raise Refused("round_closed", round=support.nomination.round)
    await session.delete(support)
    await session.flush()
