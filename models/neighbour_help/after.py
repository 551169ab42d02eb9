"""What follows a post's date: closing it, asking whether it happened, the monthly counts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.neighbour_help.posts import requests_to
from models.neighbour_help.tables import (
    ASK_DONE_AFTER,
    SHOWN_AFTER_START,
    HelpMonth,
    HelpPost,
    HelpRequest,
    PostStatus,
    RequestStatus,
)


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
