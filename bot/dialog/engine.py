"""The dialog engine: one transaction per incoming message, replies released after commit."""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dialog.context import Context, button_rows
from bot.dialog.messages import Address, Button, ChatKind, Incoming, Outgoing, Reply
from bot.dialog.router import Handler, Needs, Route, Router, fold
from bot.errors import failure_summary, failure_trace
from bot.i18n import Translator
from bot.parsing import clean_text, forged_number, parse_number
from bot.settings import Settings
from models.conversations import load_conversation, save_conversation
from models.residents import Resident, find_resident
from models.roles import Roles, load_roles
from models.updates import claim_update

logger = logging.getLogger(__name__)

# Longer input than this is refused before any handler sees it; handlers set tighter limits.
MAX_INPUT_LENGTH = 4000

ErrorReporter = Callable[[BaseException, Incoming], Awaitable[None]]


@dataclass(frozen=True)
class Flows:
    """The routes plus the two handlers every message may fall back on."""

    router: Router
    # Called when a route needs consent or a unit the person has not given yet.
    resume_onboarding: Handler
    # Called for text that no command, button or state claims, once onboarding is done.
    fallback: Handler
    # Called for one of our commands sent in a group that is not answered there as it is.
    group_command: Handler | None = None
    # The way out added to options shown again after a number none of them carries, where
    # they lead nowhere else (a notice's); None where they do (the main menu itself).
    way_out: Callable[[Context], Button | None] | None = None


_EDGES = re.compile(r"^\W+|\W+$")


def match_option(
    text: str, options: list[list[str]], *, whole_label: bool = False, by_number: bool = True
) -> str | None:
    """Find the payload of a shown option by its number, its label or a unique beginning;
    with `whole_label`, by its number or whole label only; without `by_number`, never by
    its number (where a typed number is the answer)."""
    wanted = fold(text).rstrip(".)")
    if not wanted or not options:
        return None
    if whole_label:
        index = parse_number(text, low=1, high=len(options)) if by_number else None
        if index is not None:
            return options[index - 1][1]
        # Arrows and ticks around a label ("« Atpakaļ") need not be typed.
        bare = _EDGES.sub("", wanted)
        exact = [payload for label, payload in options if _EDGES.sub("", fold(label)) == bare]
        return exact[0] if bare and len(exact) == 1 else None
    # From the text as typed: folding turns "²" into "2".
    index = parse_number(text, low=1, high=len(options))
    if index is not None:
        return options[index - 1][1]
    if wanted.isdigit():
        return None
    exact = [payload for label, payload in options if fold(label) == wanted]
    if len(exact) == 1:
        return exact[0]
    partial = [
        payload
        for label, payload in options
        if fold(label).startswith(wanted) or wanted in fold(label).split()
    ]
    return partial[0] if len(partial) == 1 else None


