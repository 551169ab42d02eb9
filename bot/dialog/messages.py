"""Neutral messages between channel adapters and the dialog engine."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from bot.dialog.payloads import Payload


class ChatKind(enum.StrEnum):
    PRIVATE = "private"
    GROUP = "group"


class Event(enum.StrEnum):
    """What happened around a group rather than a message a person sent."""

    # A person asks to join a group through its join link. `chat_id`: their private chat
    # (the platform lets the bot write there for a while); `group_id`: the group.
    JOIN_REQUEST = "join_request"
    # The bot made the group's join link (`text`), or could not (`text`: "not_admin" when it
    # lacks the right, "failed" otherwise). `chat_id`: the group.
    JOIN_LINK_MADE = "join_link_made"
    JOIN_LINK_REFUSED = "join_link_refused"


class GroupActionKind(enum.StrEnum):
    APPROVE = "approve"  # let `user_id` into the group
    DECLINE = "decline"  # turn down `user_id`'s request
    MAKE_JOIN_LINK = "make_join_link"  # make the group's link that asks to join


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed text, pressed a button, or shared a contact."""

    channel: str
    user_id: str
    chat_id: str
    chat_kind: ChatKind = ChatKind.PRIVATE
    text: str | None = None
    payload: str | None = None
    # A shared contact card: its phone number, and its Telegram user id when it has one.
    # It may be the sender's own or someone else's (a candidate they nominate).
    contact_phone: str | None = None
    contact_user_id: str | None = None
    display_name: str | None = None
    platform_language: str | None = None
    # A photo or document the person sent (by the platform's file id).
    attachment: Attachment | None = None
    # A location the person shared: latitude and longitude in degrees.
    location: tuple[float, float] | None = None
    # The platform's id of this delivery; the same key twice is handled once.
    update_key: str | None = None
    # A message sent before and changed now (Telegram lets people edit what they sent).
    edited: bool = False
    # Not a message: something that happened around a group (see Event).
    event: Event | None = None
    group_id: str | None = None


# What a button shows in full on a phone, one to a row; a longer label is shortened.
BUTTON_LABEL_MAX = 40


def shorten(text: str, limit: int = BUTTON_LABEL_MAX) -> str:
    """`text` on one line, cut at the last word boundary within `limit` characters and ended
    with "…", never in the middle of a word (a single word longer than the limit is cut)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if cut[-1].isalnum() and line[limit - 1].isalnum() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:–-") + "…"


@dataclass(frozen=True)
class Button:
    label: str
    # What pressing it sends back: a typed payload (packed here) or a plain word ("menu").
    payload: str
    # Asks the messenger to share the person's own, verified phone number (Telegram).
    asks_contact: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.payload, Payload):
            object.__setattr__(self, "payload", self.payload.pack())


@dataclass(frozen=True)
class Attachment:
    """A photo or document sent with a reply: its bytes, or the platform's id of a file
    it already has (`file_ref`, e.g. a Telegram file_id)."""

    filename: str
    content: bytes = b""
    kind: str = "document"  # "document" or "photo"
    mime_type: str = "application/octet-stream"
    file_ref: str | None = None


@dataclass(frozen=True)
class TemplateParts:
    """A broadcast's parts for platforms that accept only pre-approved templates outside a
    conversation (WhatsApp after 24 hours): which kind of message, its heading, its text."""

    kind: str
    heading: str
    text: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    template: TemplateParts | None = None
    # On channels without buttons options are numbered, to be chosen by number; not where
    # the person is asked to type an answer that may itself be a number.
    numbered: bool = True

    @property
    def options(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


@dataclass(frozen=True)
class Address:
    """Where a reply goes: a channel and the chat id on it."""

    channel: str
    chat_id: str


@dataclass(frozen=True)
class GroupAction:
    """Something the bot does in a group rather than says (its address is the group)."""

    kind: GroupActionKind
    user_id: str | None = None


@dataclass(frozen=True)
class Outgoing:
    address: Address
    reply: Reply
    # Done instead of sending `reply`, which is then empty.
    action: GroupAction | None = None


@dataclass
class Outbox:
    """Replies gathered while a message is handled; sent only after the commit."""

    items: list[Outgoing] = field(default_factory=list)

    def add(self, address: Address, reply: Reply) -> None:
        self.items.append(Outgoing(address, reply))

    def act(self, group: Address, action: GroupAction) -> None:
        self.items.append(Outgoing(group, Reply(""), action))
