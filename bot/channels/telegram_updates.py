"""How many Telegram updates are handled at once: staggered starts.

Handling an update is mostly computing when the Bot API answers at once, and mostly waiting
when it is far away. Started together, updates that compute only take turns on the processor:
each waits for the others and none is answered sooner (measured: three at once made each
update's handling three times as long, for no more updates a second). So the next update starts
when none is being handled, or when the one started last has been handled for a while (it is
waiting on the network, then). The while is the gap between two messages at the bot's overall
sending limit (1/30 s): starting updates faster than the bot may answer them gains nothing.
Updates still start in the order they came, and never more than the most allowed at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram.ext import BaseUpdateProcessor


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class StaggeredUpdates(BaseUpdateProcessor):
    def __init__(self, most: int, stagger: float) -> None:
        super().__init__(most)
        self.stagger = stagger
        # The start times (the event loop's clock) of the updates being handled.
        self._started: list[float] = []
        # Taken in turn by the updates waiting to start, so they start in the order they came.
        self._turn = asyncio.Lock()
        # Settled when an update ends, for the one waiting for its turn.
        self._ended: asyncio.Future[None] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        loop = asyncio.get_running_loop()
        async with self._turn:
            while self._started:
                wait = max(self._started) + self.stagger - loop.time()
                if wait <= 0:
                    break
                self._ended = loop.create_future()
                timer = loop.call_later(wait, _settle, self._ended)
                try:
                    await self._ended
                finally:
                    timer.cancel()
                    self._ended = None
            started = loop.time()
            self._started.append(started)
        try:
            await coroutine
        finally:
            self._started.remove(started)
            if self._ended is not None:
                _settle(self._ended)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
