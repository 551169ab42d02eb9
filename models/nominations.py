"""Nomination rounds, nominations of unit representatives, and residents' support for them.

The rules live here so that chat and command line hold the same ones: a round is open between
its start and its end; a candidate collects support only after consenting; a supporter is a
registered resident of the candidate's unit who declared being old enough and living there;
one support per resident per candidate, and one per round when the round says so. The two
"one support" rules are UNIQUE constraints, so they hold also when attempts race.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.parsing import is_blank
from models.base import Base, utcnow
from models.conversations import relabel_options
from models.residents import Identity, Resident, normalise_phone, phone_channels
from models.territory import Unit

SUPPORTERS_NEEDED = 10
MINIMUM_AGE = 16
REASON_MAX = 1000
NAME_MAX = 120
BIO_SHOWN = 300
# Support codes are typed on SMS: no letters and digits that look alike (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
# A code always holds a digit, so that no ordinary word after "ATBALSTS" looks like one.
CODE_PATTERN = r"(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{6}"


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
        return self.nominated_by_id is not None and self.nominated_by_id == self.candidate_id

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


# ---------------------------------------------------------------------- rounds


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


# ---------------------------------------------------------------------- nominations


async def _new_code(session: AsyncSession) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH - 1))
        # One digit at a random place: see CODE_PATTERN.
        at = secrets.randbelow(CODE_LENGTH)
        code = code[:at] + secrets.choice("23456789") + code[at:]
        taken = await session.scalar(select(Nomination.id).where(Nomination.support_code == code))
        if taken is None:
            return code


async def find_by_phone(
    session: AsyncSession, *, phone: str | None, telegram_user_id: str | None = None
) -> Resident | None:
    """A registered resident with this Telegram account, phone, or WhatsApp/SMS number."""
    if telegram_user_id:
        identity = await session.scalar(
            select(Identity).where(
                Identity.channel == "telegram", Identity.external_id == telegram_user_id
            )
        )
        if identity is not None and identity.resident.erased_at is None:
            return identity.resident
    if not phone:
        return None
    found = await session.scalar(
        select(Resident)
        .where(Resident.phone == phone, Resident.erased_at.is_(None))
        .order_by(Resident.id)
        .limit(1)
    )
    if found is not None:
        return found
    identity = await session.scalar(
        select(Identity)
        .where(
            Identity.channel.in_(phone_channels()),
            Identity.external_id.in_([phone, phone.lstrip("+")]),
        )
        .order_by(Identity.id)
        .limit(1)
    )
    return identity.resident if identity is not None else None


async def active_nomination_of(
    session: AsyncSession, *, round_id: int, candidate_id: int
) -> Nomination | None:
    return await session.scalar(
        select(Nomination).where(
            Nomination.round_id == round_id,
            Nomination.candidate_id == candidate_id,
            Nomination.status.in_(ACTIVE),
        )
    )


async def nominate(
    session: AsyncSession,
    *,
    round_: NominationRound,
    unit_id: int,
    nominated_by: Resident | None,
    candidate: Resident | None,
    name: str,
    phone: str | None,
    reason: str | None,
    now: datetime,
) -> Nomination:
    """Record a nomination. Nominating oneself is consent; anyone else is asked for theirs."""
    if reason is not None and len(reason) > REASON_MAX:
        raise Refused("reason_long")
    if candidate is not None:
        existing = await active_nomination_of(
            session, round_id=round_.id, candidate_id=candidate.id
        )
        if existing is not None:
            raise Refused("already_nominated", nomination=existing)
    self_nomination = (
        candidate is not None and nominated_by is not None and candidate.id == nominated_by.id
    )
    nomination = Nomination(
        round_id=round_.id,
        unit_id=unit_id,
        nominated_by_id=nominated_by.id if nominated_by else None,
        candidate_id=candidate.id if candidate else None,
        candidate_name=clean_name(name),
        candidate_phone=phone,
        reason=reason or None,
        bio=reason if self_nomination else None,
        support_code=await _new_code(session),
        created_at=now,
    )
    if self_nomination:
        nomination.status = NominationStatus.CONSENTED.value
        nomination.consent_origin = "self"
        nomination.consented_at = now
    session.add(nomination)
    await session.flush()
    return nomination


def record_consent(nomination: Nomination, *, agreed: bool, origin: str, now: datetime) -> None:
    """The candidate's answer: in chat ("chat"), or told a coordinator ("offline")."""
    if nomination.status != NominationStatus.AWAITING_CONSENT.value:
        raise Refused("not_awaiting", nomination=nomination)
    nomination.status = (
        NominationStatus.CONSENTED.value if agreed else NominationStatus.DECLINED.value
    )
    nomination.consent_origin = origin
    nomination.consented_at = now if agreed else None


async def get_nomination(session: AsyncSession, nomination_id: int) -> Nomination | None:
    return await session.get(Nomination, nomination_id)


