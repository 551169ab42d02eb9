"""Channel adapters: each turns platform events into Incoming and renders Reply."""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from bot.dialog.messages import Address, GroupAction, Outgoing, Reply
from bot.errors import failure_summary

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pacing:
    """How fast the platform lets a bot send: overall, to one person, to one group."""

    per_second: float
    private_chat_per_second: float
    group_per_minute: float


@dataclass(frozen=True)
class Messenger:
    """What the rest of the code may know of a messenger, declared once by its adapter
    (as `MESSENGERS` in its module) and found by `messengers()`."""

    name: str  # the channel's name stored with accounts and deliveries: "telegram"
    label: str  # how people read its name (a message id, marked with N_)
    prefix: str  # how staff write an account of it in ADMINS and on the command line: tg:123
    buttons: bool  # options are tapped; without, they are numbered and typed
    contact_sharing: bool  # a person can share their own verified phone number
    files: bool  # photos and documents are sent and received
    groups: bool  # the bot can be in a unit's community group
    phone_accounts: bool  # an account is the person's phone number
    pacing: Callable[[Settings], Pacing] | None = None  # None: not paced
    runs: Callable[[Settings], bool] = lambda settings: True  # this deployment runs it
    locations: bool = False  # a person can share a location from the app


@cache
def messengers() -> dict[str, Messenger]:
    """Every messenger an adapter in this package declares, by name."""
    found: dict[str, Messenger] = {}
    for module in pkgutil.iter_modules(__path__):
        declared = getattr(importlib.import_module(f"{__name__}.{module.name}"), "MESSENGERS", ())
        found.update((messenger.name, messenger) for messenger in declared)
    return found


def messenger(name: str) -> Messenger:
    return messengers()[name]


def messenger_by_prefix(prefix: str) -> Messenger | None:
    return next((item for item in messengers().values() if item.prefix == prefix), None)


def deployed(settings: Settings) -> list[Messenger]:
    """The messengers this deployment runs (in some process)."""
    return [item for item in messengers().values() if item.runs(settings)]


# Sends a reply; returns the platform's id of the (last) message sent, when it has one.
Sender = Callable[[Address, Reply], Awaitable[str | None]]
# Replaces the text of a message sent before.
Editor = Callable[[Address, str, str], Awaitable[None]]
# Does something in a group: lets a person in, makes the group's join link.
Actor = Callable[[Address, GroupAction], Awaitable[None]]


# A photo or file a person sends is fetched from the platform (so it can be shown on any
# messenger) up to this size; a larger one stays a reference to the platform's copy.
INCOMING_FILE_MAX = 10 * 1024 * 1024


def text_with_options(reply: Reply) -> str:
    """A reply for a channel without buttons: the text, then the options numbered; options
    not numbered (their words are typed) one row a line, as "- 1 · 2 · 3 · 4"."""
    lines = [reply.text] if reply.text else []
    if reply.numbered:
        for number, button in enumerate(reply.options, start=1):
            lines.append(f"{number}) {button.label}")
    else:
        for row in reply.buttons:
            lines.append("- " + " · ".join(button.label for button in row))
    return "\n".join(lines)


# A reply to a resident's message: each part is tried this many times at most, and a wait
# the platform asks for beyond this many seconds is not waited out: the answer would come too
# late to read as one.
REPLY_ATTEMPTS = 4
REPLY_WAIT_MAX = 30.0


class DeliveryError(Exception):
    """A send the platform refused, in terms the broadcast dispatcher can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Blocked(DeliveryError):
    """The person blocked the bot (or it left the group): do not try this account again."""


class RateLimited(DeliveryError):
    """The platform asks to wait `retry_after` seconds before sending on this channel."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("rate_limited")
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    """A server error or a timeout: worth another try later."""


class PermanentFailure(DeliveryError):
    """The platform will refuse this send again (bad request, unknown chat, no channel)."""


class NeedsTemplate(DeliveryError):
    """WhatsApp outside the 24-hour window, and no approved template for this message."""


T = TypeVar("T")


async def reply_with_retries(
    make: Callable[[], Awaitable[T]],
    *,
    first_wait: float,
    platform: str,
    may_retry: Callable[[DeliveryError], bool] = lambda error: True,
) -> T:
    """One message of a reply to a resident, tried again after a refusal `may_retry`
    accepts (a rate limit, or a failure worth another try), with growing waits from
    `first_wait` and never before the platform's own Retry-After. At most REPLY_ATTEMPTS
    tries; a wait beyond REPLY_WAIT_MAX is not waited out."""
    attempt = 1
    while True:
        try:
            return await make()
        except (RateLimited, TemporaryFailure) as error:
            wait = first_wait * 2 ** (attempt - 1)
            if isinstance(error, RateLimited):
                wait = max(wait, error.retry_after)
            if not may_retry(error) or attempt >= REPLY_ATTEMPTS or wait > REPLY_WAIT_MAX:
                raise
            logger.info(
                "%s did not take a reply (%s); try %d in %.1f s",
                platform,
                error.reason,
                attempt + 1,
                wait,
            )
            await asyncio.sleep(wait)
            attempt += 1


class Senders:
    """The running channels' send functions; replies to a channel not running are logged."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}
        self._editors: dict[str, Editor] = {}
        self._repliers: dict[str, Sender] = {}
        self._actors: dict[str, Actor] = {}
        self._confirming_later: set[str] = set()

    def register(
        self,
        channel: str,
        sender: Sender,
        editor: Editor | None = None,
        *,
        confirms_later: bool = False,
        replier: Sender | None = None,
        actor: Actor | None = None,
    ) -> None:
        """`confirms_later`: the platform only accepts a message when it is sent and reports
        delivery afterwards (Twilio's status callbacks). `replier`: sends the replies to
        people's messages, where they need more than `sender` (which broadcasts use, trying
        again themselves)."""
        self._senders[channel] = sender
        if editor is not None:
            self._editors[channel] = editor
        if replier is not None:
            self._repliers[channel] = replier
        if actor is not None:
            self._actors[channel] = actor
        if confirms_later:
            self._confirming_later.add(channel)

    def confirms_later(self, channel: str) -> bool:
        return channel in self._confirming_later

    @property
    def channels(self) -> set[str]:
        return set(self._senders)

    async def send(self, address: Address, reply: Reply) -> str | None:
        """Send one reply; refusals come as DeliveryError subclasses."""
        sender = self._senders.get(address.channel)
        if sender is None:
            raise PermanentFailure("no_channel")
        return await sender(address, reply)

    async def edit(self, address: Address, message_id: str, text: str) -> None:
        editor = self._editors.get(address.channel)
        if editor is not None:
            await editor(address, message_id, text)

    async def deliver(self, outgoing: Iterable[Outgoing]) -> None:
        """Send the replies to incoming messages; a failed one is logged, the rest still go."""
        for item in outgoing:
            if item.address.channel not in self._senders:
                logger.warning("no running %s channel; a reply was not sent", item.address.channel)
                continue
            replier = self._repliers.get(item.address.channel, self._senders[item.address.channel])
            try:
                if item.action is not None:
                    actor = self._actors.get(item.address.channel)
                    if actor is None:
                        logger.warning(
                            "%s has no groups; an action was dropped", item.address.channel
                        )
                        continue
                    await actor(item.address, item.action)
                else:
                    await replier(item.address, item.reply)
            except Exception as error:
                logger.error(
                    "sending a reply on %s failed: %s", item.address.channel, failure_summary(error)
                )
