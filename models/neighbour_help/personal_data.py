"""What neighbour help keeps about a person, for /mydata and /forget."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import utcnow
from models.broadcasts import Broadcast
from models.conversations import relabel_options
from models.neighbour_help.posts import (
    posts_of,
    requests_of,
    requests_to,
    withdraw_request,
)
from models.neighbour_help.subscriptions import subscriptions_of
from models.neighbour_help.tables import (
    HelpBan,
    HelpBlock,
    HelpReport,
    HelpRequest,
    HelpSubscription,
    PostStatus,
    RequestStatus,
)
from models.personal_data import add_section
from models.residents import Resident


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
