"""Channel adapters: each turns platform events into Incoming and renders Reply."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from bot.dialog.messages import Address, Outgoing, Reply
from bot.errors import failure_summary

logger = logging.getLogger(__name__)

Sender = Callable[[Address, Reply], Awaitable[None]]


class Senders:
    """The running channels' send functions; replies to a channel not running are logged."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, channel: str, sender: Sender) -> None:
        self._senders[channel] = sender

    async def deliver(self, outgoing: Iterable[Outgoing]) -> None:
        for item in outgoing:
            sender = self._senders.get(item.address.channel)
            if sender is None:
                logger.warning("no running %s channel; a reply was not sent", item.address.channel)
                continue
            try:
                await sender(item.address, item.reply)
            except Exception as error:
                logger.error(
                    "sending a reply on %s failed: %s", item.address.channel, failure_summary(error)
                )