class DialogEngine:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        flows: Flows,
        report_error: ErrorReporter | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.flows = flows
        self.report_error = report_error
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def _lock_for(self, incoming: Incoming) -> asyncio.Lock:
        key = (incoming.channel, incoming.user_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Handle one message and return the replies to send; they are already committed."""
        if incoming.text:
            # Whatever the channel: no control characters, and a text that shows nothing is
            # no text, so a flow asks for it again instead of taking it.
            incoming = replace(incoming, text=clean_text(incoming.text))
        # Messages of one person are handled in order, never two at once.
        async with self._lock_for(incoming):
            try:
                try:
                    return await self._transaction(incoming)
                except IntegrityError:
                    # Another process registered the same account at the same moment:
                    # the second try sees its row.
                    return await self._transaction(incoming)
            except Exception as exc:
                # The message of an exception may quote what a person wrote: log without it.
                logger.error(
                    "handling a %s message failed: %s\n%s",
                    incoming.channel,
                    failure_summary(exc),
                    failure_trace(exc),
                )
                if self.report_error is not None:
                    try:
                        await self.report_error(exc, incoming)
                    except Exception as report_failure:
                        logger.error(
                            "reporting the error failed: %s", type(report_failure).__name__
                        )
                return await self._fail(incoming)

    async def _fail(self, incoming: Incoming) -> list[Outgoing]:
        language = await self._known_language(incoming)
        t = Translator(language, timezone=self.settings.tz)
        text = t._("Sorry, something went wrong on our side. Please try again, or send /menu.")
        return [Outgoing(Address(incoming.channel, incoming.chat_id), Reply(text))]

    async def _known_language(self, incoming: Incoming) -> str:
        try:
            async with self.sessionmaker() as session:
                resident = await find_resident(session, incoming.channel, incoming.user_id)
                if resident is not None:
                    return resident.language
        except Exception as error:
            logger.error("looking up the language after a failure failed: %s", type(error).__name__)
        return self.settings.default_language

    async def _transaction(self, incoming: Incoming) -> list[Outgoing]:
        session = self.sessionmaker()
        try:
            async with session.begin():
                return await self._handle_in(session, incoming)
        finally:
            # Closed here rather than by `async with`, which closes in a task of its own
            # and so hands the event loop to other updates before these replies can go.
            await session.close()

    async def _handle_in(self, session: AsyncSession, incoming: Incoming) -> list[Outgoing]:
        if incoming.update_key is not None and not await claim_update(
            session, channel=incoming.channel, key=incoming.update_key
        ):
            logger.info("skipped a redelivered %s update", incoming.channel)
            return []
        ctx = await self._context(session, incoming)
        if incoming.edited:
            if incoming.chat_kind is ChatKind.PRIVATE:
                _edits_not_read(ctx)
            return list(ctx.outbox.items)
        route = self._route(ctx)
        if route is None:
            return []
        asked = ctx.state
        if route.needs is not Needs.NOTHING and not _satisfied(route.needs, ctx.resident):
            await self.flows.resume_onboarding(ctx)
        else:
            await route.handler(ctx)
        if ctx.conversation is not None and not ctx.forgotten:
            self._remember_options(ctx, asked)
            await save_conversation(session, ctx.conversation)
        return list(ctx.outbox.items)

    async def _context(self, session: AsyncSession, incoming: Incoming) -> Context:
        resident = await find_resident(session, incoming.channel, incoming.user_id)
        roles = (
            await load_roles(session, resident, admins=self.settings.admins)
            if resident is not None
            else Roles()
        )
        conversation = None
        if incoming.chat_kind is ChatKind.PRIVATE:
            conversation = await load_conversation(session, incoming.channel, incoming.user_id)
        language = (
            resident.language
            if resident is not None
            else (conversation.data.get("language") if conversation else None)
        ) or self.settings.default_language
        return Context(
            incoming=incoming,
            session=session,
            settings=self.settings,
            t=Translator(language, timezone=self.settings.tz),
            conversation=conversation,
            resident=resident,
            roles=roles,
        )

    def _route(self, ctx: Context) -> Route | None:
        incoming = ctx.incoming
        router = self.flows.router
        if incoming.event is not None:
            return router.events.get(incoming.event)
        text = (incoming.text or "").strip()
        if text.startswith("/"):
            name, _, rest = text[1:].partition(" ")
            name = name.split("@", 1)[0].casefold()
            ctx.args = rest.split()
            route = router.commands.get(name)
            if incoming.chat_kind is ChatKind.GROUP:
                if route is None or route.in_groups:
                    return route
                group_command = self.flows.group_command
                return Route(group_command, Needs.NOTHING) if group_command else None
            return route or Route(self.flows.fallback)
        if incoming.chat_kind is ChatKind.GROUP:
            return None
        if len(text) > MAX_INPUT_LENGTH:
            state = router.states.get(ctx.state or "")
            if state is not None and ctx.asked_limit is not None:
                return Route(_answer_too_long, state.needs)  # the question's own limit
            return Route(partial(_too_long, way_out=self.flows.way_out), Needs.NOTHING)
        payload = incoming.payload
        if payload is None and text:
            keyword = router.for_keyword(text)
            if keyword is not None:
                route, ctx.args = keyword
                return route
        state = router.states.get(ctx.state or "")
        if payload is None and text and ctx.conversation is not None:
            whole_label = state is not None and state.free_text
            by_number = state is None or not state.numbers
            payload = match_option(
                text, ctx.conversation.options, whole_label=whole_label, by_number=by_number
            )
            if (
                payload is None
                and by_number
                and ctx.conversation.options
                and state is None
                and parse_number(text, low=1, high=10**6) is not None
            ):
                # A number that is not among the options shown: the same screen again.
                return Route(partial(_no_such_option, way_out=self.flows.way_out), Needs.NOTHING)
        if payload is not None:
            route = router.for_payload(payload)
            if route is not None:
                ctx.payload = payload
                if route.kind is not None:
                    ctx.pressed = route.kind.unpack(payload)
                    if ctx.pressed is None:
                        return Route(_forged_button, Needs.NOTHING)
                    return route
                ctx.args = payload.split(":")[1:]
                if not payload.isprintable() or any(forged_number(arg) for arg in ctx.args):
                    return Route(_forged_button, Needs.NOTHING)
                return route
        if text == "0" and state is not None and not state.numbers:
            # 0 is never a numbered option: on channels without buttons it means the menu,
            # also in the middle of a flow, unless the answer asked for is a number.
            return Route(self.flows.fallback)
        if state is not None and (limit := ctx.asked_limit) is not None and len(text) > limit:
            return Route(_answer_too_long, state.needs)
        return state or Route(self.flows.fallback)

    def _remember_options(self, ctx: Context, asked: str | None) -> None:
        """Keep the options last shown here, so that typing one presses it; where an answer
        is to be typed, they are shown unnumbered."""
        assert ctx.conversation is not None
        mine = [index for index, item in enumerate(ctx.outbox.items) if item.address == ctx.here]
        if not mine:
            return
        ctx.conversation.shown = True
        last = ctx.outbox.items[mine[-1]]
        if ctx.state is not None and not last.reply.options:
            # Where an answer is to be typed there is always a way back: a refused answer
            # keeps the question's buttons, a question without any offers Cancel.
            kept = ctx.conversation.options if ctx.state == asked else []
            buttons = [Button(label, payload) for label, payload in kept]
            last = replace(
                last,
                reply=replace(
                    last.reply,
                    buttons=button_rows(buttons or [Button(ctx.t._("Cancel"), "menu")]),
                ),
            )
            ctx.outbox.items[mine[-1]] = last
        ctx.conversation.options = [[button.label, button.payload] for button in last.reply.options]
        state = self.flows.router.states.get(ctx.state or "")
        if state is not None and state.numbers and last.reply.options:
            ctx.outbox.items[mine[-1]] = replace(last, reply=replace(last.reply, numbered=False))


def _satisfied(needs: Needs, resident: Resident | None) -> bool:
    if resident is None:
        return False
    return needs is not Needs.UNIT or resident.unit_id is not None


def _edits_not_read(ctx: Context) -> None:
    """Answer a message the person changed after sending: what it said first was already
    acted on, so its new wording is not read as if it were new."""
    ctx.reply(
        ctx.t._(
            "I do not read changes to messages already sent. If you corrected something, "
            "please send it again as a new message."
        ),
        [Button(ctx.t._("Main menu"), "menu")],
    )


async def _forged_button(ctx: Context) -> None:
    """Refuse a button no message of ours carries (numbers in another script, or bigger
    than any id), as any other refused button: written down, no error report."""
    assert ctx.payload is not None
    await ctx.audit("refused", attempted="button", button=ctx.payload.split(":", 1)[0][:32])
    ctx.reply(
        ctx.t._("Sorry, you are not allowed to do that."), [Button(ctx.t._("Main menu"), "menu")]
    )


async def _no_such_option(
    ctx: Context, *, way_out: Callable[[Context], Button | None] | None = None
) -> None:
    """A typed number that no option shown carries: say so, and show the options again,
    with a way out where they offer none."""
    assert ctx.conversation is not None
    buttons = [Button(label, payload) for label, payload in ctx.conversation.options]
    out = way_out(ctx) if way_out is not None else None
    if out is not None:
        buttons.append(out)
    ctx.reply(
        ctx.t._(
            "There is no option {number} here. Please choose a number from 1 to {last}.",
            number=(ctx.incoming.text or "").strip()[:12],
            last=ctx.t.number(len(buttons)),
        ),
        buttons,
    )


async def _answer_too_long(ctx: Context) -> None:
    """Typed text over the asked question's limit: named, and the question asked again."""
    limit = ctx.asked_limit
    assert limit is not None
    ctx.answer_too_long(limit)


async def _too_long(
    ctx: Context, *, way_out: Callable[[Context], Button | None] | None = None
) -> None:
    """Refuse input longer than any dialog accepts, with the options shown before (and a
    way out where they offer none), or the main menu."""
    buttons = (
        [Button(label, payload) for label, payload in ctx.conversation.options]
        if ctx.conversation is not None
        else []
    )
    out = way_out(ctx) if way_out is not None and buttons else None
    if out is not None:
        buttons.append(out)
    ctx.reply(
        ctx.t._(
            "That message is too long: at most {limit} characters, please.",
            limit=ctx.t.number(MAX_INPUT_LENGTH),
        ),
        buttons or [Button(ctx.t._("Main menu"), "menu")],
    )
