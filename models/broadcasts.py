"""Broadcasts (council messages and unit announcements) and their one-row-per-recipient outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    and_,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from models.base import Base, utcnow
from models.residents import Identity, Resident
from models.territory import Unit


class Kind(enum.StrEnum):
    COUNCIL = "council"  # a unified council message (chair, vice-chair, coordinators)
    ANNOUNCEMENT = "announcement"  # a representative's or deputy's message to their place


class Status(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # taken by a dispatcher, not yet on the wire
    SENDING = "sending"  # on the wire: committed just before the platform is called
    DELIVERED = "delivered"
    BLOCKED = "blocked"  # the person blocked the bot; their account is marked inactive
    FAILED = "failed"
    UNKNOWN = "unknown"  # on the wire when a dispatcher died: never re-sent blindly
    CANCELLED = "cancelled"


FINAL = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.BLOCKED,
        DeliveryStatus.FAILED,
        DeliveryStatus.UNKNOWN,
        DeliveryStatus.CANCELLED,
    }
)
TEXT_MAX = 3500
LANGUAGES = ("lv", "ru", "en")


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    # Every unit (all), a set of units, or one locality.
    unit_ids: Mapped[list[int] | None] = mapped_column(JSON)
    locality_id: Mapped[int | None] = mapped_column(
        ForeignKey("localities.id", ondelete="SET NULL")
    )
    # The unit or "unit, locality" an announcement is from, shown in its heading.
    place: Mapped[str | None] = mapped_column(String(200))
    # {"lv": "...", "ru": "...", "en": "..."}; Latvian is always there.
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The platform's id of a file the sender sent in chat (a Telegram file_id).
    attachment_ref: Mapped[str | None] = mapped_column(String(200))
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=Status.SCHEDULED.value, index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Where the sender follows the progress: one status message, edited as it goes.
    report_channel: Mapped[str | None] = mapped_column(String(16))
    report_chat_id: Mapped[str | None] = mapped_column(String(64))
    report_message_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def everywhere(self) -> bool:
        return self.unit_ids is None and self.locality_id is None

    def text_for(self, language: str) -> str:
        return self.texts.get(language) or self.texts["lv"]


class Delivery(Base):
    """One recipient of one broadcast: a resident's account, or a unit's Telegram group."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "channel", "chat_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    is_group: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(5), default="lv")
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    # Messages of this delivery already sent (text, then attachment): a retry goes on from here.
    parts_done: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(120))


def audience_filter(broadcast: Broadcast) -> Any:
    """The residents a broadcast reaches, as a WHERE clause on Resident."""
    if broadcast.locality_id is not None:
        return Resident.locality_id == broadcast.locality_id
    if broadcast.unit_ids is not None:
        return Resident.unit_id.in_(broadcast.unit_ids)
    return Resident.unit_id.is_not(None)


def _reachable(broadcast: Broadcast) -> Any:
    """Residents who consented, are not erased, receive broadcasts, and have an account."""
    return and_(
        Resident.consented_at.is_not(None),
        Resident.erased_at.is_(None),
        Resident.subscribed.is_(True),
        audience_filter(broadcast),
    )


def _first_active_identity() -> Any:
    """The resident's first active account: active, with no active one of a lower id.

    Written as NOT EXISTS, which PostgreSQL runs as one anti-join. The same condition as
    `id = (SELECT min(id) ...)` per resident was planned as a walk along the whole primary
    key for every resident when the tables had no statistics yet (a bulk import, autovacuum
    not yet run): twenty minutes for 100,000 residents instead of a fraction of a second.
    """
    other = aliased(Identity)
    earlier = (
        select(other.id)
        .where(
            other.resident_id == Identity.resident_id,
            other.active.is_(True),
            other.id < Identity.id,
        )
        .exists()
    )
    return and_(Identity.active.is_(True), ~earlier)


async def count_recipients(session: AsyncSession, broadcast: Broadcast) -> int:
    """How many residents the broadcast would reach now (groups not counted)."""
    query = (
        select(func.count())
        .select_from(Resident)
        .join(Identity, Identity.resident_id == Resident.id)
        .where(_reachable(broadcast), _first_active_identity())
    )
    return int(await session.scalar(query) or 0)


async def create_deliveries(
    session: AsyncSession, broadcast: Broadcast, *, channels: set[str]
) -> int:
    """Resolve the audience into one pending row per resident (on the channels this
    deployment runs), in one statement; announcements also go to the unit's group."""
    chosen = (
        select(
            literal(broadcast.id),
            Resident.id,
            Identity.channel,
            Identity.external_id,
            literal(False),
            Resident.language,
            literal(DeliveryStatus.PENDING.value),
            literal(0),
            literal(0),
        )
        .join(Identity, Identity.resident_id == Resident.id)
        .where(
            _reachable(broadcast), _first_active_identity(), Identity.channel.in_(sorted(channels))
        )
    )
    columns = [
        "broadcast_id",
        "resident_id",
        "channel",
        "chat_id",
        "is_group",
        "language",
        "status",
        "attempts",
        "parts_done",
    ]
    table = Delivery.__table__
    result = await session.execute(table.insert().from_select(columns, chosen))
    count = result.rowcount
    if (
        broadcast.kind == Kind.ANNOUNCEMENT.value
        and broadcast.locality_id is None
        and "telegram" in channels
    ):
        groups = await session.scalars(
            select(Unit.telegram_group_chat_id).where(
                Unit.id.in_(broadcast.unit_ids or []), Unit.telegram_group_chat_id.is_not(None)
            )
        )
        for chat_id in groups:
            session.add(
                Delivery(
                    broadcast_id=broadcast.id,
                    channel="telegram",
                    chat_id=str(chat_id),
                    is_group=True,
                    status=DeliveryStatus.PENDING.value,
                )
            )
            count += 1
        await session.flush()
    return count


async def delivery_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    )
    counts = {status.value: 0 for status in DeliveryStatus}
    for status, number in rows:
        counts[status] = number
    return counts


async def get_broadcast(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def list_broadcasts(session: AsyncSession, *, limit: int = 50) -> list[Broadcast]:
    result = await session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
    return list(result)


async def cancel_broadcast(session: AsyncSession, broadcast: Broadcast) -> int:
    """Stop a scheduled or running broadcast; rows not yet on the wire never go."""
    broadcast.status = Status.CANCELLED.value
    broadcast.finished_at = utcnow()
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.broadcast_id == broadcast.id,
            Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.CLAIMED.value]),
        )
        .values(status=DeliveryStatus.CANCELLED.value, finished_at=utcnow(), claimed_by=None)
    )
    return result.rowcount


async def news_for(session: AsyncSession, resident: Resident, *, limit: int = 5) -> list[Broadcast]:
    """The latest broadcasts that reached (or would reach) this resident's unit."""
    if resident.unit_id is None:
        return []
    query = (
        select(Broadcast)
        .where(Broadcast.status.in_([Status.SENDING.value, Status.DONE.value]))
        .order_by(Broadcast.started_at.desc(), Broadcast.id.desc())
        .limit(limit * 4)
    )
    found: list[Broadcast] = []
    for broadcast in await session.scalars(query):
        if broadcast.locality_id is not None:
            if broadcast.locality_id != resident.locality_id:
                continue
        elif broadcast.unit_ids is not None and resident.unit_id not in broadcast.unit_ids:
            continue
        found.append(broadcast)
        if len(found) == limit:
            break
    return found


def due_filter(now: datetime) -> Any:
    return or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)
