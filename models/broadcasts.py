"""Broadcasts (council messages and unit announcements) and their one-row-per-recipient outbox."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Sequence
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
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from models.base import Base, utcnow
from models.residents import Identity, Resident
from models.roles import Role, RoleGrant
from models.territory import Unit


class Kind(enum.StrEnum):
    COUNCIL = "council"  # a unified council message (chair, vice-chair, coordinators)
    ANNOUNCEMENT = "announcement"  # a representative's or deputy's message to their place
    # A message of the council's assistant to named residents (reminders, digests, answers),
    # sent through the same paced, crash-safe outbox; not shown under News.
    NOTICE = "notice"


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
    # Accepted by the platform, whose status callback will say delivered or failed (Twilio).
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot; their account is marked inactive
    FAILED = "failed"
    UNKNOWN = "unknown"  # on the wire when a dispatcher died: never re-sent blindly
    # WhatsApp outside the 24-hour window with no approved template for this kind of message.
    NEEDS_TEMPLATE = "needs_template"
    CANCELLED = "cancelled"


FINAL = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.SENT,
        DeliveryStatus.BLOCKED,
        DeliveryStatus.FAILED,
        DeliveryStatus.UNKNOWN,
        DeliveryStatus.NEEDS_TEMPLATE,
        DeliveryStatus.CANCELLED,
    }
)
TEXT_MAX = 3500
LANGUAGES = ("lv", "ru", "en")
# Neither message ids nor payloads hold a line break.
ACTION_SEPARATOR = "\n"
ACTION_LABELS_MAX = 200
ACTION_PAYLOADS_MAX = 64


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    # Every unit (all), a set of units, one locality, or (notices) named residents.
    unit_ids: Mapped[list[int] | None] = mapped_column(JSON)
    resident_ids: Mapped[list[int] | None] = mapped_column(JSON)
    locality_id: Mapped[int | None] = mapped_column(
        ForeignKey("localities.id", ondelete="SET NULL")
    )
    # One house (models.houses.House): its residents and its house elders. A plain number,
    # as a column added to this table cannot carry a foreign key on SQLite.
    house_id: Mapped[int | None]
    # The unit or "unit, locality" an announcement is from, shown in its heading.
    place: Mapped[str | None] = mapped_column(String(200))
    # {"lv": "...", "ru": "...", "en": "..."}; Latvian is always there.
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The platform's id of a file the sender sent in chat (a Telegram file_id).
    attachment_ref: Mapped[str | None] = mapped_column(String(200))
    # The buttons under the text, one a row: their labels (English message ids, translated
    # for each recipient) and payloads, e.g. "Answer the survey" -> "survey:open:12"; several
    # are kept one a line (see `actions`).
    action_label: Mapped[str | None] = mapped_column(String(200))
    action_payload: Mapped[str | None] = mapped_column(String(64))
    # Goes at once, also during quiet hours, and before other rows: an urgent broadcast, or a
    # personal notice answering what someone just did.
    urgent: Mapped[bool] = mapped_column(default=False)
    # The sender marked it important: a day after it went out, the representatives and
    # deputies get the list of residents it did not reach (as for every urgent one);
    # `call_list_at` is when that list went.
    important: Mapped[bool] = mapped_column(default=False, server_default=false())
    call_list_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=Status.SCHEDULED.value, index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Where the sender follows the progress: one status message, edited as it goes.
    report_channel: Mapped[str | None] = mapped_column(String(16))
    report_chat_id: Mapped[str | None] = mapped_column(String(64))
    report_message_id: Mapped[str | None] = mapped_column(String(64))
    # A trusted helper's copy of a message for the resident they help (models.helpers): the
    # resident's id, so that their /forget erases the copy's text too.
    for_resident_id: Mapped[int | None]

    @property
    def everywhere(self) -> bool:
        return (
            self.unit_ids is None
            and self.locality_id is None
            and self.resident_ids is None
            and self.house_id is None
        )

    def text_for(self, language: str) -> str:
        return self.texts.get(language) or self.texts["lv"]

    @property
    def actions(self) -> list[tuple[str, str]]:
        """The buttons under the text: (label message id, payload), in order."""
        if not self.action_label or not self.action_payload:
            return []
        return list(
            zip(
                self.action_label.split(ACTION_SEPARATOR),
                self.action_payload.split(ACTION_SEPARATOR),
                strict=True,
            )
        )

    @actions.setter
    def actions(self, buttons: Sequence[tuple[str, str]]) -> None:
        labels = ACTION_SEPARATOR.join(label for label, _ in buttons)
        payloads = ACTION_SEPARATOR.join(payload for _, payload in buttons)
        if len(labels) > ACTION_LABELS_MAX or len(payloads) > ACTION_PAYLOADS_MAX:
            raise ValueError("too many buttons for one message")
        self.action_label = labels or None
        self.action_payload = payloads or None


class Delivery(Base):
    """One recipient of one broadcast: a resident's account, or a unit's Telegram group."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "channel", "chat_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        # The rows still to send of one broadcast and channel, in the order they are claimed:
        # a claim reads its next rows here instead of sorting every pending row each time.
        Index(
            "ix_deliveries_pending",
            "broadcast_id",
            "channel",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
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
    # The platform's id of the message sent (Twilio's MessageSid): its status callbacks
    # move the row on to delivered or failed.
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)


