"""Send pacing: no more messages in any window than the platform allows, and pauses on 429."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

# A send is counted from its answer (see Window), so the platform cannot see it later than
# we do; a few milliseconds more cover the rounding of both clocks.
SAFETY = 0.005
PRUNE_AT = 10_000


class Window:
    """At most `limit` sends in any `seconds`-long window.

    A send takes its place when it is let through and keeps it until `seconds` after its
    answer. The platform counts it somewhere in between, when the request arrives; counting
    from the moment it was let through would let a send that was slow to arrive (a busy event
    loop, a slow network) fall into the next window with the following burst and be refused.
    """

    def __init__(self, limit: float, seconds: float) -> None:
        self.limit = max(1, int(limit)) if limit >= 1 else 1
        # A rate below one a window (e.g. 0.5/s) becomes one per longer window.
        self.seconds = (seconds if limit >= 1 else seconds / limit) + SAFETY
        self.answers: deque[float] = deque()
        self.in_flight = 0

    def wait(self, now: float) -> float:
        """Seconds until one more send fits; infinite while every place waits for an answer."""
        while self.answers and self.answers[0] <= now - self.seconds:
            self.answers.popleft()
        if len(self.answers) + self.in_flight < self.limit:
            return 0.0
        if not self.answers:
            return math.inf
        return self.answers[0] + self.seconds - now

    def start(self) -> None:
        self.in_flight += 1

    def answered(self, now: float) -> None:
        self.in_flight -= 1
        self.answers.append(now)

    def idle_since(self, now: float) -> bool:
        return not self.in_flight and (not self.answers or self.answers[-1] <= now - self.seconds)


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
        # Idle chats' windows are dropped when there are this many, then at twice those
        # left: a walk over every chat for each send made a long broadcast ever slower.
        self._prune_at = PRUNE_AT
        self.paused_until = 0.0
        self._lock = asyncio.Lock()
        self._answer = asyncio.Event()

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

    async def _sleep(self, seconds: float) -> None:
        """Sleep `seconds`, or until the next answer when waiting for one."""
        if seconds < math.inf:
            await asyncio.sleep(seconds)
            return
        answer = self._answer
        with suppress(TimeoutError):
            await asyncio.wait_for(answer.wait(), 1.0)

    def admit(self, chat_id: str, *, is_group: bool = False) -> Window | None:
        """Let one more message to this chat go now if every limit allows it, without
        waiting; None when it must wait. Its place is held until `answered` (or `release`)."""
        if self._lock.locked():
            return None  # someone is already waiting for their turn
        now = self.clock()
        chat = self._chat_window(chat_id, is_group)
        if self.paused_until > now or chat.wait(now) > 0 or self.overall.wait(now) > 0:
            return None
        self._start(chat, now)
        return chat

    def wait(self, chat_id: str, *, is_group: bool = False) -> float:
        """Seconds until one more message to this chat would be let through; infinite while
        it waits for an answer."""
        now = self.clock()
        chat = self._chat_window(chat_id, is_group)
        return max(self.paused_until - now, self.overall.wait(now), chat.wait(now))

    def chat_waits(self, chat_id: str, *, is_group: bool = False) -> bool:
        """This chat's own limit holds its next message back, but not the others'."""
        return self._chat_window(chat_id, is_group).wait(self.clock()) > 0

    async def until_free(self, chat_id: str, *, is_group: bool = False) -> None:
        """Wait until one more message to this chat would be let through (not taking it)."""
        chat = self._chat_window(chat_id, is_group)
        async with self._lock:
            while True:
                now = self.clock()
                wait = max(self.paused_until - now, self.overall.wait(now), chat.wait(now))
                if wait <= 0:
                    return
                await self._sleep(wait)

    def answered(self, chat: Window) -> None:
        """The platform answered a message let through by `admit`."""
        now = self.clock()
        self.overall.answered(now)
        chat.answered(now)
        self._answer.set()
        self._answer = asyncio.Event()

    def release(self, chat: Window) -> None:
        """A message let through by `admit` did not go after all."""
        self.overall.in_flight -= 1
        chat.in_flight -= 1

    def _start(self, chat: Window, now: float) -> None:
        self.overall.start()
        chat.start()
        if len(self.chats) > self._prune_at:
            self.chats = {
                key: window
                for key, window in self.chats.items()
                if window is chat or not window.idle_since(now)
            }
            self._prune_at = max(PRUNE_AT, 2 * len(self.chats))

    @asynccontextmanager
    async def sending(self, chat_id: str, *, is_group: bool = False) -> AsyncIterator[None]:
        """Wait until one more message to this chat is within every limit, and count it from
        the platform's answer: the send goes inside this block."""
        # One sender at a time writes to a chat, so its own window is waited on outside the
        # lock: a chat that must wait does not hold up the others.
        chat = self._chat_window(chat_id, is_group)
        while True:
            wait = chat.wait(self.clock())
            if wait <= 0:
                break
            await self._sleep(wait)
        async with self._lock:
            while True:
                now = self.clock()
                wait = max(self.paused_until - now, self.overall.wait(now))
                if wait <= 0:
                    break
                await self._sleep(wait)
            self._start(chat, now)
        try:
            yield
        finally:
            self.answered(chat)
