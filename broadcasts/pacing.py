"""Send pacing: no more messages in any window than the platform allows, and pauses on 429."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

# Our clock and the platform's differ by the time a request takes to arrive; counting each
# window a little longer keeps a burst at the edge of a window from being refused.
SAFETY = 0.025


class Window:
    """At most `limit` events in any `seconds`-long window."""

    def __init__(self, limit: float, seconds: float) -> None:
        self.limit = max(1, int(limit)) if limit >= 1 else 1
        # A rate below one a window (e.g. 0.5/s) becomes one per longer window.
        self.seconds = (seconds if limit >= 1 else seconds / limit) + SAFETY
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.seconds - now

    def record(self, now: float) -> None:
        self.times.append(now)

    def idle_since(self, now: float) -> bool:
        return not self.times or self.times[-1] <= now - self.seconds


class Pacer:
    """One channel's limits: overall per second, per private chat, per group, and pauses."""

    def __init__(
        self,
        *,
        per_second: float,
        private_chat_per_second: float,
        group_per_minute: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.overall = Window(per_second, 1.0)
        self.private_chat_per_second = private_chat_per_second
        self.group_per_minute = group_per_minute
        self.chats: dict[str, Window] = {}
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """The platform asked to wait: nothing goes on this channel until then."""
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    def _chat_window(self, chat_id: str, is_group: bool) -> Window:
        window = self.chats.get(chat_id)
        if window is None:
            window = (
                Window(self.group_per_minute, 60.0)
                if is_group
                else Window(self.private_chat_per_second, 1.0)
            )
            self.chats[chat_id] = window
        return window

    async def acquire(self, chat_id: str, *, is_group: bool = False) -> None:
        """Wait until one more message to this chat is within every limit, and count it."""
        # One sender at a time writes to a chat, so its own window is waited on outside the
        # lock: a chat that must wait does not hold up the others.
        chat = self._chat_window(chat_id, is_group)
        while True:
            wait = chat.wait(self.clock())
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        async with self._lock:
            while True:
                now = self.clock()
                wait = max(self.paused_until - now, self.overall.wait(now))
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self.overall.record(now)
            chat.record(now)
            if len(self.chats) > 10_000:
                self.chats = {
                    key: window
                    for key, window in self.chats.items()
                    if window is chat or not window.idle_since(now)
                }
