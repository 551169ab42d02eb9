"""Neighbour help: rides and parcel runs offered or asked for, matched between two residents.

A post (an offer or a request) belongs to its author's unit. Another resident asks to take
it; the author accepts or declines. Only on acceptance does each learn how to reach the
other, read from their accounts when shown, never copied into a message the database keeps.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.dialog.router import fold
from models.base import Base, utcnow
from models.broadcasts import Broadcast
from models.conversations import relabel_options
from models.personal_data import add_section
from models.residents import Resident, format_identity, identities_of, is_phone_number
from models.territory import Locality, Unit

PLACE_MAX = 80
TEXT_MAX = 300
DESTINATIONS_MAX = 12
COUNT_MAX = 8
# A post no longer shows once its time is this far past (a ride under way can still be seen).
SHOWN_AFTER_START = timedelta(hours=1)
# After this the two are asked whether it happened.
ASK_DONE_AFTER = timedelta(hours=3)


class Kind(enum.StrEnum):
    RIDE_OFFER = "ride_offer"
    RIDE_REQUEST = "ride_request"
    PARCEL_OFFER = "parcel_offer"
    PARCEL_REQUEST = "parcel_request"
    OTHER_OFFER = "other_offer"
    OTHER_REQUEST = "other_request"

    @property
    def is_offer(self) -> bool:
        return self.value.endswith("_offer")

    @property
    def topic(self) -> str:
        return self.value.rsplit("_", 1)[0]


class PostStatus(enum.StrEnum):
    OPEN = "open"
    FULL = "full"
    CLOSED = "closed"
    HIDDEN = "hidden"
    WITHDRAWN = "withdrawn"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Contact(enum.StrEnum):
    """How a person lets the other reach them once matched."""

    MESSENGER = "messenger"
    PHONE = "phone"


class HelpDestination(Base):
    """A place a unit's residents often go to (Alūksne, the parcel terminals), kept by staff."""

    __tablename__ = "help_destinations"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(PLACE_MAX))


class HelpPost(Base):
    __tablename__ = "help_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    locality_id: Mapped[int | None] = mapped_column(
        ForeignKey("localities.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))
    from_place: Mapped[str | None] = mapped_column(String(PLACE_MAX))
    to_place: Mapped[str | None] = mapped_column(String(PLACE_MAX))
    starts_at: Mapped[datetime]
    returns_at: Mapped[datetime | None]
    # Seats or parcels an offer has, people or parcels a request needs.
    count: Mapped[int] = mapped_column(default=1)
    taken: Mapped[int] = mapped_column(default=0)
    text: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    contact: Mapped[str] = mapped_column(String(16), default=Contact.MESSENGER.value)
    # The messenger the author wrote it on: the one their "messenger" contact points to.
    channel: Mapped[str] = mapped_column(String(16))
    to_group: Mapped[bool] = mapped_column(default=False)
    # The short text posted in the unit's Telegram group, emptied when the author erases.
    group_broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=PostStatus.OPEN.value, index=True)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship(lazy="joined")
    locality: Mapped[Locality | None] = relationship(lazy="joined")

    @property
    def kind_enum(self) -> Kind:
        return Kind(self.kind)

    @property
    def capacity(self) -> int:
        """How many acceptances fill it: an offer's seats or parcels; one helper for a request."""
        return self.count if self.kind_enum.is_offer else 1

    @property
    def left(self) -> int:
        return max(self.capacity - self.taken, 0)


