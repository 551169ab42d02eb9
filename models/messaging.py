"""What the messaging platforms need kept: files served to them by URL, and message statuses."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import LargeBinary, String, delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

MEDIA_KEPT_FOR = timedelta(days=7)


class MediaFile(Base):
    """A photo or document sent on WhatsApp or SMS: Twilio fetches it from our web app by a
    URL with an unguessable token."""

    __tablename__ = "media_files"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MessageStatus(Base):
    """The last status a platform reported for a message it accepted (Twilio's callbacks),
    in the terms of a delivery row (delivered, failed, blocked, needs_template).

    Kept on its own because a callback can arrive before the dispatcher has written the
    message id on its delivery row; the dispatcher then applies it.
    """

    __tablename__ = "message_statuses"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # When the person read it, where the messenger tells (WhatsApp).
    read_at: Mapped[datetime | None]


async def store_media(
    session: AsyncSession, *, filename: str, mime_type: str, content: bytes
) -> MediaFile:
    media = MediaFile(
        token=secrets.token_urlsafe(32), filename=filename, mime_type=mime_type, content=content
    )
    session.add(media)
    await session.flush()
    return media


def media_link(public_base_url: str, token: str) -> str:
    """Where a stored file is fetched from (by Twilio, or by a resident following an SMS)."""
    return f"{public_base_url}/media/{token}"


async def find_media(session: AsyncSession, token: str, *, now: datetime) -> MediaFile | None:
    media = await session.get(MediaFile, token)
    if media is None or media.created_at < now - MEDIA_KEPT_FOR:
        return None
    return media


# Any fixed number: the key of PostgreSQL's transaction lock taken by lock_statuses.
_STATUSES_LOCK = 7_301_164_552


async def lock_statuses(db: AsyncSession | AsyncConnection) -> None:
    """Take turns with the other writers of message statuses until the transaction ends.

    A platform's status callback and the dispatcher writing a row's message id may run at
    the same time; each would then miss the other (the callback finds no row yet, the
    dispatcher no status yet) and the status would never be applied. Taken first by both,
    the lock makes the second see what the first committed. SQLite has one writer anyway.
    """
    dialect = db.get_bind().dialect if isinstance(db, AsyncSession) else db.dialect
    if dialect.name == "postgresql":
        await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _STATUSES_LOCK})


async def save_status(
    session: AsyncSession, *, message_id: str, status: str, error: str | None
) -> MessageStatus:
    """Keep the newest status of a message; a callback repeated acts once."""
    row = await session.get(MessageStatus, message_id)
    if row is None:
        row = MessageStatus(message_id=message_id, status=status, error=error)
        session.add(row)
    else:
        row.status, row.error, row.updated_at = status, error, utcnow()
    await session.flush()
    return row


async def note_read(session: AsyncSession, *, message_id: str, now: datetime) -> None:
    """The messenger reported that the person read a message (after it was delivered)."""
    row = await session.get(MessageStatus, message_id)
    if row is None:
        row = MessageStatus(message_id=message_id, status="delivered")
        session.add(row)
    if row.read_at is None:
        row.read_at = now
    await session.flush()


async def statuses_of(session: AsyncSession, message_ids: list[str]) -> list[MessageStatus]:
    if not message_ids:
        return []
    result = await session.scalars(
        select(MessageStatus).where(MessageStatus.message_id.in_(message_ids))
    )
    return list(result)


async def erase_media(
    session: AsyncSession,
    *,
    contents: Sequence[bytes] = (),
    message_ids: Sequence[str] = (),
    export_name: str | None = None,
    export_is_theirs: Callable[[bytes], bool] = lambda _content: False,
) -> None:
    """For /forget: files the person sent or was sent, found by their content, their data
    exports (files named `export_name` whose content `export_is_theirs`), and the
    statuses of their messages."""
    for content in contents:
        await session.execute(delete(MediaFile).where(MediaFile.content == content))
    if export_name is not None:
        exports = await session.execute(
            select(MediaFile.token, MediaFile.content).where(MediaFile.filename == export_name)
        )
        theirs = [token for token, content in exports if export_is_theirs(content)]
        if theirs:
            await session.execute(delete(MediaFile).where(MediaFile.token.in_(theirs)))
    if message_ids:
        await session.execute(
            delete(MessageStatus).where(MessageStatus.message_id.in_(message_ids))
        )


async def prune_messaging(session: AsyncSession, *, now: datetime) -> None:
    """Files and statuses older than a week serve nobody."""
    await session.execute(delete(MediaFile).where(MediaFile.created_at < now - MEDIA_KEPT_FOR))
    await session.execute(
        delete(MessageStatus).where(MessageStatus.updated_at < now - MEDIA_KEPT_FOR)
    )
