"""Routes an incoming message to a handler by command, button payload or dialog state."""

from __future__ import annotations

import enum
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

    def include(self, other: Router) -> None:
        for table, theirs in (
            (self.commands, other.commands),
            (self.payloads, other.payloads),
            (self.states, other.states),
        ):
            for key, route in theirs.items():
                self._add(table, key, route)

    @staticmethod
    def _add(table: dict[str, Route], key: str, route: Route) -> None:
        if key in table:
            raise ValueError(f"{key!r} is routed twice")
        table[key] = route

    def for_payload(self, payload: str) -> Route | None:
        return self.payloads.get(payload.split(":", 1)[0])
