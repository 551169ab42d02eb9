"""Join requests to the units' Telegram community groups, and the welcomes to new members."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Index, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime
from models.personal_data import add_section
from models.residents import Resident, identities_of
from models.territory import Unit

# A group hears one welcome at most this often, naming everyone let in since the last one:
# Telegram allows a bot 20 messages a minute in a group, and members want few.
WELCOME_GAP = timedelta(minutes=5)
# A welcome names this many people at most, then "and N more".
WELCOME_NAMES = 10
# A request nobody settled in this time (the person never chose the unit, no coordinator let
# them in) is declined.
JOIN_REQUEST_WAIT = timedelta(days=2)


class JoinStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class ApprovedBy(enum.StrEnum):
    RESIDENT = "resident"  # already a resident of the unit when asking
    ONBOARDING = "onboarding"  # chose the unit after asking
    COORDINATOR = "coordinator"  # let in by staff


class JoinRequest(Base):
    """A person's request to join a unit's group through its join link."""

    __tablename__ = "group_join_requests"
    __table_args__ = (Index("ix_group_join_requests_unit_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    # The person's account on the channel, and the private chat the platform lets us write to.
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    user_chat_id: Mapped[str] = mapped_column(String(64))
    # Only the first name, for the welcome in the group.
    first_name: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(12), default=JoinStatus.PENDING.value)
    approved_by: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


async def record_request(
    session: AsyncSession,
    *,
    unit: Unit,
    channel: str,
    user_id: str,
    user_chat_id: str,
    first_name: str,
    now: datetime,
) -> JoinRequest:
    """The person's pending request to this unit's group (one, however often they ask)."""
    found = await session.scalar(
        select(JoinRequest).where(
            JoinRequest.unit_id == unit.id,
            JoinRequest.channel == channel,
            JoinRequest.user_id == user_id,
            JoinRequest.status == JoinStatus.PENDING.value,
        )
    )
    if found is not None:
        found.user_chat_id = user_chat_id
        return found
    request = JoinRequest(
        unit_id=unit.id,
        channel=channel,
        user_id=user_id,
        user_chat_id=user_chat_id,
        first_name=first_name[:64],
        status=JoinStatus.PENDING.value,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    return request


async def pending_requests_of(
    session: AsyncSession, *, channel: str, user_id: str
) -> list[JoinRequest]:
    return list(
        await session.scalars(
            select(JoinRequest)
            .where(
                JoinRequest.channel == channel,
                JoinRequest.user_id == user_id,
                JoinRequest.status == JoinStatus.PENDING.value,
            )
            .order_by(JoinRequest.id)
        )
    )


async def stale_requests(session: AsyncSession, *, before: datetime) -> list[JoinRequest]:
    """Requests still pending that came before `before`."""
    return list(
        await session.scalars(
            select(JoinRequest)
            .where(
                JoinRequest.status == JoinStatus.PENDING.value,
                JoinRequest.created_at < before,
            )
            .order_by(JoinRequest.id)
        )
    )


async def request_by_id(session: AsyncSession, request_id: int) -> JoinRequest | None:
    return await session.get(JoinRequest, request_id)


def decide(
    request: JoinRequest, *, approve: bool, now: datetime, by: ApprovedBy | None = None
) -> None:
    request.status = (JoinStatus.APPROVED if approve else JoinStatus.DECLINED).value
    request.approved_by = by.value if approve and by is not None else None
    request.decided_at = now


async def welcomes_due(session: AsyncSession, *, now: datetime) -> dict[int, list[JoinRequest]]:
    """Members approved and not yet welcomed, by unit, in the units whose last welcome is
    at least WELCOME_GAP ago."""
    waiting = list(
        await session.scalars(
            select(JoinRequest)
            .where(
                JoinRequest.status == JoinStatus.APPROVED.value,
                JoinRequest.welcomed_at.is_(None),
            )
            .order_by(JoinRequest.decided_at, JoinRequest.id)
        )
    )
    if not waiting:
        return {}
    rows = await session.execute(
        select(JoinRequest.unit_id, func.max(JoinRequest.welcomed_at))
        .where(JoinRequest.welcomed_at.is_not(None))
        .group_by(JoinRequest.unit_id)
    )
    last: dict[int, datetime] = {unit_id: at for unit_id, at in rows}
    due: dict[int, list[JoinRequest]] = {}
    for request in waiting:
        welcomed = last.get(request.unit_id)
        if welcomed is None or now - welcomed >= WELCOME_GAP:
            due.setdefault(request.unit_id, []).append(request)
    return due


async def group_counts(session: AsyncSession) -> dict[int, dict[str, int]]:
    """Per unit: how many requests are approved (`approved`) and pending (`pending`)."""
    counts: dict[int, dict[str, int]] = {}
    rows = await session.execute(
        select(JoinRequest.unit_id, JoinRequest.status, func.count()).group_by(
            JoinRequest.unit_id, JoinRequest.status
        )
    )
    for unit_id, status, count in rows:
        counts.setdefault(unit_id, {})[status] = count
    return counts


async def units_without_join_link(session: AsyncSession) -> list[Unit]:
    """Units with a linked Telegram group whose join link the bot has not made yet."""
    return list(
        await session.scalars(
            select(Unit).where(
                Unit.telegram_group_chat_id.is_not(None), Unit.telegram_join_link.is_(None)
            )
        )
    )


def community_link(unit: Unit) -> str | None:
    """The link residents are given: the bot's join link of the Telegram group when there is
    one, otherwise the link the representative set (a WhatsApp group, say)."""
    return unit.telegram_join_link or unit.invite_link


async def _accounts_of(session: AsyncSession, resident: Resident) -> list[tuple[str, str]]:
    return [(item.channel, item.external_id) for item in await identities_of(session, resident.id)]


async def export_requests_of(session: AsyncSession, resident: Resident) -> list[dict[str, Any]]:
    """The person's requests to join community groups."""
    found = []
    for channel, user_id in await _accounts_of(session, resident):
        rows = await session.scalars(
            select(JoinRequest).where(
                JoinRequest.channel == channel, JoinRequest.user_id == user_id
            )
        )
        for row in rows:
            unit = await session.get(Unit, row.unit_id)
            found.append(
                {
                    "group_of": unit.name if unit is not None else None,
                    "name_shown": row.first_name,
                    "status": row.status,
                    "asked_at": row.created_at.isoformat(),
                }
            )
    return found


async def erase_requests_of(session: AsyncSession, resident: Resident) -> None:
    for channel, user_id in await _accounts_of(session, resident):
        await session.execute(
            delete(JoinRequest).where(
                JoinRequest.channel == channel, JoinRequest.user_id == user_id
            )
        )


add_section("community_groups", export_requests_of, erase_requests_of)
