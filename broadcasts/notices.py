"""Telling named residents something: the one way, through the broadcast outbox.

A notice is stored with its rows (one a resident, on their preferred messenger, in their
language) in the transaction of whatever caused it, so it goes if and only if that commits,
and once even across a crash. Its rows are ready at once: the dispatchers of this process
are woken when the transaction commits, and any process running a resident's messenger
claims theirs, so nobody waits for a scheduler tick.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.channels import deployed
from bot.i18n import Translator
from bot.settings import Settings
from broadcasts.compose import Audience, create_broadcast, in_every_language
from models.broadcasts import Broadcast, Delivery, DeliveryStatus, Status, create_deliveries

# The wake-up events of the dispatchers running in this process.
_dispatchers: set[asyncio.Event] = set()
_KICK = "padome.kick_dispatchers"


def deployed_channels(settings: Settings) -> set[str]:
    """The messengers this deployment runs (in some process): where notices may go."""
    return {item.name for item in deployed(settings)}


def attach_dispatcher(wake: asyncio.Event) -> None:
    """Have this dispatcher woken when a transaction with notices commits."""
    _dispatchers.add(wake)


def detach_dispatcher(wake: asyncio.Event) -> None:
    _dispatchers.discard(wake)


def _kick(session: Session) -> None:
    session.info.pop(_KICK, None)
    for wake in _dispatchers:
        wake.set()


def _kick_after_commit(session: AsyncSession) -> None:
    sync = session.sync_session
    if sync.info.get(_KICK):
        return
    sync.info[_KICK] = True
    event.listen(sync, "after_commit", _kick, once=True)
    event.listen(sync, "after_rollback", lambda done: done.info.pop(_KICK, None), once=True)


async def send_notice(
    session: AsyncSession,
    *,
    settings: Settings,
    resident_ids: Iterable[int | None],
    write: Callable[[Translator], str],
    now: datetime,
    buttons: Sequence[tuple[str, str]] = (),
    personal: bool = True,
) -> Broadcast | None:
    """Tell named residents something, each in their language on their preferred messenger,
    once the caller's transaction commits. None when nobody is named.

    `write` is called with each language's translator; `buttons`: (label message id marked
    with N_, payload), one a row. `personal`: an answer to what someone just did, which goes
    at once also in quiet hours; otherwise (reminders, digests, what the schedule sends) it
    waits for their end like a council message.
    """
    ids = tuple(sorted({found for found in resident_ids if found is not None}))
    if not ids:
        return None
    broadcast = await create_broadcast(
        session,
        roles=None,
        created_by_id=None,
        audience=Audience(resident_ids=ids),
        texts=in_every_language(write, timezone=settings.tz),
        due_at=now,
        now=now,
        urgent=personal,
    )
    broadcast.actions = buttons
    # Started here, not by the scheduler: its rows are ready for any dispatcher.
    broadcast.status = Status.SENDING.value
    broadcast.started_at = now
    await session.flush()
    channels = deployed_channels(settings)
    await create_deliveries(session, broadcast, channels=channels)
    # Imported here: the copies know the buttons of features that send notices themselves.
    from broadcasts.helper_copies import copy_for_helpers

    await copy_for_helpers(session, broadcast, channels=channels, timezone=settings.tz, now=now)
    _kick_after_commit(session)
    return broadcast


async def send_to_group(
    session: AsyncSession,
    *,
    settings: Settings,
    chat_id: int,
    text: str,
    now: datetime,
) -> Broadcast | None:
    """Post a short text in a unit's linked Telegram group, paced within the group's limit,
    once the caller's transaction commits; None where this deployment runs no Telegram."""
    if "telegram" not in deployed_channels(settings):
        return None
    broadcast = await create_broadcast(
        session,
        roles=None,
        created_by_id=None,
        audience=Audience(resident_ids=()),
        texts={"lv": text},
        due_at=now,
        now=now,
    )
    broadcast.status = Status.SENDING.value
    broadcast.started_at = now
    session.add(
        Delivery(
            broadcast_id=broadcast.id,
            channel="telegram",
            chat_id=str(chat_id),
            is_group=True,
            language=settings.default_language,
            status=DeliveryStatus.PENDING.value,
        )
    )
    await session.flush()
    _kick_after_commit(session)
    return broadcast