def audience_filter(broadcast: Broadcast) -> Any:
    """The residents a broadcast reaches, as a WHERE clause on Resident."""
    if broadcast.resident_ids is not None:
        return Resident.id.in_(broadcast.resident_ids)
    if broadcast.house_id is not None:
        # The house's residents, and its house elders wherever they live.
        elders = select(RoleGrant.resident_id).where(
            RoleGrant.role == Role.HOUSE_ELDER.value, RoleGrant.house_id == broadcast.house_id
        )
        return or_(Resident.house_id == broadcast.house_id, Resident.id.in_(elders))
    if broadcast.locality_id is not None:
        return Resident.locality_id == broadcast.locality_id
    if broadcast.unit_ids is not None:
        return Resident.unit_id.in_(broadcast.unit_ids)
    return Resident.unit_id.is_not(None)


# Who has already done what a broadcast's button asks (answered the survey it invites to),
# by the kind of the button's payload: a WHERE clause on Resident from the packed payload.
_DONE_BY_KIND: dict[str, Callable[[str], Any]] = {}


def leave_out_when_done(kind: str, done: Callable[[str], Any]) -> None:
    """Send a broadcast whose button is of `kind` only to residents who have not yet done
    what it asks: decided when its deliveries are made, as late as quiet hours allow."""
    _DONE_BY_KIND[kind] = done


def _not_done(broadcast: Broadcast) -> Any:
    actions = broadcast.actions
    payload = actions[0][1] if actions else ""
    done = _DONE_BY_KIND.get(payload.split(":", 1)[0]) if payload else None
    return true() if done is None else ~done(payload)


def _reachable(broadcast: Broadcast) -> Any:
    """Residents who consented, are not erased, receive broadcasts, and have an account."""
    return and_(
        Resident.consented_at.is_not(None),
        Resident.erased_at.is_(None),
        Resident.subscribed.is_(True),
        audience_filter(broadcast),
        _not_done(broadcast),
    )


def _chosen_identity(channels: Sequence[str] | None = None) -> Any:
    """The one account a resident's broadcast goes to: on their preferred channel if it is
    active (and running), otherwise their first active one.

    Written as NOT EXISTS (no active account of the same resident ranks before this one),
    which PostgreSQL runs as one anti-join; a `min(id)` subquery per resident was planned as
    a walk along the whole primary key for every resident when the tables had no statistics
    yet (after a bulk import): minutes for 100,000 residents instead of a second.
    """
    other = aliased(Identity)
    preferred = func.coalesce(Resident.preferred_channel, "")
    other_preferred = other.channel == preferred
    this_preferred = Identity.channel == preferred
    conditions = [
        other.resident_id == Identity.resident_id,
        other.active.is_(True),
        or_(
            and_(other_preferred, ~this_preferred),
            and_(other_preferred, this_preferred, other.id < Identity.id),
            and_(~other_preferred, ~this_preferred, other.id < Identity.id),
        ),
    ]
    mine = [Identity.active.is_(True)]
    if channels is not None:
        conditions.append(other.channel.in_(channels))
        mine.append(Identity.channel.in_(channels))
    return and_(*mine, ~select(other.id).where(*conditions).exists())


