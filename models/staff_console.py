"""The staff console's sign-in: one-time links, sessions, and who may open the console.

Only hashes of links and session tokens are stored, so a copy of the database opens no
console. A link is good once, for ten minutes; a session ends after hours without use.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.roles import Role, Roles

LINK_LIFETIME = timedelta(minutes=10)
SESSION_IDLE = timedelta(hours=4)
SESSION_LONGEST = timedelta(hours=12)


def may_use_console(roles: Roles) -> bool:
    """Coordinators, administrators, the chair and the vice-chair; representatives and
    village deputies too, for their messages to residents (each page checks its own right);
    house elders for the coverage of their blocks only (`coverage_only`)."""
    return _whole_console(roles) or bool(roles.elder_houses)


def coverage_only(roles: Roles) -> bool:
    """A house elder with no other console role: the coverage page is all they may open."""
    return bool(roles.elder_houses) and not _whole_console(roles)


def _whole_console(roles: Roles) -> bool:
    return (
        roles.is_staff
        or roles.has(Role.CHAIR)
        or roles.has(Role.VICE_CHAIR)
        or bool(roles.units_as(Role.REPRESENTATIVE))
        or bool(roles.localities_as(Role.DEPUTY))
    )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConsoleLink(Base):
    """A one-time sign-in link sent to a staff member on their messenger."""

    __tablename__ = "console_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in browser; its rights are read from the person's roles on every request."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    # "link" or "telegram" (the Mini App's signed init data).
    via: Mapped[str] = mapped_column(String(16))
    # The console's language for this browser; None: the person's language in chat.
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


async def create_link(session: AsyncSession, *, resident_id: int, now: datetime) -> str:
    """A new one-time link's token; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleLink(
            token_hash=digest(token),
            resident_id=resident_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    await session.flush()
    return token


async def peek_link(session: AsyncSession, token: str, *, now: datetime) -> int | None:
    """The person a link would sign in, without using it (the page that asks to sign in)."""
    return await session.scalar(
        select(ConsoleLink.resident_id).where(
            ConsoleLink.token_hash == digest(token),
            ConsoleLink.used_at.is_(None),
            ConsoleLink.expires_at > now,
        )
    )


async def redeem_link(session: AsyncSession, token: str, *, now: datetime) -> int | None:
    """The person a link signs in, marking it used; None for an unknown, used or stale one.
    One statement, so two tabs opening the same link never both succeed."""
    result = await session.execute(
        update(ConsoleLink)
        .where(
            ConsoleLink.token_hash == digest(token),
            ConsoleLink.used_at.is_(None),
            ConsoleLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(ConsoleLink.resident_id)
    )
    return result.scalar_one_or_none()


async def start_session(session: AsyncSession, *, resident_id: int, via: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=digest(token),
            resident_id=resident_id,
            via=via,
            created_at=now,
            last_seen_at=now,
        )
    )
    await session.flush()
    return token


async def active_session(
    session: AsyncSession, token: str, *, now: datetime
) -> ConsoleSession | None:
    """The session of a token if it is still open, marked as used now."""
    found = await session.scalar(
        select(ConsoleSession).where(
            ConsoleSession.token_hash == digest(token),
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.last_seen_at > now - SESSION_IDLE,
            ConsoleSession.created_at > now - SESSION_LONGEST,
        )
    )
    if found is not None:
        found.last_seen_at = now
    return found


def end_session(found: ConsoleSession, *, now: datetime) -> None:
    found.ended_at = now


async def prune_console_sign_ins(session: AsyncSession, *, now: datetime) -> None:
    """Forget links and sessions that can no longer be used."""
    await session.execute(delete(ConsoleLink).where(ConsoleLink.expires_at < now - LINK_LIFETIME))
    await session.execute(
        delete(ConsoleSession).where(
            or_(
                ConsoleSession.ended_at.is_not(None),
                ConsoleSession.last_seen_at < now - SESSION_IDLE,
                ConsoleSession.created_at < now - SESSION_LONGEST,
            )
        )
    )
