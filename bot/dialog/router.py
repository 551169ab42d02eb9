"""Routes an incoming message to a handler by command, button payload or dialog state."""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.dialog.context import Context

Handler = Callable[["Context"], Awaitable[None]]


class Needs(enum.Enum):
    """What a person must have done before a route is reachable."""

    NOTHING = 0  # anyone, also before agreeing to the privacy notice
    CONSENT = 1  # agreed to the privacy notice
    UNIT = 2  # agreed and chose a unit


@dataclass(frozen=True)
class Route:
    handler: Handler
    needs: Needs = Needs.UNIT
    in_groups: bool = False


class Router:
    """One per feature module; `handlers.build_router` assembles them in a fixed order."""

    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.payloads: dict[str, Route] = {}
        self.states: dict[str, Route] = {}
        # Typed words that act on every channel, e.g. "ATBALSTS K7M2QP": keyword -> route.
        self.keywords: dict[str, Route] = {}
        self._keyword_arguments: dict[str, re.Pattern[str]] = {}

    def command(
        self, *names: str, needs: Needs = Needs.UNIT, in_groups: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self._add(self.commands, name, Route(handler, needs, in_groups))
            return handler

        return register

    def payload(self, prefix: str, *, needs: Needs = Needs.UNIT) -> Callable[[Handler], Handler]:
        """Handle buttons whose payload is `prefix` or starts with `prefix:`."""

        def register(handler: Handler) -> Handler:
            self._add(self.payloads, prefix, Route(handler, needs))
            return handler

        return register

    def state(self, name: str, *, needs: Needs = Needs.UNIT) -> Callable[[Handler], Handler]:
        """Handle typed text while the conversation is in state `name`."""

        def register(handler: Handler) -> Handler:
            self._add(self.states, name, Route(handler, needs))
            return handler

        return register

    def keyword(
        self, word: str, *, argument: str, needs: Needs = Needs.UNIT
    ) -> Callable[[Handler], Handler]:
        """Handle a message that is exactly `word` (any letter case) and one argument matching
        the regular expression `argument`, in any state: the way to act by typing on channels
        without buttons. The argument pattern keeps ordinary sentences from matching."""

        def register(handler: Handler) -> Handler:
            key = word.casefold()
            self._add(self.keywords, key, Route(handler, needs))
            self._keyword_arguments[key] = re.compile(argument)
            return handler

        return register

    def include(self, other: Router) -> None:
        for table, theirs in (
            (self.commands, other.commands),
            (self.payloads, other.payloads),
            (self.states, other.states),
            (self.keywords, other.keywords),
        ):
            for key, route in theirs.items():
                self._add(table, key, route)
        self._keyword_arguments.update(other._keyword_arguments)

    @staticmethod
    def _add(table: dict[str, Route], key: str, route: Route) -> None:
        if key in table:
            raise ValueError(f"{key!r} is routed twice")
        table[key] = route

    def for_payload(self, payload: str) -> Route | None:
        return self.payloads.get(payload.split(":", 1)[0])

    def for_keyword(self, text: str) -> tuple[Route, str] | None:
        """The route and argument of a typed keyword message, or None."""
        parts = text.split()
        if len(parts) != 2:
            return None
        key = parts[0].casefold()
        route = self.keywords.get(key)
        if route is None or not self._keyword_arguments[key].fullmatch(parts[1]):
            return None
        return route, parts[1]
