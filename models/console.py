"""Messages for console users whose terminal is elsewhere or closed: each `padome chat`
shows its own person's messages, whichever process sent them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.personal_data import add_section
from models.residents import Resident, identities_of

CHANNEL = "console"
# A trial terminal left closed for longer than this is not waited for.
KEPT_FOR = timedelta(days=30)


class ConsoleMessage(Base):
    """A message for a console user, as their terminal prints it, with its file if any and
    its options as [label, payload] pairs: printed last, they are the ones a typed number
    presses."""

    __tablename__ = "console_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    options: Mapped[list[list[str]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


async def leave_message(
    session: AsyncSession,
    *,
    user: str,
    text: str,
    filename: str | None = None,
    content: bytes | None = None,
    options: list[list[str]] | None = None,
) -> ConsoleMessage:
    message = ConsoleMessage(
        recipient=user, text=text, filename=filename, content=content, options=options or None
    )
    session.add(message)
    await session.flush()
    return message


async def take_messages(session: AsyncSession, user: str) -> list[ConsoleMessage]:
    """The messages waiting for `user`, oldest first, removed as they are taken."""
    found = list(
        await session.scalars(
            select(ConsoleMessage)
            .where(ConsoleMessage.recipient == user)
            .order_by(ConsoleMessage.id)
        )
    )
    if found:
        await session.execute(
            delete(ConsoleMessage).where(ConsoleMessage.id.in_([item.id for item in found]))
        )
    return found


async def prune_console_messages(session: AsyncSession, *, now: datetime) -> None:
    await session.execute(delete(ConsoleMessage).where(ConsoleMessage.created_at < now - KEPT_FOR))


async def _console_users(session: AsyncSession, resident: Resident) -> list[str]:
    return [
        item.external_id
        for item in await identities_of(session, resident.id)
        if item.channel == CHANNEL
    ]


async def _waiting_for(session: AsyncSession, resident: Resident) -> list[dict[str, Any]]:
    users = await _console_users(session, resident)
    if not users:
        return []
    found = await session.scalars(
        select(ConsoleMessage)
        .where(ConsoleMessage.recipient.in_(users))
        .order_by(ConsoleMessage.id)
    )
    return [
        {"text": item.text, "file": item.filename, "at": item.created_at.isoformat()}
        for item in found
    ]


async def _erase_waiting(session: AsyncSession, resident: Resident) -> None:
    users = await _console_users(session, resident)
    if users:
        await session.execute(delete(ConsoleMessage).where(ConsoleMessage.recipient.in_(users)))


# Messages waiting for the person's terminal are theirs: shown in /mydata, erased by /forget.
add_section("console_messages", _waiting_for, _erase_waiting)