async def count_recipients(session: AsyncSession, broadcast: Broadcast) -> int:
    """How many residents the broadcast would reach now (groups not counted)."""
    query = (
        select(func.count())
        .select_from(Resident)
        .join(Identity, Identity.resident_id == Resident.id)
        .where(_reachable(broadcast), _chosen_identity())
    )
    return int(await session.scalar(query) or 0)


async def recipients_by_channel(session: AsyncSession, broadcast: Broadcast) -> dict[str, int]:
    """How many residents the broadcast would reach on each messenger."""
    query = (
        select(Identity.channel, func.count())
        .select_from(Resident)
        .join(Identity, Identity.resident_id == Resident.id)
        .where(_reachable(broadcast), _chosen_identity())
        .group_by(Identity.channel)
    )
    return {channel: int(number) for channel, number in await session.execute(query)}


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
        .where(_reachable(broadcast), _chosen_identity(sorted(channels)))
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


async def list_broadcasts(
    session: AsyncSession, *, limit: int = 50, with_notices: bool = True
) -> list[Broadcast]:
    """The latest broadcasts; without the personal notices to single residents if asked."""
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    if not with_notices:
        query = query.where(Broadcast.kind != Kind.NOTICE.value)
    return list(await session.scalars(query))


def first_line(broadcast: Broadcast, limit: int) -> str:
    """The start of a broadcast's Latvian text for a list; empty once erasure emptied it."""
    return (broadcast.texts.get("lv") or "").partition("\n")[0][:limit]


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


async def cancel_done_action(
    session: AsyncSession, *, resident_id: int, action_payload: str
) -> int:
    """A resident's rows not yet sent of the broadcasts with this button, once they have
    done what it asks (answered the survey): they never go."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.resident_id == resident_id,
            Delivery.status == DeliveryStatus.PENDING.value,
            Delivery.broadcast_id.in_(
                select(Broadcast.id).where(Broadcast.action_payload == action_payload)
            ),
        )
        .values(status=DeliveryStatus.CANCELLED.value, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def resend_unknown(session: AsyncSession, broadcast: Broadcast) -> int:
    """Send a finished broadcast again to its rows left "unknown" by a crash; they may
    already have it, so only on a person's explicit choice. Acts once: a second call finds
    no unknown rows and changes nothing. Returns the rows that go again."""
    if broadcast.status != Status.DONE.value:
        return 0
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.broadcast_id == broadcast.id,
            Delivery.status == DeliveryStatus.UNKNOWN.value,
        )
        .values(
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=None,
            finished_at=None,
            error=None,
            claimed_by=None,
        )
    )
    if not result.rowcount:
        return 0
    broadcast.status = Status.SENDING.value
    broadcast.finished_at = None
    return int(result.rowcount)


async def news_for(session: AsyncSession, resident: Resident, *, limit: int = 5) -> list[Broadcast]:
    """The latest broadcasts that reached (or would reach) this resident's unit, and those
    of their own house (where they live, or are its house elder) or to them by name."""
    if resident.unit_id is None:
        return []
    houses = set(
        await session.scalars(
            select(RoleGrant.house_id).where(
                RoleGrant.resident_id == resident.id,
                RoleGrant.role == Role.HOUSE_ELDER.value,
                RoleGrant.house_id.is_not(None),
            )
        )
    )
    if resident.house_id is not None:
        houses.add(resident.house_id)
    return await news_of_place(
        session,
        unit_id=resident.unit_id,
        locality_id=resident.locality_id,
        limit=limit,
        house_ids=houses,
        resident_id=resident.id,
    )


async def news_of_place(
    session: AsyncSession,
    *,
    unit_id: int,
    locality_id: int | None,
    limit: int = 5,
    house_ids: Collection[int] = (),
    resident_id: int | None = None,
) -> list[Broadcast]:
    """The latest broadcasts for a unit (and a locality of it, or none). A message to one
    house, or to named residents, is news only for them (`house_ids`, `resident_id`): a
    place's news, its group and its printed bulletin never show it."""
    query = (
        select(Broadcast)
        .where(
            Broadcast.status.in_([Status.SENDING.value, Status.DONE.value]),
            Broadcast.kind != Kind.NOTICE.value,
        )
        .order_by(Broadcast.started_at.desc(), Broadcast.id.desc())
        .limit(limit * 4)
    )
    found: list[Broadcast] = []
    for broadcast in await session.scalars(query):
        if broadcast.house_id is not None:
            if broadcast.house_id not in house_ids:
                continue
        elif broadcast.resident_ids is not None:
            if resident_id not in broadcast.resident_ids:
                continue
        elif broadcast.locality_id is not None:
            if broadcast.locality_id != locality_id:
                continue
        elif broadcast.unit_ids is not None and unit_id not in broadcast.unit_ids:
            continue
        found.append(broadcast)
        if len(found) == limit:
            break
    return found


