"""Routes an incoming message to a handler by command, button payload or dialog state."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from bot.dialog.payloads import Payload

if TYPE_CHECKING:
    from bot.dialog.context import Context

Handler = Callable[["Context"], Awaitable[None]]
P = TypeVar("P", bound=Payload)
Pressed = Callable[["Context", P], Awaitable[None]]


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
    # A state whose typed text may be anything: a typed message presses one of the options
    # shown only when it is that option's number or whole label.
    free_text: bool = False
    # A state whose answer is a number (a count, an item's number): a typed number is the
    # answer, never an option; its options are shown unnumbered, and 0 is a number too.
    numbers: bool = False
    # The typed payload a button route unpacks; the handler gets it as `ctx.pressed`.
    kind: type[Payload] | None = None


@dataclass(frozen=True)
class Step:
    """One row of a flow's table: what handles typed text in a state."""

    handler: Handler
    free_text: bool = False
    numbers: bool = False
    needs: Needs | None = None  # the flow's default when None


class Router:
    """One per feature module; `handlers.build_router` assembles them in a fixed order."""

    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.payloads: dict[str, Route] = {}
        self.states: dict[str, Route] = {}
        # Typed words that act on every channel: a whole message ("STOP", "0"), or a word
        # and one argument ("ATBALSTS K7M2QP"); keyed by the folded word.
        self.keywords: dict[str, Route] = {}
        self.keyword_arguments: dict[str, tuple[Route, re.Pattern[str]]] = {}
        # What handles an event around a group (a join request, a join link made).
        self.events: dict[str, Route] = {}

    def command(
        self, *names: str, needs: Needs = Needs.UNIT, in_groups: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self._add(self.commands, name, Route(handler, needs, in_groups))
            return handler

        return register

    def keyword(
        self, *words: str, argument: str | None = None, needs: Needs = Needs.UNIT
    ) -> Callable[[Handler], Handler]:
        """Handle a typed word in any state, in any case and with or without diacritics: the
        way to act on channels without buttons. Without `argument` the message must be just
        the word (STOP, 0, izvēlne); with it, the word and one argument matching that regular
        expression (ATBALSTS K7M2QP), which keeps ordinary sentences from matching."""

        def register(handler: Handler) -> Handler:
            route = Route(handler, needs)
            for word in words:
                key = fold(word)
                if argument is None:
                    self._add(self.keywords, key, route)
                elif key in self.keyword_arguments:
                    raise ValueError(f"{key!r} is routed twice")
                else:
                    self.keyword_arguments[key] = (route, re.compile(argument))
            return handler

        return register

    def event(self, *events: enum.StrEnum) -> Callable[[Handler], Handler]:
        """Handle an event around a group (`bot.dialog.messages.Event`); anyone may cause one."""

        def register(handler: Handler) -> Handler:
            for name in events:
                self._add(self.events, str(name), Route(handler, Needs.NOTHING, in_groups=True))
            return handler

        return register

    def payload(self, prefix: str, *, needs: Needs = Needs.UNIT) -> Callable[[Handler], Handler]:
        """Handle buttons whose payload is `prefix` or starts with `prefix:`."""

        def register(handler: Handler) -> Handler:
            self._add(self.payloads, prefix, Route(handler, needs))
            return handler

        return register

    def button(
        self, kind: type[P], *, needs: Needs = Needs.UNIT
    ) -> Callable[[Pressed[P]], Pressed[P]]:
        """Handle buttons of a typed payload: the handler gets the unpacked value; a press
        that does not unpack (forged, stale, out of range) is refused before it."""

        def register(handler: Pressed[P]) -> Pressed[P]:
            async def call(ctx: Context) -> None:
                await handler(ctx, ctx.pressed)  # type: ignore[arg-type]

            call.__name__ = handler.__name__
            call.__doc__ = handler.__doc__
            self._add(self.payloads, kind.kind, Route(call, needs, kind=kind))
            return handler

        return register

    def flow(
        self, table: Mapping[enum.StrEnum, Handler | Step], *, needs: Needs = Needs.UNIT
    ) -> None:
        """A flow's table of named states: what handles typed text in each. Each flow module
        ends with its table, so the whole flow reads on one screen."""
        for state, row in table.items():
            step = row if isinstance(row, Step) else Step(row)
            route = Route(
                step.handler,
                step.needs or needs,
                free_text=step.free_text or step.numbers,
                numbers=step.numbers,
            )
            self._add(self.states, str(state), route)

    def state(
        self, name: str, *, needs: Needs = Needs.UNIT, free_text: bool = False
    ) -> Callable[[Handler], Handler]:
        """Handle typed text while the conversation is in state `name`. With `free_text`,
        a typed "1" is an answer, not the first option (see `Route.free_text`)."""

        def register(handler: Handler) -> Handler:
            self._add(self.states, name, Route(handler, needs, free_text=free_text))
            return handler

        return register

    def include(self, other: Router) -> None:
        for table, theirs in (
            (self.commands, other.commands),
            (self.payloads, other.payloads),
            (self.states, other.states),
            (self.keywords, other.keywords),
            (self.events, other.events),
        ):
            for key, route in theirs.items():
                self._add(table, key, route)
        for key, pair in other.keyword_arguments.items():
            if key in self.keyword_arguments:
                raise ValueError(f"{key!r} is routed twice")
            self.keyword_arguments[key] = pair

    @staticmethod
    def _add(table: dict[str, Route], key: str, route: Route) -> None:
        if key in table:
            raise ValueError(f"{key!r} is routed twice")
        table[key] = route

    def for_payload(self, payload: str) -> Route | None:
        return self.payloads.get(payload.split(":", 1)[0])

    def for_keyword(self, text: str) -> tuple[Route, list[str]] | None:
        """The route and arguments of a typed keyword message, or None."""
        route = self.keywords.get(fold(text))
        if route is not None:
            return route, []
        parts = text.split()
        if len(parts) < 2:
            return None
        # The argument is the rest of the message: a code may be typed in groups ("K7M 2QP").
        argument = " ".join(parts[1:])
        found = self.keyword_arguments.get(fold(parts[0]))
        if found is None or not found[1].fullmatch(argument):
            return None
        return found[0], [argument]
