"""Nomination tables, their statuses, and the rules of what people type (names, phones)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.parsing import is_blank
from models.base import Base, utcnow
from models.residents import normalise_phone
from models.territory import Unit

SUPPORTERS_NEEDED = 10
MINIMUM_AGE = 16
REASON_MAX = 1000
NAME_MAX = 120
BIO_SHOWN = 300
# Support codes are typed on SMS (see models/codes.py).
CODE_LENGTH = 6
# A typed code after "ATBALSTS": in any case, with spaces or hyphens the resident added
# ("k7m 2qp", "K7M-2QP"), and always with a digit, so that no ordinary sentence after the
# word looks like one. Codes made before the shorter alphabet still match.
CODE_TYPED = r"(?=[^0-9]*[0-9])(?:[A-Za-z0-9][ \-]?){5}[A-Za-z0-9]"


class RoundStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class NominationStatus(enum.StrEnum):
    AWAITING_CONSENT = "awaiting_consent"
    CONSENTED = "consented"  # collecting support
    VERIFIED = "verified"  # checked by a coordinator; still collecting while the round is open
    REJECTED = "rejected"
    DECLINED = "declined"  # the candidate said no
    WITHDRAWN = "withdrawn"  # the candidate stepped back (or erased their data)


ACTIVE = (
    NominationStatus.AWAITING_CONSENT.value,
    NominationStatus.CONSENTED.value,
    NominationStatus.VERIFIED.value,
)
COLLECTING = (NominationStatus.CONSENTED.value, NominationStatus.VERIFIED.value)


class SupportOrigin(enum.StrEnum):
    CHAT = "chat"
    PAPER = "paper"  # recorded by a coordinator from a paper form


class NominationRound(Base):
    __tablename__ = "nomination_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: every unit.
    unit_ids: Mapped[list[int] | None] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    supporters_needed: Mapped[int] = mapped_column(default=SUPPORTERS_NEEDED)
    minimum_age: Mapped[int] = mapped_column(default=MINIMUM_AGE)
    multiple_support: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.SCHEDULED.value)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def covers(self, unit_id: int) -> bool:
        return self.unit_ids is None or unit_id in self.unit_ids

    def is_open(self, now: datetime) -> bool:
        """Open from its start (inclusive) to its end (exclusive), unless closed early."""
        return self.status != RoundStatus.CLOSED.value and self.starts_at <= now < self.ends_at


class Nomination(Base):
    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("nomination_rounds.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    nominated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    # The registered resident who is the candidate, when known.
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    candidate_name: Mapped[str] = mapped_column(String(NAME_MAX))
    candidate_phone: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    bio: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(20), default=NominationStatus.AWAITING_CONSENT.value, index=True
    )
    # "self", "chat" (the candidate accepted in chat) or "offline" (recorded by a coordinator).
    consent_origin: Mapped[str | None] = mapped_column(String(16))
    consented_at: Mapped[datetime | None]
    support_code: Mapped[str] = mapped_column(String(16), unique=True)
    threshold_told_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[NominationRound] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def self_nominated(self) -> bool:
        # The consent's origin outlives an erasure, which clears who nominated whom.
        return self.consent_origin == "self"

    @property
    def collecting(self) -> bool:
        return self.status in COLLECTING


class Support(Base):
    """One resident's support for one candidate, or a supporter from a paper form."""

    __tablename__ = "supports"
    __table_args__ = (
        UniqueConstraint("nomination_id", "supporter_id"),
        # Set to the round's id when the round allows one candidate per supporter (NULL
        # otherwise, and NULLs never collide): the database refuses a second one.
        UniqueConstraint("exclusive_round_id", "supporter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the first UNIQUE constraint, which leads with it.
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    supporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    exclusive_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("nomination_rounds.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    origin: Mapped[str] = mapped_column(String(8), default=SupportOrigin.CHAT.value)
    # The supporter declared being at least `declared_age` and living in the unit, at this time.
    declared_age: Mapped[int] = mapped_column(default=MINIMUM_AGE)
    declared_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    nomination: Mapped[Nomination] = relationship(lazy="joined")


# ---------------------------------------------------------------------- refusals


class Refused(Exception):
    """A rule said no; `reason` names which, and `details` what the reply needs."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# ---------------------------------------------------------------------- input


def clean_name(text: str) -> str:
    name = " ".join(text.split())
    if is_blank(name) or not any(ch.isalpha() for ch in name):
        # Also a "name" of zero-width spaces, digits or signs: a name has letters.
        raise Refused("name_empty")
    if len(name) > NAME_MAX:
        raise Refused("name_long")
    return name


def candidate_phone(text: str, *, region: str) -> str:
    """A candidate's phone number as E.164; numbers without a country code are in `region`."""
    phone = normalise_phone(text, region=region)
    if phone is None:
        raise Refused("phone")
    return phone