def due_filter(now: datetime) -> Any:
    return or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)


async def apply_message_status(
    session: AsyncSession, *, message_id: str, status: str, error: str | None
) -> bool:
    """Move the delivery row of a platform message to what the platform reported later
    (delivered, failed, blocked, needs_template). False when no row has that message yet."""
    delivery = await session.scalar(
        select(Delivery).where(Delivery.provider_message_id == message_id)
    )
    if delivery is None:
        return False
    if status == DeliveryStatus.DELIVERED.value and delivery.status != DeliveryStatus.SENT.value:
        return True  # a late "delivered" never overrides a failure already recorded
    delivery.status = status
    delivery.error = error
    if status == DeliveryStatus.BLOCKED.value:
        await session.execute(
            update(Identity)
            .where(Identity.channel == delivery.channel, Identity.external_id == delivery.chat_id)
            .values(active=False)
        )
    return True


async def erase_broadcast_data(
    session: AsyncSession, *, resident_id: int, accounts: Sequence[tuple[str, str]]
) -> list[str]:
    """For /forget: the person's rows not yet on the wire are cancelled, so nothing more is
    sent to them; every row of theirs keeps its status, so the broadcasts' counts stay, but
    loses the address and the platform's message id. A notice written to them alone loses
    its text. Returns the platform message ids the rows had.

    Rows are found by resident and by account: after two registrations were merged, the
    rows of the merged-away resident still carry this person's accounts as addresses.
    """
    theirs = or_(
        Delivery.resident_id == resident_id,
        *(
            and_(
                Delivery.channel == channel,
                Delivery.chat_id == external_id,
                Delivery.is_group.is_(False),
            )
            for channel, external_id in accounts
        ),
    )
    message_ids = list(
        await session.scalars(
            select(Delivery.provider_message_id).where(
                theirs, Delivery.provider_message_id.is_not(None)
            )
        )
    )
    now = utcnow()
    # A claimed row stops here too: the dispatcher marks a row "sending" only while it is
    # still claimed by it, and records an outcome only on a row it still holds.
    await session.execute(
        update(Delivery)
        .where(
            theirs,
            Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.CLAIMED.value]),
        )
        .values(
            status=DeliveryStatus.CANCELLED.value,
            finished_at=now,
            claimed_by=None,
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    notices = await session.scalars(
        select(Broadcast).where(
            Broadcast.kind == Kind.NOTICE.value,
            or_(
                Broadcast.status == Status.SCHEDULED.value,
                Broadcast.id.in_(
                    select(Delivery.broadcast_id).where(Delivery.resident_id == resident_id)
                ),
            ),
        )
    )
    for notice in notices:
        if notice.resident_ids == [resident_id]:
            notice.texts = {"lv": ""}
    await session.execute(
        update(Delivery)
        .where(theirs)
        .values(
            # Unique within a broadcast and channel, as the address was.
            chat_id=literal("erased:") + cast(Delivery.id, String),
            provider_message_id=None,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Broadcast)
        .where(
            or_(
                Broadcast.created_by_id == resident_id,
                *(
                    and_(Broadcast.report_channel == channel, Broadcast.report_chat_id == chat)
                    for channel, chat in accounts
                ),
            ),
            Broadcast.report_chat_id.is_not(None),
        )
        .values(report_channel=None, report_chat_id=None, report_message_id=None)
        .execution_options(synchronize_session=False)
    )
    return message_ids
