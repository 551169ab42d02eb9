"""Routes an incoming message to a handler by command, button payload or dialog state."""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.dialog.context import Context

Handler = Callable[["Context"], Awaitable[None]]


def fold(text: str) -> str:
    """Lower case without diacritics and extra spaces: "Alsviķu  Pagasts" -> "alsviku pagasts"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


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
        self.keywords: dict[str, Route] = {}

    def command(
        self, *names: str, needs: Needs = Needs.UNIT, in_groups: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self._add(self.commands, name, Route(handler, needs, in_groups))
            return handler

        return register

    def keyword(self, *words: str, needs: Needs = Needs.UNIT) -> Callable[[Handler], Handler]:
        """Handle a message that is just this word, in any case and with or without
        diacritics: the words people type on channels without buttons (STOP, 0, izvēlne)."""

        def register(handler: Handler) -> Handler:
            for word in words:
                self._add(self.keywords, fold(word), Route(handler, needs))
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
            (self.keywords, other.keywords),
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
