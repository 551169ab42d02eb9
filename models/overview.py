"""The council at a glance, for the staff console's overview: counts only, no personal data
beyond a candidate's name. Each figure comes from the rule that owns it elsewhere in models/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.broadcasts import Broadcast, Kind, Status, delivery_counts
from models.ideas import OPEN_STATUSES, UNANSWERED_AFTER, Idea, readable
from models.nominations.candidacies import list_nominations, standings
from models.nominations.tables import ACTIVE, NominationRound, RoundStatus
from models.residents import Identity, Resident
from models.roles import Roles
from models.surveys import Status as SurveyStatus
from models.surveys import Survey, audience_filter, response_counts
from models.territory import Unit, list_units

NEW_WITHIN = timedelta(days=7)


@dataclass
class UnitRow:
    unit: Unit
    residents: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BroadcastRow:
    broadcast: Broadcast
    done: int
    total: int


@dataclass(frozen=True)
class SurveyRow:
    survey: Survey
    responses: int
    audience: int


@dataclass(frozen=True)
class CandidateRow:
    name: str
    status: str
    supporters: int
    needed: int


@dataclass
class Overview:
    units: list[UnitRow]
    channels: list[str]
    new_this_week: int
    consented: int
    erased: int
    broadcasts: list[BroadcastRow]
    surveys: list[SurveyRow]
    candidates: dict[int, list[CandidateRow]]
    waiting_ideas: list[Idea]


def _registered() -> tuple[ColumnElement[bool], ...]:
    return (
        Resident.consented_at.is_not(None),
        Resident.erased_at.is_(None),
        Resident.unit_id.is_not(None),
    )


async def council_overview(
    session: AsyncSession, *, roles: Roles, resident_id: int, now: datetime
) -> Overview:
    """Residents by unit and messenger, this week's newcomers, consent and erasure, messages
    being sent, open surveys, candidates in open rounds, and ideas the person may read that
    wait for an answer longer than the weekly digest allows."""
    units = {unit.id: UnitRow(unit) for unit in await list_units(session)}
    for unit_id, number in await session.execute(
        select(Resident.unit_id, func.count()).where(*_registered()).group_by(Resident.unit_id)
    ):
        units[unit_id].residents = number
    channels: set[str] = set()
    for unit_id, channel, number in await session.execute(
        select(Resident.unit_id, Identity.channel, func.count(func.distinct(Resident.id)))
        .join(Identity, Identity.resident_id == Resident.id)
        .where(*_registered(), Identity.active.is_(True))
        .group_by(Resident.unit_id, Identity.channel)
    ):
        units[unit_id].by_channel[channel] = number
        channels.add(channel)
    new_this_week = await session.scalar(
        select(func.count()).where(*_registered(), Resident.consented_at >= now - NEW_WITHIN)
    )
    consented = await session.scalar(select(func.count()).where(*_registered()))
    erased = await session.scalar(select(func.count()).where(Resident.erased_at.is_not(None)))

    broadcasts = []
    for broadcast in await session.scalars(
        select(Broadcast)
        .where(Broadcast.status == Status.SENDING.value, Broadcast.kind != Kind.NOTICE.value)
        .order_by(Broadcast.id)
    ):
        counts = await delivery_counts(session, broadcast.id)
        total = sum(counts.values())
        waiting = sum(counts[state] for state in ("pending", "claimed", "sending"))
        broadcasts.append(BroadcastRow(broadcast, total - waiting, total))

    responses = await response_counts(session)
    surveys = []
    for survey in await session.scalars(
        select(Survey).where(Survey.status == SurveyStatus.OPEN.value).order_by(Survey.closes_at)
    ):
        audience = await session.scalar(select(func.count()).where(audience_filter(survey)))
        surveys.append(SurveyRow(survey, responses.get(survey.id, 0), audience or 0))

    open_rounds = list(
        await session.scalars(
            select(NominationRound.id).where(NominationRound.status == RoundStatus.OPEN.value)
        )
    )
    candidates: dict[int, list[CandidateRow]] = {}
    for round_id in open_rounds:
        nominations = await list_nominations(session, statuses=ACTIVE, round_id=round_id)
        standing = await standings(session, nominations)
        for item in nominations:
            found = standing[item.id]
            candidates.setdefault(item.unit_id, []).append(
                CandidateRow(item.candidate_name, item.status, found.count, found.needed)
            )

    waiting = await session.scalars(
        select(Idea)
        .where(
            readable(roles, resident_id),
            Idea.status.in_([status.value for status in OPEN_STATUSES]),
            Idea.created_at < now - UNANSWERED_AFTER,
        )
        .order_by(Idea.created_at, Idea.id)
    )
    return Overview(
        units=list(units.values()),
        channels=sorted(channels),
        new_this_week=new_this_week or 0,
        consented=consented or 0,
        erased=erased or 0,
        broadcasts=broadcasts,
        surveys=surveys,
        candidates=candidates,
        waiting_ideas=list(waiting),
    )
