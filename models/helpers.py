"""A trusted helper: a resident names another resident who receives the council's messages
for them and may answer surveys and meeting invitations on their behalf.

The link is made in three steps: the resident asks for a code, the helper types it and
confirms, the resident confirms again; only then is it active. Either side may end it.
What the helper did for the resident is kept as acts (which survey, which meeting, when),
listed for both in /mydata and erased with the link by /forget of either side.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Index, Select, String, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.broadcasts import Broadcast
from models.codes import new_code, normal
from models.residents import Resident

CODE_LENGTH = 6
# How long the code a resident gives their helper can be used.
CODE_VALID = timedelta(minutes=30)
# Wrong codes one person may type within TRIES_WINDOW; past that they wait, so that
# guessing a code (six characters, thirty minutes) stays hopeless.
WRONG_TRIES_ALLOWED = 5
TRIES_WINDOW = timedelta(hours=1)


class LinkStatus(enum.StrEnum):
    CODE = "code"  # the resident has a code; no helper yet
    HELPER_CONFIRMED = "helper_ok"  # the helper typed the code and confirmed
    ACTIVE = "active"  # the resident confirmed too
    ENDED = "ended"


class ActKind(enum.StrEnum):
    SURVEY = "survey"  # answered a survey for the resident
    MEETING = "meeting"  # answered a meeting invitation for the resident


class HelperLink(Base):
    __tablename__ = "helper_links"
    __table_args__ = (Index("ix_helper_links_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    helper_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default=LinkStatus.CODE.value)
    code: Mapped[str | None] = mapped_column(String(12))
    code_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    active_since: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship(foreign_keys=[resident_id], lazy="joined")
    helper: Mapped[Resident | None] = relationship(foreign_keys=[helper_id], lazy="joined")


class HelperAct(Base):
    """One thing a helper did for the resident: which survey or meeting, and when."""

    __tablename__ = "helper_acts"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("helper_links.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    item_id: Mapped[int]
    at: Mapped[datetime]


class HelperCodeTry(Base):
    """A wrong code typed by a person: kept for an hour to slow down guessing, and stored so
    that a restart does not forget it."""

    __tablename__ = "helper_code_tries"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]


class CodeProblem(enum.Enum):
    UNKNOWN = "unknown"  # no such code, used, or expired
    OWN = "own"  # the resident typed their own code
    DUPLICATE = "duplicate"  # this person already helps, or waits to help, that resident


async def _recent_tries(
    session: AsyncSession, *, person: Resident, now: datetime
) -> list[datetime]:
    return list(
        await session.scalars(
            select(HelperCodeTry.at)
            .where(HelperCodeTry.resident_id == person.id, HelperCodeTry.at > now - TRIES_WINDOW)
            .order_by(HelperCodeTry.at)
        )
    )


async def codes_blocked_until(
    session: AsyncSession, *, person: Resident, now: datetime
) -> datetime | None:
    """When this person may type a code again, if they typed too many wrong ones lately.

    The count is over the last TRIES_WINDOW: the block ends when enough of the wrong codes
    are older than that, which is the time told to the person."""
    tries = await _recent_tries(session, person=person, now=now)
    if len(tries) <= WRONG_TRIES_ALLOWED:
        return None
    return tries[len(tries) - WRONG_TRIES_ALLOWED - 1] + TRIES_WINDOW


async def record_wrong_code(
    session: AsyncSession, *, person: Resident, now: datetime
) -> datetime | None:
    """Count a wrong code; returns when the person may try again if this one was too many."""
    # Tries older than the window count for nothing: they go, so none is kept longer.
    await session.execute(
        delete(HelperCodeTry).where(
            HelperCodeTry.resident_id == person.id, HelperCodeTry.at <= now - TRIES_WINDOW
        )
    )
    session.add(HelperCodeTry(resident_id=person.id, at=now))
    await session.flush()
    return await codes_blocked_until(session, person=person, now=now)


async def open_link_between(
    session: AsyncSession, *, resident_id: int, helper_id: int, besides: int | None = None
) -> HelperLink | None:
    """A link, waiting for the resident's confirmation or active, in which this helper
    helps this resident (other than `besides`)."""
    query = select(HelperLink).where(
        HelperLink.resident_id == resident_id,
        HelperLink.helper_id == helper_id,
        HelperLink.status.in_([LinkStatus.HELPER_CONFIRMED.value, LinkStatus.ACTIVE.value]),
    )
    if besides is not None:
        query = query.where(HelperLink.id != besides)
    return await session.scalar(query.order_by(HelperLink.id).limit(1))


async def start_link(session: AsyncSession, *, resident: Resident, now: datetime) -> HelperLink:
    """A fresh code for the resident to give their helper; an unused earlier code stops
    (a helper who already typed one and waits for the resident's confirmation keeps it)."""
    await session.execute(
        delete(HelperLink).where(
            HelperLink.resident_id == resident.id, HelperLink.status == LinkStatus.CODE.value
        )
    )
    link = HelperLink(
        resident_id=resident.id,
        status=LinkStatus.CODE.value,
        code=new_code(CODE_LENGTH),
        code_expires_at=now + CODE_VALID,
        created_at=now,
    )
    session.add(link)
    await session.flush()
    return link


async def link_by_code(
    session: AsyncSession, *, typed: str, helper: Resident, now: datetime
) -> HelperLink | CodeProblem:
    """The waiting link a typed code belongs to, if it can still be used (DUPLICATE when
    this helper already helps, or waits to help, its resident)."""
    code = normal(typed)
    if len(code) != CODE_LENGTH:
        return CodeProblem.UNKNOWN
    link = await session.scalar(
        select(HelperLink).where(
            HelperLink.code == code, HelperLink.status == LinkStatus.CODE.value
        )
    )
    if link is None or link.code_expires_at is None or link.code_expires_at <= now:
        return CodeProblem.UNKNOWN
    if link.resident_id == helper.id:
        return CodeProblem.OWN
    if link.resident.erased_at is not None:
        return CodeProblem.UNKNOWN
    if await open_link_between(session, resident_id=link.resident_id, helper_id=helper.id):
        return CodeProblem.DUPLICATE
    return link


def helper_confirms(link: HelperLink, *, helper: Resident) -> None:
    link.helper_id = helper.id
    link.status = LinkStatus.HELPER_CONFIRMED.value
    link.code = None


def resident_confirms(link: HelperLink, *, now: datetime) -> None:
    link.status = LinkStatus.ACTIVE.value
    link.active_since = now
    link.code_expires_at = None


def end_link(link: HelperLink, *, now: datetime) -> None:
    link.status = LinkStatus.ENDED.value
    link.ended_at = now
    link.code = None


async def get_link(session: AsyncSession, link_id: int) -> HelperLink | None:
    return await session.get(HelperLink, link_id)


async def links_of(session: AsyncSession, resident_id: int) -> list[HelperLink]:
    """Links not ended where the person is the resident helped or the helper."""
    return list(
        await session.scalars(
            select(HelperLink)
            .where(
                or_(HelperLink.resident_id == resident_id, HelperLink.helper_id == resident_id),
                HelperLink.status != LinkStatus.ENDED.value,
            )
            .order_by(HelperLink.id)
        )
    )


async def active_link(
    session: AsyncSession, *, link_id: int, helper: Resident
) -> HelperLink | None:
    """The active link with this id in which this person is the helper; else None."""
    link = await session.get(HelperLink, link_id)
    if link is None or link.helper_id != helper.id or link.status != LinkStatus.ACTIVE.value:
        return None
    if link.resident.erased_at is not None:
        return None
    return link


async def active_helpers_of(
    session: AsyncSession, resident_ids: list[int] | Select[tuple[int | None]]
) -> list[HelperLink]:
    """The active links of these residents: ids, or a query giving them (a message's
    recipients can be more than a database takes as values of one statement)."""
    if isinstance(resident_ids, list) and not resident_ids:
        return []
    return list(
        await session.scalars(
            select(HelperLink)
            .where(
                HelperLink.resident_id.in_(resident_ids),
                HelperLink.status == LinkStatus.ACTIVE.value,
            )
            .order_by(HelperLink.id)
        )
    )


async def record_act(
    session: AsyncSession, *, link: HelperLink, kind: ActKind, item_id: int, now: datetime
) -> None:
    session.add(HelperAct(link_id=link.id, kind=kind.value, item_id=item_id, at=now))
    await session.flush()


def first_name(resident: Resident | None) -> str:
    """The first word of the name the person goes by; never their whole data.

    Empty when no name is known (a console or SMS user): texts then take their nameless form.
    """
    name = (resident.display_name or "").strip() if resident is not None else ""
    return name.split()[0] if name else ""


# ------------------------------------------------------------------ personal data


async def export_helper_data(session: AsyncSession, resident: Resident) -> list[dict[str, Any]]:
    """For /mydata: every link of the person, on either side, with what was done through it."""
    links = await session.scalars(
        select(HelperLink)
        .where(or_(HelperLink.resident_id == resident.id, HelperLink.helper_id == resident.id))
        .order_by(HelperLink.id)
    )
    items = []
    for link in links:
        acts = await session.scalars(
            select(HelperAct).where(HelperAct.link_id == link.id).order_by(HelperAct.id)
        )
        mine = link.resident_id == resident.id
        other = link.helper if mine else link.resident
        items.append(
            {
                "you_are": "helped" if mine else "helper",
                "other_person_id": other.id if other is not None else None,
                "other_person_first_name": first_name(other) or None,
                "status": link.status,
                "since": _iso(link.active_since or link.created_at),
                "ended_at": _iso(link.ended_at),
                "acts": [
                    {"kind": act.kind, "item": act.item_id, "at": _iso(act.at)} for act in acts
                ],
            }
        )
    return items


async def export_code_tries(session: AsyncSession, resident: Resident) -> list[str]:
    """For /mydata: when the person typed a wrong code lately (kept for an hour)."""
    tries = await session.scalars(
        select(HelperCodeTry.at)
        .where(HelperCodeTry.resident_id == resident.id)
        .order_by(HelperCodeTry.at)
    )
    return [moment.isoformat() for moment in tries]


async def erase_helper_data(session: AsyncSession, resident: Resident) -> None:
    """For /forget of either side: the links and their acts go."""
    theirs = or_(HelperLink.resident_id == resident.id, HelperLink.helper_id == resident.id)
    await session.execute(
        delete(HelperAct).where(HelperAct.link_id.in_(select(HelperLink.id).where(theirs)))
    )
    await session.execute(delete(HelperLink).where(theirs))
    await session.execute(delete(HelperCodeTry).where(HelperCodeTry.resident_id == resident.id))
    # The copies their helper received name them: the texts go.
    await session.execute(
        update(Broadcast)
        .where(Broadcast.for_resident_id == resident.id)
        .values(texts={"lv": ""}, for_resident_id=None)
        .execution_options(synchronize_session=False)
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
