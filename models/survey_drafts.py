"""Surveys being built in the staff console, kept between visits: a draft is its author's
own, is not a survey (nobody is asked anything) until it is created, and is erased with
its author."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.residents import Resident

TITLE_MAX = 200
# More would be drafts nobody goes back to; beyond this a new one is not kept.
DRAFTS_MAX = 50


class SurveyDraft(Base):
    """The builder's form as it was left: the fields as the form holds them, as JSON."""

    __tablename__ = "survey_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    # The Latvian title as typed when last kept, for the list of drafts.
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    content: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


async def drafts_of(session: AsyncSession, author_id: int) -> list[SurveyDraft]:
    """The person's own drafts, the last changed first."""
    result = await session.scalars(
        select(SurveyDraft)
        .where(SurveyDraft.author_id == author_id)
        .order_by(SurveyDraft.updated_at.desc(), SurveyDraft.id.desc())
    )
    return list(result)


async def own_draft(session: AsyncSession, draft_id: int, author_id: int) -> SurveyDraft | None:
    """The draft if it is this person's; nobody opens another's draft."""
    draft = await session.get(SurveyDraft, draft_id)
    return draft if draft is not None and draft.author_id == author_id else None


class TooManyDrafts(Exception):
    """The person keeps as many drafts as allowed already."""


async def keep_draft(
    session: AsyncSession,
    *,
    author_id: int,
    draft_id: int | None,
    title: str,
    content: dict[str, Any],
    now: datetime,
) -> SurveyDraft | None:
    """Store the form as the person's draft: the one named, or a new one (also when the one
    named was deleted meanwhile, in another window). None when the draft named is someone
    else's; TooManyDrafts when a new one would be one too many."""
    draft = await session.get(SurveyDraft, draft_id) if draft_id is not None else None
    if draft is not None and draft.author_id != author_id:
        return None
    if draft is None:
        if len(await drafts_of(session, author_id)) >= DRAFTS_MAX:
            raise TooManyDrafts
        draft = SurveyDraft(author_id=author_id, created_at=now)
        session.add(draft)
    draft.title = title.strip()[:TITLE_MAX]
    draft.content = content
    draft.updated_at = now
    await session.flush()
    return draft


async def export_drafts(session: AsyncSession, resident: Resident) -> list[dict[str, Any]]:
    return [
        {
            "title": draft.title,
            "started_at": draft.created_at.isoformat(),
            "last_changed_at": draft.updated_at.isoformat(),
        }
        for draft in await drafts_of(session, resident.id)
    ]


async def erase_drafts(session: AsyncSession, resident: Resident) -> None:
    await session.execute(delete(SurveyDraft).where(SurveyDraft.author_id == resident.id))
