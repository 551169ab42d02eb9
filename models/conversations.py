"""Conversation state per messenger account, kept in the database across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    String,
    UniqueConstraint,
    bindparam,
    cast,
    delete,
    insert,
    or_,
    select,
    update,
)
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


_TABLE = Conversation.__table__
# Built once: these run for every incoming message. Plain statements on the table, not the
# mapped class: the engine reads one row and writes it back at most once a message, and the
# ORM's identity map and unit of work would cost more than both statements together.
_LOAD = select(_TABLE.c.id, _TABLE.c.state, _TABLE.c.data, _TABLE.c.options).where(
    _TABLE.c.channel == bindparam("channel"),
    _TABLE.c.external_id == bindparam("external_id"),
)
_INSERT = insert(_TABLE)
_UPDATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .values(
        state=bindparam("state"),
        data=bindparam("data"),
        options=bindparam("options"),
        updated_at=bindparam("updated_at"),
    )
)
_DELETE = delete(_TABLE).where(_TABLE.c.id == bindparam("row_id"))


@dataclass(eq=False)
class ConversationState:
    """One account's conversation as a handler sees it; written back by `save_conversation`.

    `data` and `options` are replaced, never changed in place, so comparing them with what
    was read tells whether there is anything to write."""

    channel: str
    external_id: str
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    options: list[list[str]] = field(default_factory=list)
    # The row's id; None until the conversation is first written.
    id: int | None = None
    dropped: bool = False
    # Something was shown in this chat: the row is written, so that its time says which
    # options came last, these or a broadcast's (see `show_options`).
    shown: bool = False
    _read: tuple[Any, ...] | None = field(default=None, repr=False)

    @property
    def changed(self) -> bool:
        return self.shown or self._read != (self.state, self.data, self.options)


async def load_conversation(
    session: AsyncSession, channel: str, external_id: str
) -> ConversationState:
    """The account's conversation; a new, unwritten one if it has none."""
    params = {"channel": channel, "external_id": external_id}
    row = (await session.execute(_LOAD, params)).first()
    if row is None:
        return ConversationState(channel, external_id)
    return ConversationState(
        channel,
        external_id,
        state=row.state,
        data=row.data,
        options=row.options,
        id=row.id,
        _read=(row.state, row.data, row.options),
    )


async def save_conversation(session: AsyncSession, conversation: ConversationState) -> None:
    """Write the conversation if it changed; a new one is inserted, a dropped one is not."""
    if conversation.dropped or not conversation.changed:
        return
    values = {
        "state": conversation.state,
        "data": conversation.data,
        "options": conversation.options,
        "updated_at": utcnow(),
    }
    if conversation.id is None:
        row = {"channel": conversation.channel, "external_id": conversation.external_id}
        result = await session.execute(_INSERT.returning(_TABLE.c.id), {**row, **values})
        conversation.id = result.scalar_one()
    else:
        await session.execute(_UPDATE, {"row_id": conversation.id, **values})
    conversation._read = (conversation.state, conversation.data, conversation.options)
    conversation.shown = False


async def drop_conversation(session: AsyncSession, conversation: ConversationState) -> None:
    """Forget a conversation, whether or not it has been written yet."""
    if conversation.id is not None:
        await session.execute(_DELETE, {"row_id": conversation.id})
        conversation.id = None
    conversation.dropped = True


async def show_options(
    session: AsyncSession,
    *,
    channel: str,
    external_ids: list[str],
    options: list[list[str]],
    shown_at: datetime,
) -> None:
    """Make `options` the ones last shown to these accounts (a broadcast's buttons, sent at
    `shown_at`), so that on channels without buttons a typed number presses them; not where
    the bot has answered the person since, whose answer's options are the last they saw."""
    if external_ids:
        await session.execute(
            update(Conversation)
            .where(
                Conversation.channel == channel,
                Conversation.external_id.in_(external_ids),
                Conversation.updated_at <= shown_at,
            )
            .values(options=options, updated_at=shown_at)
        )


async def relabel_options(session: AsyncSession, labels: dict[str, str]) -> None:
    """Give the options with these payloads new labels in every conversation that last
    showed them: for /forget, where a label quoted what a person erased (a name, the start of
    a text) in a staff member's list. The options keep their places, so a number typed on
    WhatsApp or SMS still presses the same one."""
    if not labels:
        return
    shown = cast(_TABLE.c.options, String)
    rows = await session.execute(
        select(_TABLE.c.id, _TABLE.c.options).where(
            or_(*(shown.contains(json.dumps(payload), autoescape=True) for payload in labels))
        )
    )
    for row_id, options in rows.all():
        relabelled = [[labels.get(payload, label), payload] for label, payload in options]
        if relabelled != options:
            await session.execute(
                update(_TABLE).where(_TABLE.c.id == row_id).values(options=relabelled)
            )
