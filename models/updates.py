"""Keys of incoming updates already handled, so a redelivered one acts once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# Built once: this runs for every incoming message.
_CLAIM = {
    name: insert(ProcessedUpdate.__table__)
    .values(channel=bindparam("channel"), key=bindparam("key"), at=bindparam("at"))
    .on_conflict_do_nothing(index_elements=["channel", "key"])
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


async def claim_update(session: AsyncSession, *, channel: str, key: str) -> bool:
    """Record the update in the current transaction; False when it was handled before."""
    statement = _CLAIM[session.bind.dialect.name]
    result = await session.execute(statement, {"channel": channel, "key": key, "at": utcnow()})
    return result.rowcount == 1


async def prune_processed_updates(session: AsyncSession, *, older_than: timedelta) -> int:
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.at < utcnow() - older_than)
    )
    return result.rowcount
