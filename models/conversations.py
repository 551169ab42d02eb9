"""Conversation state per messenger account, kept in the database across restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Conversation(Base):
    """Where one messenger account stands in a dialog.

    Keyed by the account, not the resident: onboarding runs before anybody has agreed to
    be stored, and a declined notice deletes this row.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The options last shown, as [label, payload] pairs, so a typed number or label works
    # on channels without buttons.
    options: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Built once: this runs for every incoming message.
_LOAD = select(Conversation).where(
    Conversation.channel == bindparam("channel"),
    Conversation.external_id == bindparam("external_id"),
)


async def load_conversation(session: AsyncSession, channel: str, external_id: str) -> Conversation:
    conversation = await session.scalar(_LOAD, {"channel": channel, "external_id": external_id})
    if conversation is None:
        conversation = Conversation(channel=channel, external_id=external_id, data={}, options=[])
        session.add(conversation)
    return conversation


async def drop_conversation(session: AsyncSession, conversation: Conversation) -> None:
    """Forget a conversation, whether or not it has been written yet."""
    if conversation in session.new:
        session.expunge(conversation)
    else:
        await session.delete(conversation)


async def show_options(
    session: AsyncSession, *, channel: str, external_ids: list[str], options: list[list[str]]
) -> None:
    """Make `options` the ones last shown to these accounts (a broadcast's button), so that
    on channels without buttons a typed number presses it."""
    if external_ids:
        await session.execute(
            update(Conversation)
            .where(Conversation.channel == channel, Conversation.external_id.in_(external_ids))
            .values(options=options)
        )
