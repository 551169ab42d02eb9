"""Answers to meeting invitations, attendance and the summary, and what /mydata and /forget
do with them: a person's name goes from answers and attendance, the counts stay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.meetings import (
    SUMMARY_MAX,
    AnswerChoice,
    Meeting,
    MeetingAnswer,
    MeetingAttendance,
    MeetingStatus,
    invited_filter,
    reachable,
)
from models.residents import Resident

# --------------------------------------------------------------------------- answers


# In answer_counts: how many of the answers a trusted person gave for the resident.
THROUGH_HELPER = "through_helper"


class AnswerRefused(ValueError):
    """The meeting takes no answers now: it has started, was cancelled or closed."""


async def answer_of(session: AsyncSession, meeting_id: int, resident_id: int) -> str | None:
    return await session.scalar(
        select(MeetingAnswer.answer).where(
            MeetingAnswer.meeting_id == meeting_id, MeetingAnswer.resident_id == resident_id
        )
    )


async def record_answer(
    session: AsyncSession,
    *,
    meeting: Meeting,
    resident: Resident,
    answer: AnswerChoice,
    now: datetime,
    helper_id: int | None = None,
) -> bool:
    """Store or change one's answer until the start; True when it changed. `helper_id`:
    the trusted person who answers for `resident`; an answer of one's own clears it."""
    if not meeting.planned or now >= meeting.starts_at:
        raise AnswerRefused(meeting.status)
    if answer is AnswerChoice.ONLINE and not meeting.online:
        raise AnswerRefused("not online")
    existing = await session.scalar(
        select(MeetingAnswer).where(
            MeetingAnswer.meeting_id == meeting.id, MeetingAnswer.resident_id == resident.id
        )
    )
    if existing is None:
        session.add(
            MeetingAnswer(
                meeting_id=meeting.id,
                resident_id=resident.id,
                answer=answer.value,
                answered_at=now,
                helper_id=helper_id,
                through_helper=helper_id is not None,
            )
        )
        await session.flush()
        return True
    same_giver = existing.helper_id == helper_id and existing.through_helper == (
        helper_id is not None
    )
    if existing.answer == answer.value and same_giver:
        return False
    changed = existing.answer != answer.value
    existing.answer = answer.value
    existing.answered_at = now
    existing.helper_id = helper_id
    existing.through_helper = helper_id is not None
    await session.flush()
    return changed


async def answer_counts(session: AsyncSession, meeting_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(MeetingAnswer.answer, func.count())
        .where(MeetingAnswer.meeting_id == meeting_id)
        .group_by(MeetingAnswer.answer)
    )
    counts = {choice.value: 0 for choice in AnswerChoice}
    counts.update({answer: int(n) for answer, n in rows})
    counts[THROUGH_HELPER] = await helper_answer_count(session, meeting_id)
    return counts


async def answer_names(
    session: AsyncSession, meeting_id: int, *, through: str = "through a trusted person"
) -> dict[str, list[str]]:
    """The names of those who answered, by answer (erased people are not named); the name
    of one a trusted person answered for is followed by `through` in brackets."""
    rows = await session.execute(
        select(
            MeetingAnswer.answer,
            Resident.display_name,
            Resident.id,
            MeetingAnswer.through_helper,
        )
        .join(Resident, Resident.id == MeetingAnswer.resident_id)
        .where(MeetingAnswer.meeting_id == meeting_id)
        .order_by(MeetingAnswer.answered_at)
    )
    names: dict[str, list[str]] = {choice.value: [] for choice in AnswerChoice}
    for answer, name, resident_id, helped in rows:
        shown = name or f"#{resident_id}"
        names.setdefault(answer, []).append(f"{shown} ({through})" if helped else shown)
    return names


async def helper_answer_count(session: AsyncSession, meeting_id: int) -> int:
    """How many of the answers a trusted person gave for the resident."""
    return int(
        await session.scalar(
            select(func.count()).where(
                MeetingAnswer.meeting_id == meeting_id, MeetingAnswer.through_helper.is_(True)
            )
        )
        or 0
    )