class HelpRequest(Base):
    """One resident asking to take a post (a seat, a parcel, or answering a request)."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("help_posts.id", ondelete="CASCADE"), index=True
    )
    asker_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.PENDING.value)
    contact: Mapped[str] = mapped_column(String(16), default=Contact.MESSENGER.value)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # Whether it happened, as each side answered after the date; asked once.
    done_asked: Mapped[bool] = mapped_column(default=False)
    author_says_done: Mapped[bool | None]
    asker_says_done: Mapped[bool | None]

    post: Mapped[HelpPost] = relationship(lazy="joined")


class HelpBlock(Base):
    """A resident who does not want to hear from another through neighbour help."""

    __tablename__ = "help_blocks"
    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    blocker_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]


class HelpBan(Base):
    """A resident a representative or coordinator stopped from posting."""

    __tablename__ = "help_bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), unique=True
    )
    by_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class HelpReport(Base):
    """A post (or a request to one) reported to the unit's representative and coordinators."""

    __tablename__ = "help_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("help_posts.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("help_requests.id", ondelete="CASCADE")
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


class HelpSubscription(Base):
    """Tell a resident of new offers in their unit, for a locality or a destination."""

    __tablename__ = "help_subscriptions"
    __table_args__ = (UniqueConstraint("resident_id", "unit_id", "place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    # Folded place name (a locality or a destination); offers from or to it are told.
    place: Mapped[str] = mapped_column(String(PLACE_MAX))
    label: Mapped[str] = mapped_column(String(PLACE_MAX))
    created_at: Mapped[datetime]


class HelpMonth(Base):
    """A month whose counts went to the representatives, one row each: never twice."""

    __tablename__ = "help_months"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    sent_at: Mapped[datetime]


class HelpError(Exception):
    """Why an action on a post cannot be done: the handler says so in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------- destinations


async def list_destinations(session: AsyncSession, unit_id: int) -> list[HelpDestination]:
    return list(
        await session.scalars(
            select(HelpDestination)
            .where(HelpDestination.unit_id == unit_id)
            .order_by(HelpDestination.name)
        )
    )


async def add_destination(session: AsyncSession, *, unit: Unit, name: str) -> HelpDestination:
    clean = " ".join(name.split())
    if not clean or len(clean) > PLACE_MAX:
        raise ValueError(f"a destination is 1 to {PLACE_MAX} characters")
    existing = await list_destinations(session, unit.id)
    if any(fold(item.name) == fold(clean) for item in existing):
        raise ValueError(f"{unit.slug} already has {clean!r}")
    if len(existing) >= DESTINATIONS_MAX:
        raise ValueError(f"a unit keeps at most {DESTINATIONS_MAX} destinations")
    destination = HelpDestination(unit_id=unit.id, name=clean)
    session.add(destination)
    await session.flush()
    return destination


async def remove_destination(session: AsyncSession, *, unit: Unit, name: str) -> bool:
    for item in await list_destinations(session, unit.id):
        if fold(item.name) == fold(name):
            await session.delete(item)
            await session.flush()
            return True
    return False


# ---------------------------------------------------------------------- posts


async def is_banned(session: AsyncSession, resident_id: int) -> bool:
    found = await session.scalar(select(HelpBan.id).where(HelpBan.resident_id == resident_id))
    return found is not None


async def create_post(
    session: AsyncSession,
    *,
    author: Resident,
    kind: Kind,
    from_place: str | None,
    to_place: str | None,
    starts_at: datetime,
    returns_at: datetime | None,
    count: int,
    text: str | None,
    contact: Contact,
    channel: str,
    to_group: bool,
    now: datetime,
) -> HelpPost:
    if author.unit_id is None:
        raise HelpError("no_unit")
    if await is_banned(session, author.id):
        raise HelpError("banned")
    if starts_at <= now:
        raise HelpError("past")
    post = HelpPost(
        author_id=author.id,
        unit_id=author.unit_id,
        locality_id=author.locality_id,
        kind=kind.value,
        from_place=from_place,
        to_place=to_place,
        starts_at=starts_at,
        returns_at=returns_at,
        count=max(1, min(count, COUNT_MAX)),
        text=text,
        contact=contact.value,
        channel=channel,
        to_group=to_group,
        status=PostStatus.OPEN.value,
        created_at=now,
    )
    session.add(post)
    await session.flush()
    return post


def visible_until(post: HelpPost) -> datetime:
    return post.starts_at + SHOWN_AFTER_START


async def blocked_between(session: AsyncSession, one: int, other: int) -> bool:
    found = await session.scalar(
        select(HelpBlock.id).where(
            or_(
                (HelpBlock.blocker_id == one) & (HelpBlock.blocked_id == other),
                (HelpBlock.blocker_id == other) & (HelpBlock.blocked_id == one),
            )
        )
    )
    return found is not None


async def open_posts(
    session: AsyncSession, *, viewer: Resident, now: datetime, limit: int = 10
) -> list[HelpPost]:
    """Open posts of the viewer's unit, not theirs and not of anyone they block or who blocks
    them; their own locality first, then the soonest."""
    blocked = select(HelpBlock.blocked_id).where(HelpBlock.blocker_id == viewer.id)
    blockers = select(HelpBlock.blocker_id).where(HelpBlock.blocked_id == viewer.id)
    rows = await session.scalars(
        select(HelpPost)
        .where(
            HelpPost.unit_id == viewer.unit_id,
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
    posts = list(rows)
    if viewer.locality_id is not None:
        posts.sort(key=lambda post: post.locality_id != viewer.locality_id)
    return posts[:limit]


async def posts_of(session: AsyncSession, resident_id: int, *, limit: int = 20) -> list[HelpPost]:
    return list(
        await session.scalars(
            select(HelpPost)
            .where(HelpPost.author_id == resident_id)
            .order_by(HelpPost.id.desc())
            .limit(limit)
        )
    )


async def requests_of(
    session: AsyncSession, resident_id: int, *, limit: int = 20
) -> list[HelpRequest]:
    return list(
        await session.scalars(
            select(HelpRequest)
            .where(HelpRequest.asker_id == resident_id)
            .order_by(HelpRequest.id.desc())
            .limit(limit)
        )
    )


async def requests_to(session: AsyncSession, post_id: int) -> list[HelpRequest]:
    return list(
        await session.scalars(
            select(HelpRequest).where(HelpRequest.post_id == post_id).order_by(HelpRequest.id)
        )
    )


def is_shown(post: HelpPost, now: datetime) -> bool:
    return post.status == PostStatus.OPEN.value and now < visible_until(post)


async def ask_for(
    session: AsyncSession,
    *,
    post: HelpPost,
    asker: Resident,
    contact: Contact,
    channel: str,
    now: datetime,
) -> HelpRequest:
    """A resident asks to take a post; checked here, whatever button they pressed."""
    if post.author_id == asker.id:
        raise HelpError("own")
    if post.author_id is None or post.unit_id != asker.unit_id or not is_shown(post, now):
        raise HelpError("not_open")
    if await blocked_between(session, post.author_id, asker.id):
        raise HelpError("not_open")
    existing = await session.scalar(
        select(HelpRequest).where(
            HelpRequest.post_id == post.id,
            HelpRequest.asker_id == asker.id,
            HelpRequest.status.in_([RequestStatus.PENDING.value, RequestStatus.ACCEPTED.value]),
        )
    )
    if existing is not None:
        raise HelpError("already")
    request = HelpRequest(
        post_id=post.id,
        asker_id=asker.id,
        status=RequestStatus.PENDING.value,
        contact=contact.value,
        channel=channel,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    return request


@dataclass
class Decision:
    request: HelpRequest
    # Other pending requests declined because the post filled up.
    crowded_out: list[HelpRequest]


async def decide(
    session: AsyncSession, *, request: HelpRequest, by: Resident, accept: bool, now: datetime
) -> Decision:
    """The post's author accepts or declines a pending request."""
    post = request.post
    if post.author_id != by.id:
        raise HelpError("not_yours")
    if request.status != RequestStatus.PENDING.value or request.asker_id is None:
        raise HelpError("decided")
    crowded: list[HelpRequest] = []
    if not accept:
        request.status = RequestStatus.DECLINED.value
        request.decided_at = now
        await session.flush()
        return Decision(request, crowded)
    if post.status not in (PostStatus.OPEN.value, PostStatus.FULL.value):
        raise HelpError("not_open")
    if post.left <= 0:
        raise HelpError("full")
    request.status = RequestStatus.ACCEPTED.value
    request.decided_at = now
    post.taken += 1
    if post.left <= 0:
        post.status = PostStatus.FULL.value
        post.closed_at = now
        for other in await requests_to(session, post.id):
            if other.id != request.id and other.status == RequestStatus.PENDING.value:
                other.status = RequestStatus.DECLINED.value
                other.decided_at = now
                crowded.append(other)
    await session.flush()
    return Decision(request, crowded)


async def withdraw_post(session: AsyncSession, *, post: HelpPost, now: datetime) -> list[int]:
    """Withdraw a post; the residents whose requests were open are returned, to be told."""
    post.status = PostStatus.WITHDRAWN.value
    post.closed_at = now
    told = []
    for request in await requests_to(session, post.id):
        if request.status in (RequestStatus.PENDING.value, RequestStatus.ACCEPTED.value):
            request.status = RequestStatus.WITHDRAWN.value
            request.decided_at = now
            if request.asker_id is not None:
                told.append(request.asker_id)
    await session.flush()
    return told


async def withdraw_request(session: AsyncSession, *, request: HelpRequest, now: datetime) -> None:
    post = request.post
    if request.status == RequestStatus.ACCEPTED.value:
        post.taken = max(post.taken - 1, 0)
        if post.status == PostStatus.FULL.value and now < visible_until(post):
            post.status = PostStatus.OPEN.value
            post.closed_at = None
    request.status = RequestStatus.WITHDRAWN.value
    request.decided_at = now
    await session.flush()


async def hide_post(session: AsyncSession, *, post: HelpPost, now: datetime) -> list[int]:
    """Hide a reported post; the residents whose requests were open are returned."""
    told = await withdraw_post(session, post=post, now=now)
    post.status = PostStatus.HIDDEN.value
    for report in await session.scalars(
        select(HelpReport).where(HelpReport.post_id == post.id, HelpReport.handled_at.is_(None))
    ):
        report.handled_at = now
    await session.flush()
    return told


async def ban(session: AsyncSession, *, resident_id: int, by_id: int | None, now: datetime) -> bool:
    if await is_banned(session, resident_id):
        return False
    session.add(HelpBan(resident_id=resident_id, by_id=by_id, created_at=now))
    await session.flush()
    return True


async def block(session: AsyncSession, *, blocker_id: int, blocked_id: int, now: datetime) -> None:
    found = await session.scalar(
        select(HelpBlock.id).where(
            HelpBlock.blocker_id == blocker_id, HelpBlock.blocked_id == blocked_id
        )
    )
    if found is None:
        session.add(HelpBlock(blocker_id=blocker_id, blocked_id=blocked_id, created_at=now))
        await session.flush()


async def report(
    session: AsyncSession,
    *,
    post: HelpPost,
    request: HelpRequest | None,
    reporter: Resident,
    now: datetime,
) -> HelpReport:
    item = HelpReport(
        post_id=post.id,
        request_id=request.id if request else None,
        reporter_id=reporter.id,
        created_at=now,
    )
    session.add(item)
    await session.flush()
    return item


# ---------------------------------------------------------------------- contacts


async def contact_of(session: AsyncSession, resident_id: int, contact: str, channel: str) -> str:
    """How to reach a resident, as they chose: their phone number, or a link to the account
    on the messenger they used (a phone number where that is the account)."""
    resident = await session.get(Resident, resident_id)
    if resident is None or resident.erased_at is not None:
        return "–"
    if contact == Contact.PHONE.value and resident.phone:
        return resident.phone
    accounts = await identities_of(session, resident_id)
    chosen = next((item for item in accounts if item.channel == channel), None)
    chosen = chosen or (accounts[0] if accounts else None)
    if chosen is None:
        return resident.phone or "–"
    if chosen.channel == "telegram":
        return f"tg://user?id={chosen.external_id}"
    if chosen.channel == "whatsapp":
        return "https://wa.me/" + chosen.external_id.lstrip("+")
    if is_phone_number(chosen.external_id):
        return chosen.external_id
    return format_identity(chosen.channel, chosen.external_id)


def first_name(resident: Resident | None) -> str | None:
    if resident is None or not resident.display_name:
        return None
    return resident.display_name.split()[0]


# ---------------------------------------------------------------------- after the date


async def close_past_posts(session: AsyncSession, *, now: datetime) -> int:
    """Close open posts whose time has passed."""
    posts = await session.scalars(
        select(HelpPost).where(
            HelpPost.status == PostStatus.OPEN.value,
            HelpPost.starts_at <= now - SHOWN_AFTER_START,
        )
    )
    count = 0
    for post in posts:
        post.status = PostStatus.CLOSED.value
        post.closed_at = now
        for request in await requests_to(session, post.id):
            if request.status == RequestStatus.PENDING.value:
                request.status = RequestStatus.DECLINED.value
                request.decided_at = now
        count += 1
    await session.flush()
    return count


async def due_for_done_question(session: AsyncSession, *, now: datetime) -> list[HelpRequest]:
    """Accepted matches whose date has passed and that were not asked about yet; marked asked."""
    rows = list(
        await session.scalars(
            select(HelpRequest)
            .join(HelpPost, HelpPost.id == HelpRequest.post_id)
            .where(
                HelpRequest.status == RequestStatus.ACCEPTED.value,
                HelpRequest.done_asked.is_(False),
                HelpPost.starts_at <= now - ASK_DONE_AFTER,
            )
        )
    )
    for request in rows:
        request.done_asked = True
    await session.flush()
    return rows


def month_bounds(month: str, timezone: ZoneInfo) -> tuple[datetime, datetime]:
    """`2026-11` as the moments it starts and ends in the municipality's time."""
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (
        datetime.combine(first, time(0), tzinfo=timezone),
        datetime.combine(following, time(0), tzinfo=timezone),
    )


async def helped_counts(
    session: AsyncSession, *, start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """Per unit id: posts made, matches accepted, matches either side said happened, and
    those that, as far as anyone answered, did not."""
    counts: dict[int, dict[str, int]] = {}

    def row(unit_id: int) -> dict[str, int]:
        return counts.setdefault(unit_id, {"posts": 0, "matched": 0, "done": 0, "not_done": 0})

    for unit_id, number in await session.execute(
        select(HelpPost.unit_id, func.count())
        .where(HelpPost.starts_at >= start, HelpPost.starts_at < end)
        .group_by(HelpPost.unit_id)
    ):
        row(unit_id)["posts"] = number
    matches = await session.execute(
        select(HelpPost.unit_id, HelpRequest.author_says_done, HelpRequest.asker_says_done)
        .join(HelpPost, HelpPost.id == HelpRequest.post_id)
        .where(
            HelpPost.starts_at >= start,
            HelpPost.starts_at < end,
            HelpRequest.status == RequestStatus.ACCEPTED.value,
        )
    )
    for unit_id, author_done, asker_done in matches:
        row(unit_id)["matched"] += 1
        if author_done or asker_done:
            row(unit_id)["done"] += 1
        elif author_done is False or asker_done is False:
            row(unit_id)["not_done"] += 1
    return counts


def previous_month(now: datetime, timezone: ZoneInfo) -> str:
    """`2026-11` on any day of December 2026, in the municipality's time."""
    first = now.astimezone(timezone).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


async def claim_month(session: AsyncSession, *, month: str, now: datetime) -> bool:
    """Claim a month's counts; False when they were already sent (or are being sent)."""
    if await session.scalar(select(HelpMonth.id).where(HelpMonth.month == month)) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(HelpMonth(month=month, sent_at=now))
    except IntegrityError:
        return False
    return True


# ---------------------------------------------------------------------- subscriptions


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


# ---------------------------------------------------------------------- personal data


async def export_help_of(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    """The resident's posts, requests, blocks and subscriptions for /mydata."""
    return {
        "posts": [
            {
                "id": post.id,
                "kind": post.kind,
                "from": post.from_place,
                "to": post.to_place,
                "at": post.starts_at.isoformat(),
                "back_at": post.returns_at.isoformat() if post.returns_at else None,
                "count": post.count,
                "taken": post.taken,
                "text": post.text,
                "status": post.status,
                "contact": post.contact,
            }
            for post in await posts_of(session, resident.id, limit=100_000)
        ],
        "requests": [
            {"id": request.id, "post": request.post_id, "status": request.status}
            for request in await requests_of(session, resident.id, limit=100_000)
        ],
        "blocked": len(
            list(
                await session.scalars(
                    select(HelpBlock.id).where(HelpBlock.blocker_id == resident.id)
                )
            )
        ),
        "subscriptions": [item.label for item in await subscriptions_of(session, resident.id)],
    }


async def open_partners(session: AsyncSession, resident_id: int) -> list[int]:
    """The residents with an open match with this one: to be told, after an erasure, only
    that the offer or request was withdrawn."""
    partners: set[int] = set()
    live = (RequestStatus.PENDING.value, RequestStatus.ACCEPTED.value)
    for post in await posts_of(session, resident_id, limit=100_000):
        if post.status in (PostStatus.OPEN.value, PostStatus.FULL.value):
            partners.update(
                request.asker_id
                for request in await requests_to(session, post.id)
                if request.status in live and request.asker_id is not None
            )
    for request in await requests_of(session, resident_id, limit=100_000):
        post = request.post
        if (
            request.status in live
            and post.author_id is not None
            and post.status in (PostStatus.OPEN.value, PostStatus.FULL.value)
        ):
            partners.add(post.author_id)
    partners.discard(resident_id)
    return sorted(partners)


async def erase_help_of(session: AsyncSession, resident: Resident) -> None:
    """Delete the person's posts and requests; the other side of an open one is told only
    that it was withdrawn."""
    now = utcnow()
    labels: dict[str, str] = {}
    for post in await posts_of(session, resident.id, limit=100_000):
        labels[f"nhpost:{post.id}"] = f"#{post.id}"
        if post.group_broadcast_id is not None:
            shown = await session.get(Broadcast, post.group_broadcast_id)
            if shown is not None:
                shown.texts = {"lv": ""}
        await session.execute(delete(HelpReport).where(HelpReport.post_id == post.id))
        await session.execute(delete(HelpRequest).where(HelpRequest.post_id == post.id))
        await session.delete(post)
    for request in await requests_of(session, resident.id, limit=100_000):
        if request.status in (RequestStatus.PENDING.value, RequestStatus.ACCEPTED.value):
            await withdraw_request(session, request=request, now=now)
        await session.execute(delete(HelpReport).where(HelpReport.request_id == request.id))
        await session.delete(request)
    await session.execute(
        delete(HelpBlock).where(
            or_(HelpBlock.blocker_id == resident.id, HelpBlock.blocked_id == resident.id)
        )
    )
    await session.execute(
        delete(HelpSubscription).where(HelpSubscription.resident_id == resident.id)
    )
    await session.execute(delete(HelpBan).where(HelpBan.resident_id == resident.id))
    for item in await session.scalars(
        select(HelpReport).where(HelpReport.reporter_id == resident.id)
    ):
        item.reporter_id = None
    await relabel_options(session, labels)
    await session.flush()


add_section("neighbour_help", export_help_of, erase_help_of)
