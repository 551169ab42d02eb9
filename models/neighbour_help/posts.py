"""Posts and matches: destinations, posting, asking, deciding, withdrawing, hiding,
blocking and reporting, and how the two of a match reach each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.router import fold
from models.neighbour_help.neighbours import may_see
from models.neighbour_help.tables import (
    COUNT_MAX,
    DESTINATIONS_MAX,
    PLACE_MAX,
    SHOWN_AFTER_START,
    Contact,
    HelpBan,
    HelpBlock,
    HelpDestination,
    HelpError,
    HelpPost,
    HelpReport,
    HelpRequest,
    Kind,
    PostStatus,
    RequestStatus,
)
from models.residents import Resident, format_identity, identities_of, is_phone_number
from models.territory import Unit

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
    if post.author_id is None or not is_shown(post, now):
        raise HelpError("not_open")
    if not await may_see(session, post, asker):
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