def coming(counts: dict[str, int]) -> int:
    return counts.get(AnswerChoice.YES.value, 0) + counts.get(AnswerChoice.ONLINE.value, 0)


async def to_remind(session: AsyncSession, meeting: Meeting) -> list[int]:
    """The invited who did not say "I cannot"."""
    declined = select(MeetingAnswer.resident_id).where(
        MeetingAnswer.meeting_id == meeting.id,
        MeetingAnswer.answer == AnswerChoice.NO.value,
        MeetingAnswer.resident_id.is_not(None),
    )
    result = await session.scalars(
        select(Resident.id)
        .where(reachable(), invited_filter(meeting), Resident.id.not_in(declined))
        .order_by(Resident.id)
    )
    return list(result)


# --------------------------------------------------------------------------- after


async def close_meeting(
    session: AsyncSession,
    *,
    meeting: Meeting,
    summary: str,
    attendance_count: int | None,
    attendee_ids: list[int] | None,
    now: datetime,
) -> None:
    """Record attendance and the summary of a meeting that has started."""
    if meeting.status == MeetingStatus.CANCELLED.value:
        raise ValueError("a cancelled meeting has no summary")
    if now < meeting.starts_at:
        raise ValueError("the meeting has not started yet")
    meeting.summary = summary.strip()[:SUMMARY_MAX]
    meeting.status = MeetingStatus.CLOSED.value
    meeting.closed_at = now
    if attendee_ids is not None:
        await session.execute(
            delete(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting.id)
        )
        for resident_id in sorted(set(attendee_ids)):
            session.add(MeetingAttendance(meeting_id=meeting.id, resident_id=resident_id))
        meeting.attendance_count = len(set(attendee_ids))
    else:
        meeting.attendance_count = attendance_count
    await session.flush()


# --------------------------------------------------------------------------- personal data


async def meeting_data_of(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    """For /mydata: one's answers to invitations and the meetings one is recorded at."""
    answers = await session.execute(
        select(
            Meeting.id,
            Meeting.title,
            Meeting.starts_at,
            MeetingAnswer.answer,
            MeetingAnswer.through_helper,
        )
        .join(MeetingAnswer, MeetingAnswer.meeting_id == Meeting.id)
        .where(MeetingAnswer.resident_id == resident.id)
        .order_by(Meeting.starts_at)
    )
    attended = await session.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at)
        .join(MeetingAttendance, MeetingAttendance.meeting_id == Meeting.id)
        .where(MeetingAttendance.resident_id == resident.id)
        .order_by(Meeting.starts_at)
    )
    return {
        "answers": [
            {
                "meeting": mid,
                "title": title,
                "starts_at": start.isoformat(),
                "answer": answer,
                "through_trusted_person": helped,
            }
            for mid, title, start, answer, helped in answers
        ],
        "attended": [
            {"meeting": mid, "title": title, "starts_at": start.isoformat()}
            for mid, title, start in attended
        ],
    }


async def erase_meeting_data(session: AsyncSession, resident: Resident) -> None:
    """For /forget: the name goes from answers and attendance; the counts stay."""
    for table in (MeetingAnswer, MeetingAttendance):
        await session.execute(
            update(table)
            .where(table.resident_id == resident.id)
            .values(resident_id=None)
            .execution_options(synchronize_session=False)
        )
    # No id of either person stays with an answer given through a trusted person: the
    # resident's answer loses its helper, the helper's answers for others lose their id.
    await session.execute(
        update(MeetingAnswer)
        .where(MeetingAnswer.resident_id.is_(None), MeetingAnswer.helper_id.is_not(None))
        .values(helper_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(MeetingAnswer)
        .where(MeetingAnswer.helper_id == resident.id)
        .values(helper_id=None)
        .execution_options(synchronize_session=False)
    )
