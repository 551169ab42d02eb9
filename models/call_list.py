"""The call list after an important message: the residents it did not reach, by territory,
and what their representative or deputy did about each of them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.broadcasts import Broadcast, Delivery, DeliveryStatus, Kind, Status, audience_filter
from models.messaging import MessageStatus
from models.personal_data import add_section
from models.residents import Identity, Resident
from models.roles import Role, RoleGrant, Roles

# How long after a message went out its call list goes to the representatives and deputies.
CALL_LIST_AFTER = timedelta(days=1)
# A message older than this gets no call list any more (after a long outage, or for the
# messages sent before call lists existed): telling people a week late helps nobody.
CALL_LIST_UNTIL = timedelta(days=7)
# Messengers that tell when a message was read: a message delivered there but never read
# did not reach its resident either.
REPORTS_READING = frozenset({"whatsapp"})


class Reason(enum.StrEnum):
    """Why a line is on the call list."""

    BLOCKED = "blocked"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NEEDS_TEMPLATE = "needs_template"
    NOT_READ = "not_read"
    NO_PHONE = "no_phone"  # a resident without a phone, registered by staff
    NO_ACCOUNT = "no_account"  # no messenger account that can be written to any more


class Outcome(enum.StrEnum):
    IN_PERSON = "in_person"
    BY_PHONE = "by_phone"
    UNREACHED = "unreached"


_REASON_BY_STATUS = {
    DeliveryStatus.BLOCKED.value: Reason.BLOCKED,
    DeliveryStatus.FAILED.value: Reason.FAILED,
    DeliveryStatus.UNKNOWN.value: Reason.UNKNOWN,
    DeliveryStatus.NEEDS_TEMPLATE.value: Reason.NEEDS_TEMPLATE,
}


class CallListMark(Base):
    """What a representative or deputy did to tell one resident an important message."""

    __tablename__ = "call_list_marks"
    __table_args__ = (UniqueConstraint("broadcast_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class UnreachedRow:
    """One line of a call list."""

    resident_id: int
    name: str | None
    phone: str | None
    offline_contact: str | None
    offline_details: str | None
    unit_id: int | None
    locality_id: int | None
    reason: Reason
    outcome: Outcome | None


def with_call_list(broadcast: Broadcast) -> bool:
    """Whether a message gets a call list: an important or urgent one to residents."""
    return broadcast.kind != Kind.NOTICE.value and (broadcast.important or broadcast.urgent)


def _territory(unit_id: int | None, locality_id: int | None) -> Any:
    if locality_id is not None:
        return Resident.locality_id == locality_id
    if unit_id is not None:
        return Resident.unit_id == unit_id
    return Resident.unit_id.is_not(None)


async def unreached_rows(
    session: AsyncSession,
    broadcast: Broadcast,
    *,
    unit_id: int | None = None,
    locality_id: int | None = None,
) -> list[UnreachedRow]:
    """The residents of a territory (a unit, a locality, or everywhere) the message did not
    reach, by name, with the mark each one has; the list for the chat, the CLI and the
    console alike."""
    where = [
        audience_filter(broadcast),
        _territory(unit_id, locality_id),
        Resident.consented_at.is_not(None),
        Resident.erased_at.is_(None),
    ]
    reasons: dict[int, Reason] = {}
    rows = await session.execute(
        select(Delivery.resident_id, Delivery.status, Delivery.channel, MessageStatus.read_at)
        .join(Resident, Resident.id == Delivery.resident_id)
        .outerjoin(MessageStatus, MessageStatus.message_id == Delivery.provider_message_id)
        .where(Delivery.broadcast_id == broadcast.id, Delivery.is_group.is_(False), *where)
    )
    reached: set[int] = set()
    for resident_id, status, channel, read_at in rows:
        reason = _REASON_BY_STATUS.get(status)
        if (
            reason is None
            and channel in REPORTS_READING
            and status in (DeliveryStatus.DELIVERED.value, DeliveryStatus.SENT.value)
            and read_at is None
        ):
            reason = Reason.NOT_READ
        if reason is None:
            reached.add(resident_id)
        else:
            reasons.setdefault(resident_id, reason)
    has_row = select(Delivery.id).where(
        Delivery.broadcast_id == broadcast.id, Delivery.resident_id == Resident.id
    )
    # Residents the message had no row for: those without a phone, and those (still taking
    # messages) whose every account was closed, e.g. after they blocked the bot earlier.
    active = select(Identity.id).where(
        Identity.resident_id == Resident.id, Identity.active.is_(True)
    )
    others = await session.execute(
        select(Resident.id, Resident.offline_contact).where(
            *where,
            ~has_row.exists(),
            or_(
                Resident.offline_contact.is_not(None),
                (Resident.subscribed.is_(True)) & ~active.exists(),
            ),
        )
    )
    for resident_id, offline in others:
        if resident_id not in reached:
            reasons[resident_id] = Reason.NO_PHONE if offline else Reason.NO_ACCOUNT
    if not reasons:
        return []
    marks = dict(
        (
            await session.execute(
                select(CallListMark.resident_id, CallListMark.outcome).where(
                    CallListMark.broadcast_id == broadcast.id,
                    CallListMark.resident_id.in_(reasons),
                )
            )
        ).all()
    )
    people = await session.scalars(
        select(Resident)
        .where(Resident.id.in_(reasons))
        .order_by(func.lower(func.coalesce(Resident.display_name, "")), Resident.id)
    )
    return [
        UnreachedRow(
            resident_id=person.id,
            name=person.display_name,
            phone=person.phone,
            offline_contact=person.offline_contact,
            offline_details=person.offline_details,
            unit_id=person.unit_id,
            locality_id=person.locality_id,
            reason=reasons[person.id],
            outcome=Outcome(marks[person.id]) if person.id in marks else None,
        )
        for person in people
    ]


def territory_of(roles: Roles, resident: Resident) -> bool:
    """Whether a resident lives where this person is the representative or deputy."""
    return (
        resident.unit_id is not None and resident.unit_id in roles.units_as(Role.REPRESENTATIVE)
    ) or (
        resident.locality_id is not None
        and resident.locality_id in roles.localities_as(Role.DEPUTY)
    )


async def record_mark(
    session: AsyncSession,
    *,
    broadcast_id: int,
    resident_id: int,
    outcome: Outcome,
    marked_by_id: int | None,
    now: datetime,
) -> CallListMark:
    """Keep what was done for one line; a later mark replaces an earlier one."""
    mark = await session.scalar(
        select(CallListMark).where(
            CallListMark.broadcast_id == broadcast_id, CallListMark.resident_id == resident_id
        )
    )
    if mark is None:
        mark = CallListMark(broadcast_id=broadcast_id, resident_id=resident_id)
        session.add(mark)
    mark.outcome = outcome.value
    mark.marked_by_id = marked_by_id
    mark.marked_at = now
    await session.flush()
    return mark


async def mark_counts(session: AsyncSession, broadcast_id: int) -> dict[Outcome, int]:
    """How many lines of a message's call list were marked each way."""
    counts = {outcome: 0 for outcome in Outcome}
    rows = await session.execute(
        select(CallListMark.outcome, func.count())
        .where(CallListMark.broadcast_id == broadcast_id)
        .group_by(CallListMark.outcome)
    )
    for outcome, number in rows:
        counts[Outcome(outcome)] = int(number)
    return counts


