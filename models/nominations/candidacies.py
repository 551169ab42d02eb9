"""Nominations: made, consented to, decided on by a coordinator, and where each stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.codes import new_code, normal
from models.nominations.tables import (
    ACTIVE,
    CODE_LENGTH,
    COLLECTING,
    REASON_MAX,
    Nomination,
    NominationRound,
    NominationStatus,
    Refused,
    Support,
    clean_name,
)
from models.residents import Identity, Resident, phone_channels


async def new_support_code(session: AsyncSession) -> str:
    while True:
        code = new_code(CODE_LENGTH)
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
        support_code=await new_support_code(session),
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
    return await session.scalar(select(Nomination).where(Nomination.support_code == normal(code)))


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


@dataclass(frozen=True)
class Standing:
    """Where a nomination stands: its supporters (chat and paper) against the number needed,
    and whether it goes further, which a coordinator's verification decides once made."""

    status: str
    count: int
    needed: int

    @property
    def goes_further(self) -> bool:
        if self.status == NominationStatus.VERIFIED.value:
            return True
        return self.status in COLLECTING and self.count >= self.needed

    @property
    def figure(self) -> str:
        """ "1/2", as lists and the command line show it."""
        return f"{self.count}/{self.needed}"


async def standings(session: AsyncSession, nominations: list[Nomination]) -> dict[int, Standing]:
    """Each nomination's standing: the one count every screen, notice and list shows."""
    counts = await support_counts(session, [item.id for item in nominations])
    return {
        item.id: Standing(item.status, counts[item.id], item.round.supporters_needed)
        for item in nominations
    }


async def count_supporters(session: AsyncSession, nomination_id: int) -> int:
    return (await support_counts(session, [nomination_id]))[nomination_id]


async def supporters_of(session: AsyncSession, nomination_id: int) -> list[Support]:
    return list(
        await session.scalars(
            select(Support).where(Support.nomination_id == nomination_id).order_by(Support.id)
        )
    )


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
