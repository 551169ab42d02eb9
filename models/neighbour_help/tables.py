"""The neighbour-help tables, their statuses and limits."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
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


class UnitNeighbour(Base):
    """Two units that border each other, kept by staff, stored in both directions: a
    resident of one sees the rides offered in the other that go their way."""

    __tablename__ = "unit_neighbours"
    __table_args__ = (UniqueConstraint("unit_id", "neighbour_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    neighbour_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))


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