async def due_call_lists(session: AsyncSession, *, now: datetime) -> list[int]:
    """Important and urgent messages that went out a day ago and have no call list yet."""
    result = await session.scalars(
        select(Broadcast.id)
        .where(
            Broadcast.kind != Kind.NOTICE.value,
            or_(Broadcast.important.is_(True), Broadcast.urgent.is_(True)),
            Broadcast.status.in_([Status.SENDING.value, Status.DONE.value]),
            Broadcast.started_at <= now - CALL_LIST_AFTER,
            Broadcast.started_at > now - CALL_LIST_UNTIL,
            Broadcast.call_list_at.is_(None),
        )
        .order_by(Broadcast.id)
    )
    return list(result)


async def claim_call_list(session: AsyncSession, broadcast_id: int, *, now: datetime) -> bool:
    """Mark a message's call list as sent, once: True for the one transaction that did."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.call_list_at.is_(None))
        .values(call_list_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class Keeper:
    """A representative (of a unit) or deputy (of a locality) who gets a call list."""

    resident_id: int
    unit_id: int | None
    locality_id: int | None


async def keepers_for(session: AsyncSession, broadcast: Broadcast) -> list[Keeper]:
    """The representatives and deputies of the places a message went to."""
    grants = await session.execute(
        select(RoleGrant.resident_id, RoleGrant.role, RoleGrant.unit_id, RoleGrant.locality_id)
        .join(Resident, Resident.id == RoleGrant.resident_id)
        .where(
            Resident.erased_at.is_(None),
            or_(
                (RoleGrant.role == Role.REPRESENTATIVE.value) & RoleGrant.unit_id.is_not(None),
                (RoleGrant.role == Role.DEPUTY.value) & RoleGrant.locality_id.is_not(None),
            ),
        )
        .order_by(RoleGrant.id)
    )
    found: list[Keeper] = []
    for resident_id, role, unit_id, locality_id in grants:
        keeper = (
            Keeper(resident_id, unit_id, None)
            if role == Role.REPRESENTATIVE.value
            else Keeper(resident_id, None, locality_id)
        )
        if keeper not in found:
            found.append(keeper)
    return found


async def export_marks_of(session: AsyncSession, resident: Resident) -> list[dict[str, Any]]:
    marks = await session.scalars(
        select(CallListMark)
        .where(CallListMark.resident_id == resident.id)
        .order_by(CallListMark.id)
    )
    return [
        {"message": mark.broadcast_id, "told": mark.outcome, "at": mark.marked_at.isoformat()}
        for mark in marks
    ]


async def erase_marks_of(session: AsyncSession, resident: Resident) -> None:
    """The marks about the person go; the marks they made stay, without their name."""
    await session.execute(delete(CallListMark).where(CallListMark.resident_id == resident.id))
    await session.execute(
        update(CallListMark)
        .where(CallListMark.marked_by_id == resident.id)
        .values(marked_by_id=None)
        .execution_options(synchronize_session=False)
    )


add_section("call_list", export_marks_of, erase_marks_of)