async def nomination_by_code(session: AsyncSession, code: str) -> Nomination | None:
    return await session.scalar(
        select(Nomination).where(Nomination.support_code == code.strip().upper())
    )


async def list_nominations(
    session: AsyncSession,
    *,
    unit_id: int | None = None,
    statuses: tuple[str, ...] | None = None,
    round_id: int | None = None,
    candidate_id: int | None = None,
) -> list[Nomination]:
    query = select(Nomination).order_by(Nomination.id)
    if unit_id is not None:
        query = query.where(Nomination.unit_id == unit_id)
    if statuses is not None:
        query = query.where(Nomination.status.in_(statuses))
    if round_id is not None:
        query = query.where(Nomination.round_id == round_id)
    if candidate_id is not None:
        query = query.where(Nomination.candidate_id == candidate_id)
    return list(await session.scalars(query))


async def support_counts(session: AsyncSession, nomination_ids: list[int]) -> dict[int, int]:
    if not nomination_ids:
        return {}
    rows = await session.execute(
        select(Support.nomination_id, func.count())
        .where(Support.nomination_id.in_(nomination_ids))
        .group_by(Support.nomination_id)
    )
    counts = dict.fromkeys(nomination_ids, 0)
    counts.update({nomination_id: number for nomination_id, number in rows})
    return counts


async def count_supporters(session: AsyncSession, nomination_id: int) -> int:
    return (await support_counts(session, [nomination_id]))[nomination_id]


async def supporters_of(session: AsyncSession, nomination_id: int) -> list[Support]:
    return list(
        await session.scalars(
            select(Support).where(Support.nomination_id == nomination_id).order_by(Support.id)
        )
    )


# ---------------------------------------------------------------------- support


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


def withdraw_nomination(nomination: Nomination, now: datetime) -> None:
    if nomination.status not in ACTIVE:
        raise Refused("not_active", nomination=nomination)
    nomination.status = NominationStatus.WITHDRAWN.value
    nomination.decided_at = now


def decide(
    nomination: Nomination,
    *,
    verified: bool,
    reason: str | None,
    decided_by_id: int | None,
    now: datetime,
) -> None:
    """A coordinator's check: verified, or rejected with a reason the candidate is told."""
    if nomination.status not in COLLECTING:
        raise Refused("not_collecting", nomination=nomination)
    nomination.status = (
        NominationStatus.VERIFIED.value if verified else NominationStatus.REJECTED.value
    )
    nomination.decision_reason = reason
    nomination.decided_by_id = decided_by_id
    nomination.decided_at = now


# ---------------------------------------------------------------------- personal data


async def export_personal_data(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    made = await session.scalars(
        select(Nomination).where(Nomination.nominated_by_id == resident.id).order_by(Nomination.id)
    )
    candidacies = await list_nominations(session, candidate_id=resident.id)
    return {
        "nominations_made": [
            {
                "candidate": item.candidate_name,
                "unit": item.unit.name,
                "reason": item.reason,
                "status": item.status,
                "at": item.created_at.isoformat(),
            }
            for item in made
        ],
        "candidacies": [
            {
                "unit": item.unit.name,
                "name": item.candidate_name,
                "phone": item.candidate_phone,
                "about": item.bio,
                "status": item.status,
                "consented_at": item.consented_at.isoformat() if item.consented_at else None,
            }
            for item in candidacies
        ],
        "supports": [
            {
                "candidate": item.nomination.candidate_name,
                "name": item.name,
                "declared_age_at_least": item.declared_age,
                "declared_at": item.declared_at.isoformat(),
            }
            for item in await supports_of(session, resident.id)
        ],
    }


async def erase_personal_data(session: AsyncSession, resident: Resident) -> None:
    """Supports go (the name leaves every form and list); a candidacy is withdrawn and its
    personal details cleared; nominations made for others lose who made them and why.

    A candidacy's supports go too (its supporters' lists would show a nameless candidate),
    and its support code is replaced, so the old code leads nowhere.
    """
    await session.execute(delete(Support).where(Support.supporter_id == resident.id))
    candidacies = await list_nominations(session, candidate_id=resident.id)
    # Staff lists show a nomination's number and the candidate's name.
    await relabel_options(session, {f"nomc:show:{item.id}": f"#{item.id}" for item in candidacies})
    if candidacies:
        await session.execute(
            delete(Support).where(Support.nomination_id.in_([item.id for item in candidacies]))
        )
    for item in candidacies:
        if item.status in ACTIVE:
            item.status = NominationStatus.WITHDRAWN.value
        item.candidate_name = ""
        item.candidate_phone = None
        item.bio = None
        item.reason = None
        item.candidate_id = None
        item.support_code = await _new_code(session)
    await session.execute(
        update(Nomination)
        .where(Nomination.nominated_by_id == resident.id)
        .values(nominated_by_id=None, reason=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
